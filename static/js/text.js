// Text helpers shared by the pages' scripts (loaded before them).
(function () {
  "use strict";
  var Meetup = (window.Meetup = window.Meetup || {});
  // "garcia" finds García: searches drop accents and case on both sides.
  Meetup.fold = function (s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  };
})();
