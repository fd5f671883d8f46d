// Intent chips: while someone types what they look for and can offer, ask the server what it
// reads (GET, nothing stored) and preselect the chips it finds, as the page would after
// saving. A chip the person ticked or unticked by hand is left as they set it. Without this
// script the chips still work: the page reads the words once they are saved.
(function () {
  "use strict";
  var box = document.querySelector("[data-intent-chips]");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-read-url");
  var form = box.closest("form") || document;
  var owner = box.getAttribute("data-form");
  function field(name) {
    var scope = owner ? document : form;
    var selector = owner ? '[name="' + name + '"][form="' + owner + '"], #' + owner + ' [name="' + name + '"]' : '[name="' + name + '"]';
    return scope.querySelector(selector);
  }
  var looking = field("looking_for") || document.querySelector('textarea[name="looking_for"]');
  var offer = field("can_offer") || document.querySelector('textarea[name="can_offer"]');
  var read = box.querySelector('input[name="intents_read"]');
  var line = box.querySelector("[data-we-read]");
  if (!url || !looking || !offer || !read) return;
  var touched = {};
  box.addEventListener("change", function (e) {
    if (e.target && e.target.type === "checkbox") touched[e.target.value] = true;
  });
  var timer = null;
  function refresh() {
    var query = "?looking_for=" + encodeURIComponent(looking.value) +
      "&can_offer=" + encodeURIComponent(offer.value);
    fetch(url + query, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var before = read.value ? read.value.split(" ") : [];
        box.querySelectorAll('input[type="checkbox"]').forEach(function (c) {
          if (touched[c.value]) return;
          var now = data.read.indexOf(c.value) >= 0;
          if (now && before.indexOf(c.value) < 0) c.checked = true;
          if (!now && before.indexOf(c.value) >= 0) c.checked = false;
        });
        read.value = data.read.join(" ");
        if (line) {
          line.textContent = data.line;
          line.classList.toggle("muted", !data.read.length);
        }
      })
      .catch(function () {});
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 500);
  }
  looking.addEventListener("input", later);
  offer.addEventListener("input", later);
})();
