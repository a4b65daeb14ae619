// Barometer charts (Chart.js from npm), drawn from GET /api/v1/barometer/charts.
// A month or group with too few answers has value null: Chart.js leaves a gap, never a number.
(function () {
  "use strict";
  var section = document.getElementById("charts");
  if (!section || typeof Chart === "undefined") return;
  var labels = JSON.parse(document.getElementById("barometer-labels").textContent);
  var reference = parseFloat(section.getAttribute("data-reference")) * 100;

  function pct(figure) {
    return figure && figure.value !== null ? Math.round(figure.value * 1000) / 10 : null;
  }
  function hours(figure) {
    return figure && figure.value !== null ? Math.round(figure.value / 36) / 100 : null;
  }
  function referenceLine(count) {
    var data = [];
    for (var i = 0; i < count; i++) data.push(reference);
    return {
      label: labels.reference,
      data: data,
      borderColor: "#57606a",
      borderDash: [6, 4],
      pointRadius: 0,
      borderWidth: 2,
    };
  }
  var percentAxis = { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + " %"; } } } };

  fetch(section.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
    .then(function (data) {
      var months = data.trend.months;
      var s = data.trend.series;
      new Chart(document.getElementById("chart-trend"), {
        type: "line",
        data: {
          labels: months,
          datasets: [
            { label: labels.expectations_met, data: s.expectations_met.map(pct), borderColor: "#0b5cad", spanGaps: false },
            { label: labels.csat, data: s.csat.map(pct), borderColor: "#0b6b3a", spanGaps: false },
            { label: labels.fcr, data: s.fcr.map(pct), borderColor: "#8250df", spanGaps: false },
            referenceLine(months.length),
          ],
        },
        options: { scales: percentAxis, animation: false },
      });
      new Chart(document.getElementById("chart-frt"), {
        type: "line",
        data: { labels: months, datasets: [{ label: labels.frt, data: s.first_response_seconds_median.map(hours), borderColor: "#bc4c00" }] },
        options: { animation: false, scales: { y: { min: 0 } } },
      });
      var csat = data.distribution.csat;
      new Chart(document.getElementById("chart-csat"), {
        type: "bar",
        data: { labels: ["1", "2", "3", "4", "5"], datasets: [{ label: labels.answers, data: [csat[1], csat[2], csat[3], csat[4], csat[5]], backgroundColor: ["#a40e26", "#d1242f", "#9a6700", "#2da44e", "#0b6b3a"] }] },
        options: { animation: false, plugins: { legend: { display: false } } },
      });
      [["chart-channel", data.by_channel], ["chart-team", data.by_team]].forEach(function (pair) {
        var groups = pair[1];
        new Chart(document.getElementById(pair[0]), {
          type: "bar",
          data: {
            labels: groups.map(function (g) { return g.label; }),
            datasets: [
              { type: "bar", label: labels.expectations_met, data: groups.map(function (g) { return pct(g.expectations_met); }), backgroundColor: "#0b5cad" },
              Object.assign(referenceLine(groups.length), { type: "line" }),
            ],
          },
          options: { animation: false, scales: percentAxis },
        });
      });
      section.setAttribute("data-drawn", "1");
    })
    .catch(function () { section.setAttribute("data-drawn", "failed"); });
})();
