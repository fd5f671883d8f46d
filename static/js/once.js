// Forms marked data-once send once. They use something single-use (a sign-in or RSVP link, a
// ticket given up): on a slow network a second tap, while the first is on its way, found it
// used or gone, and its error page replaced the first tap's answer. Without JavaScript the
// server still refuses the second request safely.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-once")) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });
})();
