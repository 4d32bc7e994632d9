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
  // A long list (the 126 wards and communes): a box above it keeps only the choices whose name holds what is typed,
  // with or without diacritics. Without a script the list is the same list, complete.
  var fold = function (text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
  };
  document.querySelectorAll("select[data-filterable]").forEach(function (select, n) {
    var box = document.createElement("input");
    box.type = "search";
    box.id = select.id + "-filter";
    box.className = "list-filter";
    box.setAttribute("aria-label", select.getAttribute("data-filterable"));
    box.setAttribute("placeholder", select.getAttribute("data-filterable"));
    box.setAttribute("aria-controls", select.id);
    box.autocomplete = "off";
    select.parentNode.insertBefore(box, select);
    var all = Array.prototype.slice.call(select.querySelectorAll("option")).map(function (o) {
      return { option: o, group: o.parentNode, text: fold(o.textContent) };
    });
    var auto = false;
    select.addEventListener("change", function () { auto = false; });
    box.addEventListener("input", function () {
      var wanted = fold(box.value.trim());
      // The person's own choice stays in the list; one this box made for them gives way to the new text. Read
      // before the options move: a detached option's `selected` cannot be trusted.
      var chosen = auto ? "" : select.value;
      var matches = [];
      all.forEach(function (item) { if (item.option.parentNode) { item.option.parentNode.removeChild(item.option); } });
      all.forEach(function (item) {  // put back, in the list's own order, what matches
        var value = item.option.value;
        var show = !value || value === chosen || !wanted || item.text.indexOf(wanted) !== -1;
        if (show) {
          item.group.appendChild(item.option);
          if (item.option.value) { matches.push(item); }
        }
      });
      select.value = chosen;
      auto = !chosen && matches.length === 1;
      if (auto) { select.value = matches[0].option.value; }
    });
  });
  // The self-assessment's running total and the pass rule, as scores are typed (the page states them as saved).
  var rule = document.querySelector("[data-live-total]");
  if (rule) {
    var num = function (name) { return parseInt(rule.getAttribute(name), 10); };
    var update = function () {
      var sum = num("data-other-total"), missing = num("data-other-missing"), below = num("data-other-below") > 0;
      document.querySelectorAll("input[data-score]").forEach(function (input) {
        // An empty box with a fallback (the citizen's own score, beside the reviewer's) counts as the fallback.
        var text = input.value.replace(/\s/g, "") || input.getAttribute("data-fallback") || "";
        var score = /^\d+$/.test(text) ? parseInt(text, 10) : NaN;
        if (isNaN(score) || score < num("data-min") || score > num("data-max")) { missing += 1; return; }
        sum += score;
        if (score < num("data-pass-each")) { below = true; }
      });
      rule.querySelector("[data-live-sum]").textContent = String(sum);
      rule.querySelector("[data-live-verdict]").textContent = rule.getAttribute(
        missing ? "data-incomplete" : (!below && sum >= num("data-pass-total") ? "data-met" : "data-not-met"));
    };
    document.querySelectorAll("input[data-score]").forEach(function (input) {
      input.addEventListener("input", update);
    });
  }
  // The identity card's QR code fills the identity fields: "CCCD|old CMND|full name|ddmmyyyy|sex|address|issued".
  // Only the number, name, date of birth and sex are taken (the address and issue date are not kept). The decoder
  // (vendored jsQR, same origin) is loaded on first use; the camera is asked for only when the button is pressed.
  var scan = document.querySelector("[data-card-scan]");
  if (scan && window.HTMLCanvasElement && window.createImageBitmap) {
    var status = scan.querySelector("[data-scan-status]");
    var view = scan.querySelector("[data-scan-view]");
    var video = view.querySelector("video");
    var cameraButton = scan.querySelector("[data-scan-camera]");
    var canvas = document.createElement("canvas");
    var stream = null;
    var say = function (key) { status.textContent = scan.getAttribute(key); };
    var decoder = null;
    var loadDecoder = function () {
      if (!decoder) {
        decoder = new Promise(function (resolve, reject) {
          var tag = document.createElement("script");
          tag.src = scan.getAttribute("data-decoder");
          tag.onload = function () { resolve(window.jsQR); };
          tag.onerror = reject;
          document.head.appendChild(tag);
        });
      }
      return decoder;
    };
    var setValue = function (id, value) {
      var input = document.getElementById(id);
      if (input) { input.value = value; input.dispatchEvent(new Event("input", { bubbles: true })); }
    };
    var fillFrom = function (text) {  // true when the text is a card's and the fields were filled
      var parts = text.normalize("NFC").split("|");
      var date = /^(\d{2})(\d{2})(\d{4})$/.exec(parts[3] || "");
      if (parts.length < 5 || !/^\d{12}$/.test(parts[0]) || !parts[2].trim() || !date) { return false; }
      setValue("cccd", parts[0]);
      setValue("full_name", parts[2].trim().replace(/\s+/g, " "));
      setValue("date_of_birth-day", String(parseInt(date[1], 10)));
      setValue("date_of_birth-month", String(parseInt(date[2], 10)));
      setValue("date_of_birth-year", date[3]);
      var sex = fold(parts[4].trim());
      var radio = document.getElementById(sex === "nam" ? "sex-male" : (sex === "nu" ? "sex-female" : ""));
      if (radio) { radio.checked = true; }
      return true;
    };
    var read = function (jsQR, source, width, height) {  // the QR text in an image, or null
      var scale = Math.min(1, 1024 / Math.max(width, height));
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      var context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(source, 0, 0, canvas.width, canvas.height);
      var found = jsQR(context.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
      return found ? found.data : null;
    };
    var stop = function () {
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
      view.hidden = true;
      cameraButton.hidden = false;
    };
    scan.hidden = false;
    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) { cameraButton.hidden = true; }
    cameraButton.addEventListener("click", function () {
      Promise.all([loadDecoder(), navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })])
        .then(function (got) {
          var jsQR = got[0];
          stream = got[1];
          video.srcObject = stream;
          view.hidden = false;
          cameraButton.hidden = true;
          say("data-looking");
          return video.play().then(function () {
            var look = function () {
              if (!stream) { return; }
              var text = video.videoWidth ? read(jsQR, video, video.videoWidth, video.videoHeight) : null;
              if (text && fillFrom(text)) { stop(); say("data-filled"); return; }
              if (text) { say("data-not-card"); }
              window.setTimeout(look, 200);
            };
            look();
          });
        })
        .catch(function () { stop(); say("data-no-camera"); });
    });
    scan.querySelector("[data-scan-stop]").addEventListener("click", function () { stop(); cameraButton.focus(); });
    scan.querySelector("[data-scan-photo]").addEventListener("change", function (event) {
      var file = event.target.files && event.target.files[0];
      if (!file) { return; }
      Promise.all([loadDecoder(), createImageBitmap(file)])
        .then(function (got) {
          var text = read(got[0], got[1], got[1].width, got[1].height);
          say(!text ? "data-no-code" : (fillFrom(text) ? "data-filled" : "data-not-card"));
        })
        .catch(function () { say("data-no-code"); });
    });
  }
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
