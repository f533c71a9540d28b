// Boomerang customer pages: the evidence upload, straight to S3 through the presigned POST the
// portal answers, with a progress bar. Everything else works without this script.
(function () {
  "use strict";
  function setup(form) {
    if (!form || form.dataset.ready) return;
    form.dataset.ready = "1";
    var input = form.querySelector("input[type=file]");
    var bar = form.querySelector("progress");
    var status = form.querySelector("[role=status]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = input.files && input.files[0];
      if (!file) { input.focus(); return; }
      var kind = file.type.indexOf("video/") === 0 ? "video" : "photo";
      fetch(form.dataset.offer, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf },
        body: JSON.stringify({ kind: kind, content_type: file.type, size: file.size })
      }).then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
        .then(function (answer) {
          if (!answer.ok) { throw new Error(answer.body.error ? answer.body.error.message : "refused"); }
          var data = new FormData();
          Object.keys(answer.body.fields).forEach(function (k) { data.append(k, answer.body.fields[k]); });
          data.append("file", file);
          var xhr = new XMLHttpRequest();
          xhr.open("POST", answer.body.url);
          bar.hidden = false;
          xhr.upload.addEventListener("progress", function (e) {
            if (e.lengthComputable) { bar.value = Math.round((e.loaded / e.total) * 100); }
          });
          xhr.addEventListener("load", function () {
            if (xhr.status >= 200 && xhr.status < 300) {
              bar.value = 100;
              status.textContent = status.dataset.done;
              form.dataset.uploaded = "1";
              setTimeout(function () { window.location.reload(); }, 4000);
            } else {
              status.textContent = status.dataset.failed;
            }
          });
          xhr.addEventListener("error", function () { status.textContent = status.dataset.failed; });
          xhr.send(data);
        })
        .catch(function (err) { status.textContent = status.dataset.failed + " " + err.message; });
    });
  }
  function scan() { setup(document.getElementById("evidence-form")); }
  // Errors first: a page that comes back with an error summary puts the focus on it (WCAG 3.3.1).
  function focusErrors() {
    var summary = document.querySelector("#errors, #form-error");
    if (summary) { summary.setAttribute("tabindex", "-1"); summary.focus(); return true; }
    return false;
  }
  var shownStatus = null;
  function watchStatus() {
    var live = document.getElementById("live");
    if (!live) { shownStatus = null; return; }
    // The refreshed part says the return moved on (say, its label is ready): show the whole page anew.
    if (shownStatus !== null && live.dataset.status !== shownStatus) { window.location.reload(); }
    shownStatus = live.dataset.status;
  }
  document.addEventListener("DOMContentLoaded", function () { scan(); focusErrors(); watchStatus(); });
  // A form answered with a page that says what is wrong (404 not found, 422, 429): show it, as a
  // browser without this script would. htmx leaves 4xx answers unswapped by default.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var d = event.detail;
    var type = d && d.xhr ? d.xhr.getResponseHeader("Content-Type") || "" : "";
    if (d && d.boosted && d.xhr.status >= 400 && d.xhr.status < 500 && type.indexOf("text/html") === 0) {
      d.shouldSwap = true;
      d.isError = false;
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.boosted) { shownStatus = null; }  // another page: nothing to compare
    watchStatus();
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    scan();
    // A boosted navigation replaced the page: tell assistive technology where it now is.
    if (event.detail && event.detail.boosted && !focusErrors()) {
      var main = document.getElementById("main");
      if (main) { main.focus(); }
    }
  });
})();
