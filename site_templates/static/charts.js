/* Draw every chart of a page with plotly.js (served once for the whole site).
 * A chart is a <div class="sc-chart" data-figure="ID"> plus <script type="application/json"
 * id="ID"> holding {data, layout, config}. Charts are drawn when they scroll into view, and again
 * after mkdocs-material's instant navigation (document$) if that is ever switched on. */
(function () {
  "use strict";

  function draw(div) {
    if (div.dataset.drawn || !window.Plotly) return;
    var source = document.getElementById(div.dataset.figure);
    if (!source) return;
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(div, figure.data, figure.layout, figure.config || {});
    div.dataset.drawn = "1";
  }

  function drawAll() {
    var divs = document.querySelectorAll("div.sc-chart[data-figure]");
    if (!("IntersectionObserver" in window)) {
      divs.forEach(draw);
      return;
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          draw(entry.target);
        }
      });
    }, { rootMargin: "200px" });
    divs.forEach(function (div) { observer.observe(div); });
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(drawAll);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
