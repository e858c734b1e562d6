// Draws the leaderboard charts with plotly.js, on the website and in the offline HTML report
// alike. Every chart set on the page is an element marked `data-chart-set` that holds three
// `[data-chart=history|duration|tradeoff]` elements and its data in a
// `<script type="application/json" class="chart-data">` block (data, never run: CSP allows it).
// Every text (captions, durations, interval wording) comes from that data: written once, in
// Python (podium/report/charts.py and durations.py).
(function () {
  "use strict";
  var palette = ["#2f5bea", "#e4572e", "#17a589", "#f0a202", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#d35400", "#2c3e50"];

  // plotly reads text as a little HTML (<b>, <br>, entities): a team name is text, never markup
  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  // a long team name on the bars' axis wraps at spaces instead of squeezing the bars
  function wrapped(name, width) {
    var lines = [], line = "";
    String(name).split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; } else { line = line ? line + " " + word : word; }
    });
    lines.push(line);
    return lines.map(esc).join("<br>");
  }

  // a name cut at a word to `most` characters with an ellipsis: on a phone or a wall a
  // 52-character name beside a point or in a legend could only be cut off by the chart's
  // edge (the hover and the table beside the charts say it whole)
  function short(name, most) {
    name = String(name);
    if (name.length <= most) { return name; }
    var cut = name.slice(0, most - 1), space = cut.lastIndexOf(" ");
    return (space > most / 2 ? cut.slice(0, space) : cut) + "\u2026";
  }

  // [low, high] of the values (log10 of them on a log axis), padded by shares of the span
  function padded(values, log, below, above) {
    var v = values.filter(function (x) { return !log || x > 0; }).map(function (x) { return log ? Math.log10(x) : x; });
    var lo = Math.min.apply(null, v), hi = Math.max.apply(null, v);
    var span = hi - lo || (log ? 0.5 : Math.max(Math.abs(hi) * 0.2, 1));
    return [lo - below * span, hi + above * span];
  }

  // Widens the axes until every text label of the plot lies inside its plot area: plotly sizes
  // ranges by the markers alone, so a name next to a point at an edge used to be cut off.
  // Widening shrinks the scale, which moves labels inward; a few passes settle it, when the
  // labels can fit at all. Bounded three ways, so that no plot size can hang a page: at most
  // FIT_PASSES relayouts; no fit when a label is about as large as the plot area (no range
  // puts it inside); no range wider than FIT_GROWTH times the span the plot was first fitted
  // with, however often the window is resized. A pass used to widen by overflow over area
  // (76 px over a 2 px area): on a log axis, with a tick per power of ten, the range reached
  // 10^2874 in two passes and plotly drew and measured ticks without end (the huddle never
  // loaded on a phone).
  var FIT_PASSES = 8, FIT_GROWTH = 3, FIT_GAP = 6;

  function span(range) { return Math.abs(range[1] - range[0]); }

  function keepLabelsInside(gd, passes, limit) {  // limit: the widest spans, set once a plot
    var area = gd.querySelector(".nsewdrag");
    if (!area || passes <= 0) { return Promise.resolve(); }
    var box = area.getBoundingClientRect(), over = { l: 0, r: 0, t: 0, b: 0 }, wide = 0, tall = 0;
    Array.prototype.forEach.call(gd.querySelectorAll(".scatterlayer .textpoint text"), function (node) {
      var b = node.getBoundingClientRect();
      if (!b.width && !b.height) { return; }  // a point outside a zoomed range is hidden
      wide = Math.max(wide, b.width); tall = Math.max(tall, b.height);
      over.l = Math.max(over.l, box.left - b.left); over.r = Math.max(over.r, b.right - box.right);
      over.t = Math.max(over.t, box.top - b.top); over.b = Math.max(over.b, b.bottom - box.bottom);
    });
    if (Math.max(over.l, over.r, over.t, over.b) <= 0) { return Promise.resolve(); }
    if (wide + 2 * FIT_GAP >= box.width || tall + 2 * FIT_GAP >= box.height) {
      return Promise.resolve();
    }
    var x = gd.layout.xaxis.range.slice(), y = gd.layout.yaxis.range.slice();
    if (!limit.x) { limit.x = FIT_GROWTH * span(x); limit.y = FIT_GROWTH * span(y); }
    var ux = (x[1] - x[0]) / box.width, uy = (y[1] - y[0]) / box.height;
    if (over.l > 0) { x[0] -= (over.l + FIT_GAP) * ux; }
    if (over.r > 0) { x[1] += (over.r + FIT_GAP) * ux; }
    if (over.b > 0) { y[0] -= (over.b + FIT_GAP) * uy; }
    if (over.t > 0) { y[1] += (over.t + FIT_GAP) * uy; }
    if (!(span(x) <= limit.x && span(y) <= limit.y)) { return Promise.resolve(); }  // NaN too
    return Plotly.relayout(gd, { "xaxis.range": x, "yaxis.range": y }).then(function () {
      return keepLabelsInside(gd, passes - 1, limit);
    });
  }

  // Fits once drawn, and again once the window has been resized to a new plot size. Never on
  // `plotly_relayout`: plotly emits it for its own redraws too (automargin, responsive
  // resizes), and a fit that answered them relayouted again, forever, on narrow screens (the
  // huddle hung below about 540 px). A fit runs at most once per plot size and never twice at once.
  function fitLabels(gd) {
    var fitted = "", busy = false, timer = null, limit = {};
    function size() {
      var area = gd.querySelector(".nsewdrag");
      if (!area) { return ""; }
      var box = area.getBoundingClientRect();
      return Math.round(box.width) + "x" + Math.round(box.height);
    }
    function fit() {
      if (busy || size() === fitted) { return Promise.resolve(); }
      busy = true;
      return keepLabelsInside(gd, FIT_PASSES, limit).then(
        function () { fitted = size(); busy = false; }, function () { busy = false; });
    }
    window.addEventListener("resize", function () {
      clearTimeout(timer);  // after plotly's own resize (responsive: true) has settled
      timer = setTimeout(function () { Plotly.Plots.resize(gd).then(fit); }, 250);
    });
    return fit();
  }

  function drawSet(d, set) {
    function at(name) { return set.querySelector('[data-chart="' + name + '"]'); }
    var wall = document.body.classList.contains("screen-wall");
    var font = { family: "system-ui, sans-serif", size: wall ? 18 : 13, color: "#1d2330" };
    var colour = {};
    d.teams.forEach(function (t, i) { colour[t] = palette[i % palette.length]; });
    // names as long as a plot area takes (a character is about 0.6 em): whole on a laptop
    var room = Math.floor((at("tradeoff").clientWidth - 80) / (0.6 * font.size));
    var most = Math.max(12, wall ? Math.min(20, room) : room);
    var names = d.teams.map(function (t) { return esc(short(t, most)); });
    var log = Boolean(d.log_duration_axis);
    var axis = wall ? d.duration_axis_short : d.duration_axis;  // the laptop view names the hardware
    var base = { font: font, margin: { l: 20, r: 20, t: 10, b: 20 }, paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)", legend: { orientation: "h", x: 0, xanchor: "left", yanchor: "bottom", y: 1.02 } };
    var cfg = { displayModeBar: false, responsive: true, staticPlot: false };
    var drawn = [];

    var history = Object.keys(d.history).map(function (team) {
      var pts = d.history[team];
      return { x: pts.map(function (p) { return p[0]; }), y: pts.map(function (p) { return p[1]; }),
        name: esc(short(team, most)), mode: "lines+markers", cliponaxis: false,
        hovertemplate: esc(team) + ": %{y:.2f} (attempt %{x})<extra></extra>",
        line: { width: 3, color: colour[team] }, marker: { size: 9 } };
    });
    drawn.push(Plotly.newPlot(at("history"), history, Object.assign({}, base, {
      xaxis: { title: { text: "attempt" }, dtick: 1, gridcolor: "#eee", automargin: true },
      yaxis: { title: { text: "overall score" }, gridcolor: "#eee", automargin: true } }), cfg));

    // fastest on top; whiskers are the median's interval (hover says how sure it is), and the
    // duration as written everywhere (`1.23 s ±4%`) stands right of its whisker
    var order = d.teams.map(function (t, i) { return i; }).sort(function (a, b) { return d.duration[a] - d.duration[b]; });
    var bars = at("duration");
    var rows = order.map(function (i) { return wrapped(short(d.teams[i], most), 20); });
    drawn.push(Plotly.newPlot(bars, [{
      type: "bar", orientation: "h", y: rows, x: order.map(function (i) { return d.duration[i]; }),
      marker: { color: order.map(function (i) { return colour[d.teams[i]]; }) },
      error_x: { type: "data", symmetric: false, color: "#1d2330", thickness: 1.5, width: wall ? 8 : 5,
        array: order.map(function (i) { return d.duration_high[i] - d.duration[i]; }),
        arrayminus: order.map(function (i) { return d.duration[i] - d.duration_low[i]; }) },
      customdata: order.map(function (i) { return [d.duration_text[i], d.duration_title[i], esc(d.teams[i])]; }),
      hovertemplate: "%{customdata[2]}: %{customdata[0]}<br>%{customdata[1]}<extra></extra>"
    }, {
      type: "scatter", mode: "text", y: rows, x: order.map(function (i) { return d.duration_high[i]; }),
      // on a wall the bare figure: `1.23 s ±4%` does not fit beside a bar in a fifth of the screen
      text: order.map(function (i) { return "\u00a0\u00a0" + (wall ? d.duration_figure : d.duration_text)[i]; }),
      textposition: "middle right",
      cliponaxis: false, hoverinfo: "skip"
    }], Object.assign({}, base, { showlegend: false,
        xaxis: { title: { text: axis }, type: log ? "log" : "linear",
          dtick: log ? 1 : undefined,  // powers of ten: 0.1, 1, 10
          rangemode: log ? "normal" : "tozero", gridcolor: "#eee", automargin: true },
        yaxis: { autorange: "reversed", automargin: true } }), cfg).then(function () { return fitLabels(bars); }));

    // score against duration; the Pareto front is a line through its teams, fastest first
    var front = {};
    d.pareto.forEach(function (t) { front[t] = true; });
    var index = {};
    d.teams.forEach(function (t, i) { index[t] = i; });
    var xr = padded(d.duration_low.concat(d.duration_high, d.duration), log, 0.08, 0.08);
    var yr = padded(d.overall, false, 0.12, 0.3);
    function place(i) {
      var x = log ? Math.log10(d.duration[i]) : d.duration[i];
      var share = (x - xr[0]) / (xr[1] - xr[0]);
      return share < 0.3 ? "top right" : share > 0.7 ? "top left" : "top center";
    }
    var traces = d.pareto.length > 1 ? [{
      x: d.pareto.map(function (t) { return d.duration[index[t]]; }),
      y: d.pareto.map(function (t) { return d.overall[index[t]]; }),
      mode: "lines", line: { color: "#1d2330", width: 1.5, dash: "dot" }, hoverinfo: "skip", name: "Pareto front"
    }] : [];
    traces = traces.concat(d.teams.map(function (t, i) {
      var best = Boolean(front[t]);
      return { x: [d.duration[i]], y: [d.overall[i]], name: names[i], mode: "markers+text", text: [names[i]],
        textposition: place(i), cliponaxis: false,
        error_x: { type: "data", symmetric: false, color: colour[t], thickness: 1, width: 0,
          array: [d.duration_high[i] - d.duration[i]], arrayminus: [d.duration[i] - d.duration_low[i]] },
        marker: { size: wall ? 22 : 16, color: colour[t], symbol: best ? "diamond" : "circle",
          line: { width: best ? 2 : 0, color: "#1d2330" } },
        customdata: [[d.duration_text[i], d.duration_title[i], best ? "<br>on the Pareto front" : "", esc(t)]],
        hovertemplate: "%{customdata[3]}: %{y:.2f} in %{customdata[0]}<br>%{customdata[1]}%{customdata[2]}<extra></extra>" };
    }));
    var tradeoff = at("tradeoff");
    drawn.push(Plotly.newPlot(tradeoff, traces, Object.assign({}, base, { showlegend: false,
      // short axis titles (the caption says which way is better): a long one would not fit
      xaxis: { title: { text: axis }, type: log ? "log" : "linear",
        dtick: log ? 1 : undefined,  // powers of ten: 0.1, 1, 10
        range: xr, gridcolor: "#eee", automargin: true },
      yaxis: { title: { text: "overall score" }, range: yr, gridcolor: "#eee", automargin: true }
    }), cfg).then(function () { return fitLabels(tradeoff); }));
    return Promise.all(drawn);
  }

  function draw() {
    var blocks = document.querySelectorAll("script.chart-data");
    if (!blocks.length || typeof Plotly === "undefined") { return; }
    var sets = Array.prototype.map.call(blocks, function (node) {
      return drawSet(JSON.parse(node.textContent), node.closest("[data-chart-set]"));
    });
    // said once every chart is drawn and every label is in place (tests wait for it)
    Promise.all(sets).then(function () { document.body.setAttribute("data-charts", "drawn"); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
