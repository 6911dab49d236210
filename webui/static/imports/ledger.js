// A large ledger's check or import runs on the server beside the page (casework/imports/
// ledger_jobs.py). Every few seconds this asks POST /imports/ledger/progress (the page's own
// form: its CSRF token and the upload's token) for JSON, and shows the sentence it returns.
// Once the work is no longer running (checked, imported, failed or stopped) the form is sent
// as it is, and the server shows the page for that state. Without script, the button does it.
(function () {
  "use strict";
  var form = document.getElementById("ledger-refresh");
  var status = document.getElementById("ledger-progress");
  if (!form || !status || !window.fetch) { return; }
  var address = form.getAttribute("data-poll");
  var every = 2000;

  function ask() {
    fetch(address, {method: "POST", body: new FormData(form), credentials: "same-origin",
                    headers: {"Accept": "application/json"}})
      .then(function (answer) {
        if (!answer.ok) { form.submit(); return null; }
        return answer.json();
      })
      .then(function (job) {
        if (!job) { return; }
        if (!job.running) { form.submit(); return; }
        status.textContent = job.text;
        window.setTimeout(ask, every);
      })
      .catch(function () { window.setTimeout(ask, every * 5); });
  }

  window.setTimeout(ask, every);
}());
