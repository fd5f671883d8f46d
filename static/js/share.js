// The share button of an event page: the phone's share sheet where the browser has one, else
// the link is copied. Without this script the button is a plain link to the page.
(function () {
  document.querySelectorAll("a.share-button").forEach(function (link) {
    link.addEventListener("click", function (e) {
      var url = link.href;
      var title = link.dataset.title || document.title;
      if (navigator.share) {
        e.preventDefault();
        navigator.share({ title: title, url: url }).catch(function () {});
        return;
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        e.preventDefault();
        navigator.clipboard.writeText(url).then(function () {
          var status = document.getElementById(link.dataset.status);
          if (status) { status.textContent = link.dataset.copied; }
        }, function () { window.location.href = url; });
      }
    });
  });
})();
