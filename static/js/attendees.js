// "Find someone" on the organizer's attendee list: filters every list by name or email as
// you type. Without JavaScript the field stays hidden and the whole list shows.
(function () {
  "use strict";
  var box = document.getElementById("attendee-find");
  if (!box) return;
  var input = box.querySelector("input");
  var none = document.getElementById("attendee-none");
  var people = Array.prototype.slice.call(document.querySelectorAll(".attendee[data-find]"));
  var fold = window.Meetup.fold; // static/js/text.js
  people.forEach(function (li) { li.dataset.find = fold(li.dataset.find); });
  box.hidden = false;
  input.addEventListener("input", function () {
    var q = fold(input.value.trim());
    var shown = 0;
    people.forEach(function (li) {
      var match = !q || li.dataset.find.indexOf(q) !== -1;
      li.hidden = !match;
      if (match) shown += 1;
    });
    none.hidden = shown > 0;
  });
})();
