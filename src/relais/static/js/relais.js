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

// Suggestions while typing: an input with data-suggest="URL" gets the server's HTML fragment
// (escaped by Django's templates) in the element named by data-suggest-target, or in a list
// created under it. Debounced; a newer keystroke cancels the previous request.
function setUpSuggestions() {
  for (const input of document.querySelectorAll("input[data-suggest]")) {
    let box = input.dataset.suggestTarget && document.getElementById(input.dataset.suggestTarget);
    if (!box) {
      box = document.createElement("div");
      box.className = "suggestions";
      box.setAttribute("aria-live", "polite");
      input.after(box);
    }
    let timer = null;
    let controller = null;
    let last = "";
    const update = async () => {
      const query = input.value.trim();
      if (query === last) return;
      last = query;
      if (controller) controller.abort();
      if (query.length < 3) {
        box.replaceChildren();
        return;
      }
      controller = new AbortController();
      const url = new URL(input.dataset.suggest, window.location.href);
      url.searchParams.set("q", query);
      if (input.dataset.suggestContext) url.searchParams.set("contexte", input.dataset.suggestContext);
      try {
        const response = await fetch(url, {
          signal: controller.signal,
          credentials: "same-origin",
          headers: { Accept: "text/html" },
        });
        if (!response.ok) return;
        const html = await response.text();
        const fragment = new DOMParser().parseFromString(html, "text/html");
        box.replaceChildren(...fragment.body.childNodes);
      } catch (error) {
        if (error.name !== "AbortError") box.replaceChildren();
      }
    };
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(update, 250);
    });
    // Keyboard: Down from the box goes to the first suggestion, Up and Down move between
    // suggestions (Up from the first one comes back to the box), Escape closes the list and
    // returns to the box. Enter on a suggestion follows its link, as usual.
    const links = () => Array.from(box.querySelectorAll("a.suggestion__link"));
    const close = () => {
      box.replaceChildren();
      last = ""; // typing again asks again
    };
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") close();
      if (event.key === "ArrowDown" && links().length) {
        event.preventDefault();
        links()[0].focus();
      }
    });
    box.addEventListener("keydown", (event) => {
      const all = links();
      const index = all.indexOf(document.activeElement);
      if (index < 0) return;
      if (event.key === "ArrowDown" && index < all.length - 1) {
        event.preventDefault();
        all[index + 1].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        (index > 0 ? all[index - 1] : input).focus();
      } else if (event.key === "Escape") {
        close();
        input.focus();
      }
    });
  }
}

setUpNavToggle();
setUpSuggestions();
setUpCannedResponses();
setUpCopyButtons();
