// The intake form (templates/cases/new.html): the caller's earlier cases as her number is typed
// (the hotline's "screen pop"), Ctrl+Enter from a text box, the resolved-on-the-spot fields,
// and the focus on the first field with an error.  No inline script: the site's CSP forbids it,
// so the page hands over its data as JSON in #intake-data.
(function () {
  "use strict";
  var form = document.getElementById("intake");
  var source = document.getElementById("intake-data");
  if (!form || !source) { return; }
  var data = JSON.parse(source.textContent);
  var text = data.text;

  function element(tag, content, className) {
    var node = document.createElement(tag);
    if (content !== undefined && content !== null) { node.textContent = content; }
    if (className) { node.className = className; }
    return node;
  }

  // -- the caller's earlier cases ------------------------------------------------------------
  var phone = form.elements.petitioner_phone;
  var box = document.getElementById("caller-cases");
  var address = box.getAttribute("data-url");
  var MIN_DIGITS = 7;  // fewer digits than a local number find nobody in particular
  var timer = null;
  var pending = null;
  var asked = "";

  function normalised(value) {
    var trimmed = value.trim();
    return (trimmed.charAt(0) === "+" ? "+" : "") + trimmed.replace(/\D/g, "");
  }

  function say(message) {
    box.replaceChildren(element("p", message, "text-muted small mb-0"));
  }

  // YYYY-MM-DD in Beijing time, as the server writes dates, whatever the browser's zone.
  function day(iso) {
    try {
      var parts = {};
      new Intl.DateTimeFormat("en", {
        timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit"
      }).formatToParts(new Date(iso)).forEach(function (part) { parts[part.type] = part.value; });
      return parts.year + "-" + parts.month + "-" + parts.day;
    } catch (error) {
      return String(iso).slice(0, 10);
    }
  }

  function show(items) {
    if (!items.length) { say(text.none); return; }
    var table = element("table", null, "table table-sm mb-0 caller-cases");
    var head = table.createTHead().insertRow();
    [text.number, text.received, text.category, text.status, text.phone].forEach(function (title) {
      var cell = element("th", title);
      cell.scope = "col";
      head.appendChild(cell);
    });
    var body = table.createTBody();
    items.forEach(function (item) {
      var row = body.insertRow();
      if (data.open.indexOf(item.status) >= 0) {  // a concluded case's old flags are history
        if (item.overdue) { row.className = "table-danger"; }
        else if (item.warning) { row.className = "table-warning"; }
      }
      var link = element("a", item.number);
      link.href = "/cases/" + encodeURIComponent(item.number);
      var first = row.insertCell();
      first.className = "text-nowrap";
      first.appendChild(link);
      var received = row.insertCell();
      received.className = "text-nowrap";
      received.textContent = day(item.received_at);
      row.insertCell().textContent = data.categories[item.category] || item.category;
      var where = row.insertCell();
      where.appendChild(element("div", data.statuses[item.status] || item.status));
      where.appendChild(element("div", data.levels[item.level] || item.level, "text-muted"));
      var phoneCell = row.insertCell();
      phoneCell.className = "text-nowrap";
      phoneCell.textContent = item.petitioner.phone;  // masked by the server
    });
    var wrapper = element("div", null, "table-responsive small");
    wrapper.appendChild(table);
    box.replaceChildren(element("p", text.found.replace("%(num)s", items.length), "small mb-1"),
                        wrapper);
  }

  function lookUp() {
    var number = normalised(phone.value);
    if (number.replace("+", "").length < MIN_DIGITS) {
      asked = "";
      say(text.hint);
      return;
    }
    if (number === asked) { return; }
    asked = number;
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch(address.replace("PHONE", encodeURIComponent(number)), {
      headers: { "Accept": "application/json" }, credentials: "same-origin",
      signal: pending.signal
    }).then(function (answer) {
      if (answer.status === 422) { return { items: [] }; }  // not a phone number (yet)
      if (!answer.ok) { throw new Error("HTTP " + answer.status); }
      return answer.json();
    }).then(function (body) {
      show(body.items || []);
    }).catch(function (error) {
      if (error.name !== "AbortError") { asked = ""; say(text.failed); }
    });
  }

  if (phone && box && address) {
    phone.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(lookUp, 300);  // one request per pause, not per key
    });
    if (phone.value) { lookUp(); }
  }

  // -- Ctrl+Enter sends the form from a text box (Enter there is a new line) -----------------
  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) &&
        event.target.tagName === "TEXTAREA") {
      event.preventDefault();
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    }
  });

  // -- the outcome and note matter only for a case resolved on the spot ----------------------
  var resolve = form.elements.resolve_now;
  var resolveFields = document.getElementById("resolve-now-fields");
  if (resolve && resolveFields) {
    var sync = function () {
      resolveFields.hidden = !resolve.checked;
      resolve.setAttribute("aria-expanded", resolve.checked ? "true" : "false");
    };
    resolve.addEventListener("change", sync);
    sync();
  }

  // -- after a refused submission, the first field to fix has the focus ----------------------
  var invalid = form.querySelector(".is-invalid");
  if (invalid) { invalid.focus(); }
})();
