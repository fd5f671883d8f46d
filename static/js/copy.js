// Copy and share buttons for links (templates/_macros.html copy_link, and invite links):
// shown only where the phone can do it; the link stays in a read-only box to select anyway.
//   button[data-copy-from=<field id>]   copies that field's value
//   button[data-copy=<text>]            copies the text itself
//   button[data-share-from=<field id>]  opens the phone's share sheet with that link
(function () {
  "use strict";

  function copyText(text, field) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    // Plain http on a LAN: the older way, from the selected field.
    return new Promise(function (resolve, reject) {
      if (!field) return reject(new Error("no field"));
      field.focus();
      field.select();
      return document.execCommand("copy") ? resolve() : reject(new Error("copy refused"));
    });
  }

  function flash(button, text) {
    var label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = text;
    setTimeout(function () { button.textContent = label; }, 2000);
  }

  document.querySelectorAll("button[data-copy], button[data-copy-from]").forEach(function (button) {
    if (button.dataset.bound) return;
    button.dataset.bound = "1";
    var field = button.dataset.copyFrom ? document.getElementById(button.dataset.copyFrom) : null;
    var canCopy = (navigator.clipboard && window.isSecureContext) || (field && document.queryCommandSupported && document.queryCommandSupported("copy"));
    if (!canCopy) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = field ? field.value : button.dataset.copy;
      copyText(text, field).then(
        function () { flash(button, button.dataset.copied || "✓"); },
        function () { if (field) field.select(); }
      );
    });
  });

  document.querySelectorAll("button[data-share-from]").forEach(function (button) {
    if (button.dataset.bound || !navigator.share) return;
    button.dataset.bound = "1";
    var field = document.getElementById(button.dataset.shareFrom);
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.share({ title: button.dataset.shareTitle || document.title, url: field.value })
        .catch(function () {}); // closed without sharing
    });
  });

  document.querySelectorAll("input.invite-url, input[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
})();
