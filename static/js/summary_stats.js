/* Stats tab: draws one bar/line chart per canvas[data-scope][data-metric] from #stats-series. */
(function () {
  "use strict";
  function draw() {
    const source = document.getElementById("stats-series");
    if (!source || typeof Chart === "undefined") return;
    const series = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-scope][data-metric]").forEach(canvas => {
      if (canvas.dataset.drawn) return;
      canvas.dataset.drawn = "1";
      const data = series[canvas.dataset.scope];
      const metric = canvas.dataset.metric;
      const line = metric === "asr" || metric === "acd";
      new Chart(canvas, {
        type: line ? "line" : "bar",
        data: {labels: data.labels, datasets: [{data: data[metric], borderColor: "#2563eb",
          backgroundColor: line ? "rgba(37,99,235,.12)" : "#93c5fd", fill: line, tension: .25,
          pointRadius: 0, borderWidth: line ? 2 : 0}]},
        options: {maintainAspectRatio: false, animation: false, plugins: {legend: {display: false}},
          scales: {x: {ticks: {maxTicksLimit: 8, font: {size: 10}}, grid: {display: false}},
                   y: {beginAtZero: true, ticks: {font: {size: 10}}}}},
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
  document.body.addEventListener("htmx:afterSettle", draw);
})();
