// The village picker of the intake form: a combobox (WAI-ARIA "list autocomplete") over
// GET /api/v1/areas/villages?q=, which matches codes, names and pinyin initials ("dlc").
// Typing asks the server; Down/Up move in the list, Enter or a click picks, Escape closes.
// The field keeps its name village_code and receives the code; the chosen name shows below.
// Without JavaScript the server resolves a typed name itself (webui/cases/intake.py).
(function () {
  "use strict";
  var input = document.getElementById("village_code");
  var list = document.getElementById("village-options");
  var chosen = document.getElementById("village-chosen");
  if (!input || !list) { return; }
  var address = input.getAttribute("data-villages-url");
  var options = [];
  var active = -1;
  var timer = null;
  var pending = null;

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    var items = list.children;
    for (var i = 0; i < items.length; i += 1) {
      var on = i === index;
      items[i].classList.toggle("active", on);
      items[i].setAttribute("aria-selected", on ? "true" : "false");
    }
    active = index;
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", items[index].id);
      items[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function describe(village) {
    return village.name + (village.township ? "，" + village.township : "");
  }

  function pick(index) {
    var village = options[index];
    if (!village) { return; }
    input.value = village.code;
    if (chosen) { chosen.textContent = describe(village) + " (" + village.code + ")"; }
    close();
  }

  function render(villages) {
    options = villages;
    list.replaceChildren();
    villages.forEach(function (village, index) {
      var item = document.createElement("li");
      item.id = "village-option-" + index;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.className = "list-group-item list-group-item-action py-1";
      item.textContent = describe(village) + " · " + village.code;
      // mousedown, not click: a click would first blur the input and close the list
      item.addEventListener("mousedown", function (event) {
        event.preventDefault();
        pick(index);
      });
      list.appendChild(item);
    });
    if (villages.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(villages.length === 1 ? 0 : -1);
    } else {
      close();
    }
  }

  function search() {
    var q = input.value.trim();
    if (!q) { render([]); return; }
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch(address + "?q=" + encodeURIComponent(q), {
      headers: { "Accept": "application/json" }, credentials: "same-origin",
      signal: pending.signal
    }).then(function (answer) {
      if (!answer.ok) { throw new Error("HTTP " + answer.status); }
      return answer.json();
    }).then(function (body) {
      if (document.activeElement === input) { render(body.items || []); }
    }).catch(function () { /* no list: the server still resolves a typed name */ });
  }

  input.addEventListener("input", function () {
    if (chosen) { chosen.textContent = ""; }
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 200);
  });

  input.addEventListener("keydown", function (event) {
    var open = !list.hidden && options.length > 0;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (!open) { search(); return; }
      highlight((active + 1) % options.length);
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      highlight(active <= 0 ? options.length - 1 : active - 1);
    } else if (event.key === "Enter" && open && active >= 0) {
      event.preventDefault();  // Enter picks from the open list; the next Enter sends the form
      pick(active);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      close();
    }
  });

  input.addEventListener("blur", close);
})();
