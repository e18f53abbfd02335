// Auto-refresh of the status boards: every N seconds the board is fetched again and swapped
// in place (no full-page reload, so focus and scroll stay). A checkbox pauses it (WCAG 2.2.1).
const board = document.querySelector("[data-mon-board]");
const toggle = document.querySelector("[data-mon-refresh]");
if (board && toggle) {
  const seconds = Number(board.dataset.monBoard) || 60;
  toggle.hidden = false;
  const box = toggle.querySelector("input");
  setInterval(async () => {
    if (!box.checked || document.hidden) return;
    try {
      const response = await fetch(window.location.href, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = doc.querySelector("[data-mon-board]");
      if (fresh) board.replaceChildren(...fresh.childNodes);
    } catch (error) {
      // Offline for a moment: try again at the next tick.
    }
  }, seconds * 1000);
}
