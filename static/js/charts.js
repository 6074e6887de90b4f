// Draws every [data-chart] element from the JSON next to it (json_script), on page load and
// after each htmx swap. No inline scripts: the pages run under a strict CSP.
// The figures carry no text or grid colours: they come from the page's CSS variables
// (static/css/app.css), so charts follow the light or dark theme and redraw when it changes.
(function () {
  function theme() {
    var style = getComputedStyle(document.documentElement);
    function value(name, fallback) { return style.getPropertyValue(name).trim() || fallback; }
    return {
      ink: value("--ink", "#1d2330"),
      line: value("--line", "#e3e6ee"),
      card: value("--card", "#ffffff")
    };
  }

  function themed(figure) {
    var colours = theme();
    var layout = Object.assign({}, figure.layout);
    layout.font = Object.assign({}, layout.font, { color: colours.ink });
    layout.hoverlabel = Object.assign({}, layout.hoverlabel, {
      bgcolor: colours.card, bordercolor: colours.line, font: { color: colours.ink }
    });
    ["xaxis", "yaxis"].concat(Object.keys(layout).filter(function (key) {
      return /^[xy]axis\d+$/.test(key);
    })).forEach(function (key) {
      layout[key] = Object.assign({}, layout[key], {
        gridcolor: colours.line, linecolor: colours.line, zerolinecolor: colours.line
      });
    });
    // a thin outline in the card's colour parts stacked bars, as plotly's white one did
    var data = figure.data.map(function (trace) {
      if (trace.type !== "bar") return trace;
      return Object.assign({}, trace, {
        marker: Object.assign({}, trace.marker, { line: { color: colours.card, width: 0.5 } })
      });
    });
    return { data: data, layout: layout };
  }

  function draw(root) {
    if (!window.Plotly) return;
    root.querySelectorAll("[data-chart]").forEach(function (element) {
      var source = document.getElementById(element.dataset.chart);
      if (!source) return;
      var figure = themed(JSON.parse(source.textContent));
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
  if (window.matchMedia) {
    var dark = window.matchMedia("(prefers-color-scheme: dark)");
    if (dark.addEventListener) dark.addEventListener("change", function () { draw(document); });
  }
})();
