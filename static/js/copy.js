// "Copy link" buttons: shown only when the clipboard is usable; the URL stays selectable anyway.
(function () {
  "use strict";
  if (!navigator.clipboard) return;
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.dataset.copy).then(function () {
        button.textContent = button.dataset.copied || "✓";
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });
  document.querySelectorAll("input.invite-url").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
})();
