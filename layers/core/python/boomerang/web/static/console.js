// Boomerang staff console: the pages work without this. With it, htmx swaps pages in (hx-boost);
// after each swap the field marked autofocus (the warehouse's scan field) takes the cursor again;
// inspection photos go straight to S3 through their presigned POST.
(function () {
  function refocus() {
    var field = document.querySelector("[autofocus]");
    if (field) { field.focus(); if (field.select) { field.select(); } }
  }
  function upload(input) {
    var status = document.getElementById("photo-status");
    var files = Array.prototype.slice.call(input.files || []);
    var done = 0;
    files.forEach(function (file) {
      fetch(input.dataset.upload, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": input.dataset.csrf},
        body: JSON.stringify({content_type: file.type, size: file.size})
      }).then(function (r) { return r.json().then(function (b) { if (!r.ok) { throw new Error(b.error.message); } return b; }); })
        .then(function (offer) {
          var form = new FormData();
          Object.keys(offer.fields).forEach(function (k) { form.append(k, offer.fields[k]); });
          form.append("file", file);
          return fetch(offer.url, {method: "POST", body: form});
        })
        .then(function (r) {
          if (!r.ok) { throw new Error("upload refused"); }
          done += 1;
          status.textContent = done + " of " + files.length + " photos uploaded.";
        })
        .catch(function (e) { status.textContent = "Photo not uploaded: " + e.message; });
    });
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("input[data-upload]")) { upload(e.target); }
  });
  // A refusal (a mistyped scan, a missing reason, a stale policy) answers its page with a 4xx status:
  // htmx 2 would not swap it in, and the error would never show. It is a page like any other here.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var status = e.detail.xhr.status;
    if (status >= 400 && status < 500) { e.detail.shouldSwap = true; e.detail.isError = false; }
  });
  document.addEventListener("htmx:afterSettle", refocus);
  document.addEventListener("DOMContentLoaded", refocus);
})();
