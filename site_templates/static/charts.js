/* Draw every chart of a page with plotly.js (served once for the whole site).
 * A chart is a <div class="sc-chart" data-figure="ID"> plus <script type="application/json"
 * id="ID"> holding {data, layout}. The look shared by all charts (BASE_LAYOUT, CONFIG, and the
 * defaults of each role of trace, annotation and shape, ROLES: the same objects as in
 * scorecard/charts.py) is merged in here, so each page carries only its own data.
 * Charts are drawn when they scroll into view, all at once before printing, and again after
 * mkdocs-material's instant navigation (document$) if that is ever switched on. */
(function () {
  "use strict";

  // BASE_LAYOUT, CONFIG, ROLES and DARK_COLOURS: keep in step with scorecard/charts.py (a test compares them).
  var BASE_LAYOUT = {"font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13}, "margin": {"l": 60, "r": 20, "t": 10, "b": 50}, "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", "xaxis": {"gridcolor": "#e0e0e0", "automargin": true}, "yaxis": {"gridcolor": "#e0e0e0", "automargin": true}, "legend": {"orientation": "h", "y": -0.3}, "hovermode": "x unified"};
  var CONFIG = {"displayModeBar": false, "responsive": true};
  var ROLES = {"trace": {"entity": {"mode": "lines+markers", "line": {"color": "#0072B2", "dash": "solid", "width": 2.5}, "marker": {"color": "#0072B2", "symbol": "circle", "size": 8}, "connectgaps": false, "error_y": {"type": "data", "thickness": 1.2, "width": 4, "color": "#0072B2"}}, "program": {"mode": "lines+markers", "line": {"color": "#A35F00", "dash": "dash", "width": 2.5}, "marker": {"color": "#A35F00", "symbol": "square", "size": 8}, "connectgaps": false}, "swatch": {"mode": "lines", "x": [null], "y": [null], "fill": "toself", "fillcolor": "rgba(86,180,233,0.4)", "line": {"width": 1, "color": "#3B82B8"}, "hoverinfo": "skip"}}, "annotation": {"ytitle": {"xref": "paper", "yref": "paper", "x": 0, "y": 1, "xanchor": "left", "yanchor": "bottom", "showarrow": false, "font": {"size": 12}}}, "shape": {"band": {"type": "path", "xref": "x", "yref": "y", "fillcolor": "rgba(86,180,233,0.4)", "line": {"width": 1, "color": "#3B82B8"}, "layer": "below"}}};
  // the dark theme's stand-ins for colours too dark on its background (DARK_COLOURS)
  var DARK_COLOURS = {"#A35F00": "#E69F00", "#0072B2": "#62B0F0", "#1f5f8b": "#7fc4f0", "#a33f00": "#ff9d66"};
  var OPTIONAL_PARTS = ["error_x", "error_y"];

  function merge(base, own) {
    var out = {};
    Object.keys(base).forEach(function (k) { out[k] = base[k]; });
    Object.keys(own || {}).forEach(function (k) {
      var a = out[k], b = own[k];
      var plain = function (v) { return v && typeof v === "object" && !Array.isArray(v); };
      out[k] = plain(a) && plain(b) ? merge(a, b) : b;
    });
    return out;
  }

  // Put back what a piece's role says (figure_json left it out: see charts.py ROLES).
  function expand(item, defaults) {
    if (!defaults) return item;
    var base = {};
    Object.keys(defaults).forEach(function (k) {
      if (OPTIONAL_PARTS.indexOf(k) < 0 || item[k]) base[k] = defaults[k];
    });
    return merge(base, item);
  }

  // Quarters on a category axis: 'Q1' over '2025' on the first quarter of each year only.
  function quarterTicks(data, layout) {
    var x = data.length && data[0].x;
    var quarter = /^(\d{4}) (Q[1-4])$/;
    if (!x || layout.xaxis.type !== "category" || !x.every(function (v) { return quarter.test(v); })) return;
    layout.xaxis.tickmode = "array";
    layout.xaxis.tickvals = x;
    layout.xaxis.ticktext = x.map(function (v, i) {
      var m = quarter.exec(v);
      return i === 0 || m[2] === "Q1" ? m[2] + "<br>" + m[1] : m[2];
    });
    layout.xaxis.tickangle = 0;
  }

  // Swap the colours too dark on the dark theme's background for their stand-ins.
  function inDark(value) {
    var text = JSON.stringify(value);
    Object.keys(DARK_COLOURS).forEach(function (colour) {
      text = text.replace(new RegExp(colour, "gi"), DARK_COLOURS[colour]);
    });
    return JSON.parse(text);
  }

  function draw(div) {
    if (div.dataset.drawn || !window.Plotly) return;
    var source = document.getElementById(div.dataset.figure);
    if (!source) return;
    var figure = JSON.parse(source.textContent);
    var data = figure.data.map(function (t) { return expand(t, ROLES.trace[t.meta]); });
    var layout = merge(BASE_LAYOUT, figure.layout);
    ["annotations", "shapes"].forEach(function (key, i) {
      var kind = i ? "shape" : "annotation";
      if (layout[key]) layout[key] = layout[key].map(function (a) { return expand(a, ROLES[kind][a.name]); });
    });
    quarterTicks(data, layout);
    if (document.body.getAttribute("data-md-color-scheme") === "slate") {
      layout = merge(layout, {font: {color: "#e0e0e0"}, xaxis: {gridcolor: "#555"}, yaxis: {gridcolor: "#555"}});
      data = inDark(data);
      layout = inDark(layout);
    }
    window.Plotly.newPlot(div, data, layout, merge(CONFIG, figure.config));
    div.dataset.drawn = "1";
  }

  function charts() {
    return document.querySelectorAll("div.sc-chart[data-figure]");
  }

  function drawAll() {
    var divs = charts();
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

  // A printed page must show every chart, not only those scrolled past.
  window.addEventListener("beforeprint", function () {
    charts().forEach(draw);
    charts().forEach(function (div) { if (window.Plotly) window.Plotly.Plots.resize(div); });
  });

  // mkdocs-material's version menu names itself "Select version" but shows the version: give it
  // a name that includes what it shows (WCAG 2.5.3, label in name).
  function nameVersionMenu() {
    var current = document.querySelector(".md-version__current");
    if (current && !current.dataset.named) {
      var label = current.getAttribute("aria-label") || "Select version";
      current.setAttribute("aria-label", current.textContent.trim() + ": " + label.toLowerCase());
      current.dataset.named = "1";
    }
    return Boolean(current);
  }
  if (!nameVersionMenu() && "MutationObserver" in window) {
    var header = document.querySelector(".md-header__topic") || document.body;
    var watcher = new MutationObserver(function () { if (nameVersionMenu()) watcher.disconnect(); });
    watcher.observe(header, { childList: true, subtree: true });
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(drawAll);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
