// Jishi report charts. Every element with data-chart="ID" is drawn with
// Apache ECharts (vendor/echarts/echarts.min.js, loaded before this file)
// from the JSON in <script type="application/json" id="ID">:
//
//   {"title": "…", "type": "bar"|"line", "horizontal": false,
//    "categories": ["2025-04-01", …], "locale": "zh-CN"|"en", "currency": "CNY",
//    "series": [{"name": "…", "type": "line"?, "stack": "…"?, "data": [fen, …]}]}
//
// Amounts arrive in fen (integers, as in the ledger) and are shown in yuan.
// The pages' Content-Security-Policy allows scripts from /static/ only, so
// there is no inline script: the data is inert JSON, read here. The tables
// under each chart carry the same figures for readers without script.
(function () {
  "use strict";

  // yuan formats fen as "1,234.50" without floating-point rounding.
  function yuan(fen) {
    var n = Math.round(Number(fen) || 0);
    var neg = n < 0;
    if (neg) n = -n;
    var whole = String(Math.floor(n / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var cents = String(n % 100);
    if (cents.length < 2) cents = "0" + cents;
    return (neg ? "-" : "") + whole + "." + cents;
  }

  // axis labels: whole yuan.
  function axisYuan(fen) {
    return String(Math.round(Number(fen) / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function symbol(currency) {
    return currency === "CNY" || !currency ? "¥" : currency + " ";
  }

  function draw(el) {
    if (el.getAttribute("data-chart-ready") || typeof window.echarts === "undefined") return;
    var src = document.getElementById(el.getAttribute("data-chart"));
    if (!src) return;
    var d;
    try {
      d = JSON.parse(src.textContent);
    } catch (e) {
      return;
    }
    if (!d || !d.series || !d.series.length) return;
    var horizontal = !!d.horizontal;
    if (horizontal && d.categories.length > 6) {
      el.style.height = 60 + d.categories.length * 32 + "px";
    }
    var sym = symbol(d.currency);
    var chart = window.echarts.init(el, null, { renderer: "svg", locale: d.locale === "en" ? "EN" : "ZH" });
    var category = { type: "category", data: d.categories, axisTick: { alignWithLabel: true } };
    var value = { type: "value", axisLabel: { formatter: axisYuan } };
    if (horizontal) {
      category.inverse = true; // the largest first, at the top
    }
    chart.setOption({
      animation: false,
      color: ["#1f7a3d", "#e0a100", "#2f6fb0", "#b42318", "#7a4bb3", "#0f8b8d", "#c2571a", "#6b7280", "#d04a8c"],
      tooltip: {
        trigger: "axis",
        confine: true,
        valueFormatter: function (v) { return sym + yuan(v); }
      },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: d.series.map(function (s) {
        return {
          name: s.name,
          type: s.type || d.type || "bar",
          stack: s.stack || undefined,
          data: s.data,
          barMaxWidth: 36,
          showSymbol: (s.type || d.type) === "line" && s.data.length <= 62
        };
      })
    });
    el.setAttribute("data-chart-ready", "1");
    var pending;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { chart.resize(); }, 100);
    });
  }

  function init(root) {
    root.querySelectorAll("[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (e) { init(e.target); });
})();
