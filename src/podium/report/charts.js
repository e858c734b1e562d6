// Draws the leaderboard charts with plotly.js, on the website and in the offline HTML report
// alike. Every chart set on the page is an element marked `data-chart-set` that holds three
// `[data-chart=history|duration|tradeoff]` elements and its data in a
// `<script type="application/json" class="chart-data">` block (data, never run: CSP allows it).
(function () {
  "use strict";
  var palette = ["#2f5bea", "#e4572e", "#17a589", "#f0a202", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#d35400", "#2c3e50"];

  function drawSet(d, set) {
    function at(name) { return set.querySelector('[data-chart="' + name + '"]'); }
    var wall = document.body.classList.contains("screen-wall");
    var font = { family: "system-ui, sans-serif", size: wall ? 18 : 13, color: "#1d2330" };
    var colour = {};
    d.teams.forEach(function (t, i) { colour[t] = palette[i % palette.length]; });
    var base = { font: font, margin: { l: wall ? 100 : 70, r: 20, t: 10, b: wall ? 70 : 50 }, paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)", legend: { orientation: "h", y: -0.25 } };
    var cfg = { displayModeBar: false, responsive: true, staticPlot: false };

    var history = Object.keys(d.history).map(function (team) {
      var pts = d.history[team];
      return { x: pts.map(function (p) { return p[0]; }), y: pts.map(function (p) { return p[1]; }),
        name: team, mode: "lines+markers", line: { width: 3, color: colour[team] }, marker: { size: 9 } };
    });
    Plotly.newPlot(at("history"), history, Object.assign({}, base, {
      xaxis: { title: { text: "attempt" }, dtick: 1, gridcolor: "#eee" },
      yaxis: { title: { text: "overall score" }, gridcolor: "#eee" } }), cfg);

    var order = d.teams.map(function (t, i) { return i; }).sort(function (a, b) { return d.duration[a] - d.duration[b]; });
    Plotly.newPlot(at("duration"), [{
      type: "bar", orientation: "h",
      y: order.map(function (i) { return d.teams[i]; }), x: order.map(function (i) { return d.duration[i]; }),
      marker: { color: order.map(function (i) { return colour[d.teams[i]]; }) },
      error_x: { type: "data", symmetric: false, color: "#555",
        array: order.map(function (i) { return d.duration_max[i] - d.duration[i]; }),
        arrayminus: order.map(function (i) { return d.duration[i] - d.duration_min[i]; }) },
      text: order.map(function (i) { return d.duration[i].toFixed(2) + " s"; }), textposition: "auto",
      hovertemplate: "%{y}: %{x:.3f} s<extra></extra>" }],
      Object.assign({}, base, { margin: { l: 130, r: 20, t: 10, b: 50 }, showlegend: false,
        xaxis: { title: { text: "seconds on " + d.hardware }, rangemode: "tozero", gridcolor: "#eee" },
        yaxis: { autorange: "reversed" } }), cfg);

    Plotly.newPlot(at("tradeoff"), d.teams.map(function (t, i) {
      return { x: [d.duration[i]], y: [d.overall[i]], name: t, mode: "markers+text", text: [t],
        textposition: "top center", marker: { size: wall ? 22 : 16, color: colour[t] },
        hovertemplate: t + ": %{y:.2f} in %{x:.2f} s<extra></extra>" };
    }), Object.assign({}, base, { showlegend: false,
      xaxis: { title: { text: "test-phase duration (s), less is better" }, rangemode: "tozero", gridcolor: "#eee" },
      yaxis: { title: { text: "overall score, more is better" }, gridcolor: "#eee" } }), cfg);
  }

  function draw() {
    var blocks = document.querySelectorAll("script.chart-data");
    if (!blocks.length || typeof Plotly === "undefined") { return; }
    Array.prototype.forEach.call(blocks, function (node) {
      drawSet(JSON.parse(node.textContent), node.closest("[data-chart-set]"));
    });
    document.body.setAttribute("data-charts", "drawn");
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
