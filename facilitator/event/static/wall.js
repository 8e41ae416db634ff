// The event wall: fetch the overview every few seconds and swap it in (the server renders and
// escapes it). A failed fetch keeps what is shown and tries again.
(function () {
  "use strict";
  var main = document.getElementById("overview");
  if (!main || !window.fetch) { return; }
  var every = parseInt(main.getAttribute("data-every"), 10) || 3000;
  function refresh() {
    fetch(main.getAttribute("data-part"), { cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) { main.innerHTML = html; } })
      .catch(function () {})
      .then(function () { window.setTimeout(refresh, every); });
  }
  window.setTimeout(refresh, every);
})();
