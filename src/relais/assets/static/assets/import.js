// Follows a background import: polls its status and reloads the page once it is finished.
const box = document.getElementById("import-progress");
if (box && box.dataset.finished !== "1") {
  const bar = document.getElementById("import-bar");
  const label = document.getElementById("import-percent");
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.statusUrl, { credentials: "same-origin" });
      if (response.ok) {
        const status = await response.json();
        bar.value = status.percent;
        bar.textContent = `${status.percent} %`;
        label.textContent = `${status.percent} %`;
        if (status.finished) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // The network may blink: try again at the next tick.
    }
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 500);
}
