/* The report pages' charts: each <canvas data-chart="ID"> is drawn with Chart.js (vendored, served
   from /static/vendor) from the JSON data island <script type="application/json" id="ID"> that the
   server rendered. No request is made: every number is in the page, and in the table under the chart. */
(function () {
  "use strict";

  function datasetOptions(spec, d) {
    var line = spec.type === "line";
    return {
      label: d.label,
      data: d.data,
      backgroundColor: d.color,
      borderColor: d.color,
      borderWidth: line ? 2 : 0,
      pointRadius: line ? 4 : 0,
      pointHoverRadius: line ? 6 : 0,
      spanGaps: true,
      fill: false
    };
  }

  function axis(spec, title, isY) {
    var a = {
      stacked: !!spec.stacked,
      title: { display: !!title, text: title || "" },
      grid: { display: isY }
    };
    if (isY) {
      a.beginAtZero = true;
      if (spec.yMax !== null && spec.yMax !== undefined) { a.max = spec.yMax; }
      if (spec.integer) { a.ticks = { precision: 0 }; }
    }
    return a;
  }

  function config(spec) {
    return {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (d) { return datasetOptions(spec, d); })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 14 } },
          tooltip: {
            callbacks: {
              label: function (item) {
                var v = item.parsed.y;
                if (v === null || v === undefined) { return null; }
                return item.dataset.label + ": " + (spec.integer ? v : v.toFixed(3));
              }
            }
          }
        },
        scales: { x: axis(spec, spec.xTitle, false), y: axis(spec, spec.yTitle, true) }
      }
    };
  }

  function drawAll() {
    if (typeof window.Chart === "undefined") { return; } // the tables still hold every number
    var style = window.getComputedStyle(document.body);
    window.Chart.defaults.font.family = style.fontFamily;
    window.Chart.defaults.color = style.color;
    var canvases = document.querySelectorAll("canvas[data-chart]");
    Array.prototype.forEach.call(canvases, function (canvas) {
      var island = document.getElementById(canvas.getAttribute("data-chart"));
      if (!island) { return; }
      var spec = JSON.parse(island.textContent);
      new window.Chart(canvas, config(spec));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
