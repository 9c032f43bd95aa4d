/* What the keyboard needs beyond the theme (Tab, Enter, Space, Escape):
 *
 * - the header's menu and search buttons (overrides/main.html: real buttons standing in for
 *   the theme's labels, which Tab skips) open the menu drawer or the search box and move the
 *   focus into it; Escape closes the open menu and puts the focus back on its button;
 * - a box that scrolls sideways (a wide table, a block of code with long lines) can be reached
 *   with Tab and scrolled with the arrow keys, and is named after its table's title; a box that
 *   fits the screen stays out of the tab order. Checked again when the window changes size. */
(function () {
  "use strict";

  var BOXES = ".md-typeset .md-typeset__scrollwrap, .md-typeset pre > code";  // code scrolls
  var HEADINGS = /^H[1-6]$/;

  // a header button opens or closes what its label did (the menu drawer, the search box) and
  // takes the focus there; Escape closes the open menu and gives the focus back to its button
  function addToggle(button) {
    var box = document.getElementById(button.getAttribute("data-sc-toggle"));
    if (!box) return;
    var inside = box.id === "__drawer" ? ".md-sidebar--primary a[href]" : ".md-search__input";
    button.addEventListener("click", function () {
      box.click();  // as the label does: the theme follows the checkbox
      var first = box.checked && document.querySelector(inside);
      if (first) first.focus();
    });
    if (box.id !== "__drawer") return;
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !box.checked) return;
      box.click();
      button.focus();
    });
  }

  function headingBefore(node) {
    for (var at = node; at && !at.classList.contains("md-typeset"); at = at.parentElement) {
      for (var before = at.previousElementSibling; before; before = before.previousElementSibling) {
        if (HEADINGS.test(before.tagName)) return before;
      }
    }
    return null;
  }

  function titleOf(box) {
    var caption = box.querySelector("caption");
    var figure = box.closest("figure");
    var named = figure && (figure.querySelector(".sc-figure__title") ||
                           figure.querySelector("figcaption"));
    var title = caption || named || headingBefore(box);
    return title ? title.textContent.replace(/\s+/g, " ").trim() : document.title;
  }

  function markScrolling(box) {
    if (box.hasAttribute("tabindex") && !box.hasAttribute("data-sc-scroll")) return;  // reachable
    var scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.hasAttribute("data-sc-scroll")) {
      box.setAttribute("data-sc-scroll", "");
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", titleOf(box));
    } else if (!scrolls && box.hasAttribute("data-sc-scroll")) {
      ["data-sc-scroll", "tabindex", "role", "aria-label"].forEach(function (name) {
        box.removeAttribute(name);
      });
    }
  }

  function markAll() {
    Array.prototype.forEach.call(document.querySelectorAll(BOXES), markScrolling);
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-sc-toggle]"), addToggle);
    markAll();
    var waiting = null;
    window.addEventListener("resize", function () {
      clearTimeout(waiting);
      waiting = setTimeout(markAll, 200);
    });
  }

  // after load: the theme wraps wide tables in their scrolling boxes once the page is read
  if (document.readyState === "complete") start();
  else window.addEventListener("load", start);
})();
