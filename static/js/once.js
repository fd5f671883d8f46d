// Forms marked data-once send once: a second tap while the first is on its way (a slow
// network at a venue) would otherwise replace its answer with an error about a ticket that
// no longer exists. Without JavaScript the server still refuses the second safely.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-once")) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });
})();
