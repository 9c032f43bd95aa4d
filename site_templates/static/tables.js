/* Long tables of organisations (the index of each level, the results of a measure by ACO, CP
 * or practice) made easier to use: a box that keeps only the rows holding what is typed, and
 * column headers that sort the rows when chosen. Without JavaScript the tables read as before.
 *
 * A table opts in with the attribute data-sc-sortable (a class would lose the theme's table
 * style); data-filter-label gives the box its label. A cell sorts by its data-sort value if it
 * has one, else by the first number in its text, else by its text; a result hidden for privacy,
 * "Not rated" or an empty cell always goes last.
 * Numbers sort highest first on the first choice, words A to Z; choosing again reverses. A
 * header with data-sort-first="ascending" sorts lowest first on the first choice instead (the
 * results of a measure where lower is better: the best first, as for every other measure). */
(function () {
  "use strict";

  var NUMBER = /-?\d[\d,]*(\.\d+)?/;
  var NOT_SHOWN = ".sc-hidden, .sc-stars--none";  // a result hidden for privacy, "Not rated"

  function sortKey(cell) {
    if (!cell) return "";
    var given = cell.getAttribute("data-sort");
    if (given !== null) return given === "" ? "" : parseFloat(given);
    if (cell.querySelector(NOT_SHOWN)) return "";
    var text = cell.textContent.trim();
    var number = text.match(NUMBER);
    return number ? parseFloat(number[0].replace(/,/g, "")) : text.toLowerCase();
  }

  function compare(a, b, descending) {
    if (a === "" || b === "") return (a === "") - (b === "");  // empty last, either way
    var order = typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b));
    return descending ? -order : order;
  }

  function sortBy(table, header, index) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var keys = rows.map(function (row) { return sortKey(row.cells[index]); });
    var numeric = keys.every(function (k) { return k === "" || typeof k === "number"; });
    var current = header.getAttribute("aria-sort");
    var first = header.getAttribute("data-sort-first");
    var descending = current ? current === "ascending" : first ? first === "descending" : numeric;
    var order = rows.map(function (row, i) { return i; });
    order.sort(function (i, j) { return compare(keys[i], keys[j], descending) || i - j; });
    order.forEach(function (i) { body.appendChild(rows[i]); });
    Array.prototype.forEach.call(header.parentNode.cells, function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  function addSorting(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (header, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sc-sort";
      button.title = "Sort by this column";
      while (header.firstChild) button.appendChild(header.firstChild);
      header.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, header, index); });
    });
  }

  function addFilter(table, number) {
    var label = table.getAttribute("data-filter-label");
    if (!label) return;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var box = document.createElement("div");
    box.className = "sc-filter";
    var name = document.createElement("label");
    name.htmlFor = "sc-filter-" + number;
    name.textContent = label;
    var input = document.createElement("input");
    input.type = "search";
    input.id = name.htmlFor;
    input.autocomplete = "off";
    var status = document.createElement("span");
    status.setAttribute("role", "status");
    box.appendChild(name);
    box.appendChild(input);
    box.appendChild(status);
    table.parentNode.insertBefore(box, table);
    input.addEventListener("input", function () {
      var wanted = input.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (row) {
        var keep = !wanted || row.textContent.toLowerCase().indexOf(wanted) >= 0;
        row.hidden = !keep;
        shown += keep ? 1 : 0;
      });
      status.textContent = wanted ? shown + " of " + rows.length + " shown" : "";
    });
  }

  function enhance() {
    var tables = document.querySelectorAll("table[data-sc-sortable]:not([data-sc-ready])");
    Array.prototype.forEach.call(tables, function (table, number) {
      if (!table.tBodies.length) return;
      table.setAttribute("data-sc-ready", "");
      addFilter(table, number);
      addSorting(table);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", enhance);
  else enhance();
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(enhance);
})();
