// The ticket keeps working where the venue has no signal: once opened, a service worker keeps
// a copy of the page and its QR code on the phone (static/js/offline-sw.js). Offline, the
// page says it is that copy, and its buttons, which need the network, wait for it.
(function () {
  "use strict";
  var ticket = document.querySelector("[data-offline-worker]");
  if (!ticket) return;
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(ticket.dataset.offlineWorker, { scope: location.pathname })
      .catch(function () {});
  }
  var note = document.getElementById("ticket-offline");
  var buttons = ticket.querySelectorAll("form button");
  function show() {
    var offline = !navigator.onLine;
    note.hidden = !offline;
    buttons.forEach(function (button) { button.disabled = offline; });
  }
  window.addEventListener("online", show);
  window.addEventListener("offline", show);
  show();
})();
