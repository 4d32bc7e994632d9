// Small enhancements; every page works without them (progressive enhancement, CSP script-src 'self').
(function () {
  "use strict";
  // "Print this page" buttons are hidden until a script can print.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // "Share the link": the phone's share sheet where there is one, else copy the link.
  document.querySelectorAll("[data-share]").forEach(function (button) {
    var url = button.getAttribute("data-share");
    var done = button.getAttribute("data-copied") || "";
    button.hidden = false;
    button.addEventListener("click", function () {
      if (navigator.share) {
        navigator.share({ url: url }).catch(function () {});
      } else if (navigator.clipboard) {
        navigator.clipboard.writeText(url).then(function () {
          var status = document.getElementById(button.getAttribute("aria-describedby") || "");
          if (status) { status.textContent = done; }
        });
      }
    });
  });
  // Issuance progress: the page names a JSON address; the bar, the counts and the status follow it until done.
  var progress = document.querySelector("[data-progress-url]");
  if (progress && window.fetch) {
    var url = progress.getAttribute("data-progress-url");
    var tick = function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) {
          if (!p) { return; }
          var bar = progress.querySelector("progress");
          if (bar) { bar.max = p.total || 1; bar.value = p.issued; }
          var text = progress.querySelector("[data-progress-text]");
          if (text && p.text) { text.textContent = p.text; }
          if (p.issued + p.failed >= p.total) {
            if (p.issued && !progress.hasAttribute("data-reloaded")) { window.location.reload(); }
            return;
          }
          window.setTimeout(tick, 2000);
        })
        .catch(function () { window.setTimeout(tick, 5000); });
    };
    window.setTimeout(tick, 2000);
  }
})();
