// Draws the dashboard's charts from the JSON the server embedded. Every
// chart also has a table, so the page works without this script.
(function () {
  function draw() {
    var el = document.getElementById("chart-data");
    if (!el || typeof Chart === "undefined") return;
    var d = JSON.parse(el.textContent);
    var font = getComputedStyle(document.body).fontFamily;
    Chart.defaults.font.family = font;
    Chart.defaults.animation = false;
    // Each canvas sits in a sized .chart box inside its card: follow the
    // box's width on resize, and its height rather than an aspect ratio,
    // so a chart never spills out of its card.
    Chart.defaults.responsive = true;
    Chart.defaults.maintainAspectRatio = false;
    var rtl = !!d.rtl;
    if (rtl) Chart.defaults.locale = "fa-IR";
    function bar(id, s, color, horizontal) {
      var c = document.getElementById(id);
      if (!c || !s) return;
      new Chart(c, {
        type: "bar",
        data: { labels: s.labels, datasets: [{ label: s.label, data: s.values, backgroundColor: color }] },
        options: { indexAxis: horizontal ? "y" : "x", plugins: { legend: { display: false, rtl: rtl } },
          scales: { x: { reverse: rtl && !horizontal }, y: { position: rtl ? "right" : "left", beginAtZero: true } } }
      });
    }
    bar("chart-dist", d.dist, "#c2410c", false);
    bar("chart-segments", d.segments, "#1d4ed8", true);
    var t = document.getElementById("chart-trend");
    if (t && d.trend) {
      new Chart(t, {
        type: "line",
        data: { labels: d.trend.labels, datasets: [
          { label: d.trend.names[0], data: d.trend.low, borderColor: "#166534" },
          { label: d.trend.names[1], data: d.trend.medium, borderColor: "#d97706" },
          { label: d.trend.names[2], data: d.trend.high, borderColor: "#dc2626" }] },
        options: { plugins: { legend: { rtl: rtl } }, scales: { x: { reverse: rtl }, y: { position: rtl ? "right" : "left", beginAtZero: true } } }
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
