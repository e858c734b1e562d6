// On a phone a table becomes one card per row (app.css, below 600 px): each cell is labelled
// with its column's header, written here once so that no template repeats its headers. A
// table that labels its own cells (`table.stack`, the boards) is left alone; without
// JavaScript a table scrolls inside its card instead.
(function () {
  "use strict";
  function label(table) {
    if (table.classList.contains("stack")) { return; }
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    if (!heads.length) { return; }
    Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (row) {
      Array.prototype.forEach.call(row.children, function (cell, i) {
        if (heads[i] && !cell.hasAttribute("data-label")) { cell.setAttribute("data-label", heads[i]); }
      });
    });
    table.classList.add("cards");
  }
  function all() { Array.prototype.forEach.call(document.querySelectorAll("table"), label); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", all); } else { all(); }
})();
