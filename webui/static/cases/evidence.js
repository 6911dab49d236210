// The case page's evidence form (templates/cases/_evidence.html): every chosen file, from the
// camera or the gallery, is sent on its own through XMLHttpRequest (fetch reports no upload
// progress) with a progress bar, one after the other, so a township's weak signal carries one
// file at a time and a refused file does not stop the rest.  Without this script the form
// posts all the files at once and the server answers with the page.
(function () {
  "use strict";
  var form = document.getElementById("evidence-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var max = Number(form.getAttribute("data-max-bytes"));
  var progress = document.getElementById("evidence-progress");
  var bar = progress.querySelector("progress");
  var status = document.getElementById("evidence-status");
  var button = form.querySelector("button[type=submit]");

  function text(name, values) {
    var message = form.getAttribute("data-" + name);
    Object.keys(values).forEach(function (key) {
      message = message.replace("%(" + key + ")s", values[key]);
    });
    return message;
  }

  function say(line, failed) {
    var item = document.createElement("div");
    item.textContent = line;
    if (failed) { item.className = "text-danger"; }
    status.appendChild(item);
  }

  function why(request) {
    try {
      var answer = JSON.parse(request.responseText);
      if (answer.refused && answer.refused.length) { return answer.refused[0].message; }
      if (answer.message) { return answer.message; }
    } catch (error) { /* not JSON: a proxy's page */ }
    return "HTTP " + request.status;
  }

  form.addEventListener("submit", function (event) {
    var files = [];
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) {
      Array.prototype.push.apply(files, input.files);
    });
    if (!files.length) { return; }  // the server says what is missing
    event.preventDefault();
    var token = form.elements.csrf_token.value;
    var note = form.elements.note.value;
    var added = 0;
    var refused = 0;
    var index = 0;
    button.disabled = true;
    progress.hidden = false;
    status.replaceChildren();

    function finish() {
      button.disabled = false;
      if (added && !refused) {  // show them, with their thumbnails and timeline entries
        window.history.replaceState(null, "", window.location.pathname + "#evidence");
        window.location.reload();
      }
    }

    function next() {
      if (index >= files.length) { finish(); return; }
      var file = files[index];
      index += 1;
      if (file.size > max) {
        refused += 1;
        say(text("too-large", { name: file.name }), true);
        next();
        return;
      }
      bar.value = 0;
      say(text("sending", { name: file.name }));
      var body = new FormData();
      body.append("csrf_token", token);
      body.append("note", note);
      body.append("file", file, file.name);
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      request.setRequestHeader("X-CSRFToken", token);
      request.upload.addEventListener("progress", function (step) {
        if (step.lengthComputable) { bar.value = Math.round(100 * step.loaded / step.total); }
      });
      request.addEventListener("load", function () {
        if (request.status === 201) {
          added += 1;
          bar.value = 100;
          say(text("done", { name: file.name }));
        } else {
          refused += 1;
          say(text("failed", { name: file.name, why: why(request) }), true);
        }
        next();
      });
      request.addEventListener("error", function () {
        refused += 1;
        say(form.getAttribute("data-offline"), true);
        finish();
      });
      request.send(body);
    }
    next();
  });
})();
