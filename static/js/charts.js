// Draws every [data-chart] element from the JSON next to it (json_script), on page load and
// after each htmx swap. No inline scripts: the pages run under a strict CSP.
(function () {
  function draw(root) {
    if (!window.Plotly) return;
    root.querySelectorAll("[data-chart]").forEach(function (element) {
      var source = document.getElementById(element.dataset.chart);
      if (!source) return;
      var figure = JSON.parse(source.textContent);
      window.Plotly.react(element, figure.data, figure.layout,
        { responsive: true, displaylogo: false, displayModeBar: false });
      element.dataset.drawn = "true";
    });
  }
  if (window.htmx) {
    window.htmx.onLoad(draw);
  } else {
    document.addEventListener("DOMContentLoaded", function () { draw(document); });
  }
})();
