// The waiting room's page, live: its position is asked again when booking says (`poll_seconds`: every two
// seconds near the turn, up to thirty far from it) and the page shows the result as soon as it is recorded.
// Without JavaScript the browser refreshes the page (Refresh header).
(function () {
  var box = document.querySelector("[data-attente]");
  if (!box) return;
  var text = box.querySelector("[data-attente-texte]");
  function poll() {
    fetch(box.dataset.attente, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (state && state.status === "queued") {
          if (state.text && text.textContent !== state.text) text.textContent = state.text;
          window.setTimeout(poll, 1000 * (state.poll_seconds || 2));
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 4000); });
  }
  // (the browser's refresh stays as a fallback: it shows the same page, or the result)
  window.setTimeout(poll, 1000);
})();
