// Progressive enhancement only: every page works without this file.

function setUpNavToggle() {
  const toggle = document.querySelector(".nav-toggle");
  const nav = document.getElementById("main-nav");
  if (!toggle || !nav) return;
  toggle.hidden = false;
  document.body.classList.add("js-nav");
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") === "true";
    toggle.setAttribute("aria-expanded", String(!open));
    nav.classList.toggle("is-open", !open);
  });
}

function setUpCopyButtons() {
  for (const secret of document.querySelectorAll("[data-token]")) {
    if (!navigator.clipboard) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = document.documentElement.lang === "en" ? "Copy" : "Copier";
    button.addEventListener("click", async () => {
      await navigator.clipboard.writeText(secret.textContent.trim());
      button.textContent = document.documentElement.lang === "en" ? "Copied" : "Copié";
    });
    secret.after(" ", button);
  }
}

function setUpCannedResponses() {
  for (const button of document.querySelectorAll("[data-canned]")) {
    button.addEventListener("click", () => {
      const form = button.closest("form");
      const textarea = form && form.querySelector("textarea[name=body]");
      if (!textarea) return;
      textarea.value = (textarea.value ? textarea.value + "\n\n" : "") + button.dataset.canned;
      textarea.focus();
    });
  }
}

setUpNavToggle();
setUpCannedResponses();
setUpCopyButtons();
