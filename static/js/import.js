// Runs a member import in chunks with a progress bar. Without JavaScript the form posts
// once and the server imports everything in that request.
(function () {
  "use strict";
  var form = document.getElementById("import-form");
  if (!form || !window.fetch || !window.FormData) return;
  var button = document.getElementById("import-button");
  var box = document.getElementById("import-progress");
  var bar = box.querySelector("progress");
  var status = box.querySelector("p");
  var chunk = parseInt(form.dataset.chunk, 10);

  function show(done, total) {
    bar.value = done;
    bar.max = total;
    status.textContent = status.dataset.template.replace("{done}", done).replace("{total}", total);
  }

  function fail() {
    status.textContent = status.dataset.failed;
    button.disabled = false;
  }

  function step(offset) {
    var data = new FormData(form);
    data.set("offset", String(offset));
    return fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    }).then(function (answer) {
      show(answer.processed, answer.total);
      if (answer.done) {
        window.location.assign(answer.redirect);
      } else {
        return step(offset + chunk);
      }
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    box.hidden = false;
    show(0, parseInt(form.dataset.total, 10));
    step(0).catch(fail);
  });
})();
