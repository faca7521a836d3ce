// Suggestions under the search box, as an ARIA 1.2 combobox. Optional: the
// form works without this file. Asks GET /api/v1/search?q=…&prefix=1&limit=5
// 200 ms after the last keystroke, aborting the previous request.
(function () {
  "use strict";
  var input = document.querySelector("input[data-suggest]");
  if (!input || !window.fetch || !window.AbortController) return;
  var list = document.createElement("ul");
  list.id = input.id + "-suggestions";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Suggestions");
  list.hidden = true;
  input.parentNode.appendChild(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("autocomplete", "off");
  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  input.parentNode.appendChild(status);

  var timer = 0, ctrl = null, active = -1, items = [];

  function close() {
    list.hidden = true;
    list.textContent = "";
    items = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }
  function highlight(i) {
    if (!items.length) return;
    active = (i + items.length) % items.length;
    items.forEach(function (li, j) { li.setAttribute("aria-selected", j === active ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", items[active].id);
  }
  // dismiss closes the list and forgets what was asked: a late answer
  // must not open it again.
  function dismiss() {
    clearTimeout(timer);
    if (ctrl) { ctrl.abort(); ctrl = null; }
    close();
  }
  function show(hits, q) {
    close();
    list.dataset.query = q;
    hits.forEach(function (h, i) {
      var li = document.createElement("li");
      li.id = list.id + "-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.dataset.url = h.url;
      li.textContent = h.title;
      li.addEventListener("mousedown", function (e) { e.preventDefault(); location.href = h.url; });
      list.appendChild(li);
      items.push(li);
    });
    status.textContent = hits.length ? hits.length + " suggestion" + (hits.length > 1 ? "s" : "") : "";
    if (hits.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
  }
  function ask() {
    var q = input.value;
    if (ctrl) ctrl.abort();
    if (q.trim().length < 2) { close(); return; }
    ctrl = new AbortController();
    fetch(input.dataset.suggest + "?prefix=1&limit=5&q=" + encodeURIComponent(q),
      { signal: ctrl.signal, headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { hits: [] }; })
      .then(function (d) { if (input.value === q) show(d.hits || [], q); })
      .catch(function () { /* aborted or offline: the form still works */ });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 200);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (list.hidden) return;
      e.preventDefault();
      highlight(active + (e.key === "ArrowDown" ? 1 : -1));
    } else if (e.key === "Enter" && active >= 0 && !list.hidden) {
      e.preventDefault();
      location.href = items[active].dataset.url;
    } else if (e.key === "Escape" && !list.hidden) {
      e.preventDefault();
      dismiss();
    }
  });
  input.addEventListener("blur", dismiss);
  // Enter on a highlighted suggestion opens it: the form is not sent too
  // (some browsers send it from the key's character event).
  if (input.form) {
    input.form.addEventListener("submit", function (e) {
      if (active >= 0 && !list.hidden) e.preventDefault();
    });
  }
})();
