// New event in a group without events yet: start from the organizer's own time zone.
(function () {
  "use strict";
  var select = document.querySelector("select[data-guess-zone]");
  if (!select || !window.Intl) return;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && select.querySelector('option[value="' + CSS.escape(zone) + '"]')) {
    select.value = zone;
  }
})();
