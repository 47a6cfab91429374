// The focus scene's timeline: mentions per minute (bars) and net sentiment (line, −100..+100) over the
// last 60 minutes, from a metrics message's `series`, drawn with the vendored uPlot.
//
// Hook: the container gets data-points (minutes drawn) and data-total (mentions in the hour).

import uPlot from "../vendor/uplot/uPlot.esm.js";
import { setAttr } from "./dom.js";
import { axisTimes, isNum } from "./format.js";

function remPx() {
  return parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
}

/** uPlot's data from a metrics message: [times s, counts, net on −100..+100 (null for empty minutes)]. */
export function timelineData(metrics) {
  const s = metrics && metrics.series;
  const counts = s && Array.isArray(s.count) ? s.count : [];
  const nets = s && Array.isArray(s.net) ? s.net : [];
  const start = s && isNum(s.start_ts) ? s.start_ts : 0;
  const step = s && isNum(s.step_s) && s.step_s > 0 ? s.step_s : 60;
  const xs = counts.map((_, i) => start + i * step);
  const ys = counts.map((c) => (isNum(c) ? c : 0));
  const net = counts.map((_, i) => (isNum(nets[i]) ? Math.round(nets[i] * 100) : null));
  return [xs, ys, net];
}

export function createTimeline(container, timeZone) {
  let plot = null;
  let data = [[], [], []];

  function size() {
    const box = container.getBoundingClientRect();
    return { width: Math.max(50, Math.floor(box.width)), height: Math.max(50, Math.floor(box.height)) };
  }

  function build() {
    const rem = remPx();
    const font = `${Math.round(rem * 0.95)}px Inter, "Segoe UI", Roboto, Arial, sans-serif`;
    const axis = { stroke: "#8a97a8", font, size: rem * 3.2, gap: rem * 0.4, ticks: { stroke: "#1d2633" } };
    const opts = {
      ...size(),
      legend: { show: false },
      cursor: { show: false },
      padding: [rem * 0.6, rem * 0.4, 0, rem * 0.4],
      scales: {
        x: { time: true },
        count: { range: (_u, _min, max) => [0, Math.max(5, Math.ceil((max || 0) * 1.15))] },
        net: { range: [-100, 100] },
      },
      axes: [
        { ...axis, grid: { stroke: "#17202b", width: 1 }, space: rem * 6, values: (_u, splits) => axisTimes(splits) },
        { ...axis, scale: "count", grid: { stroke: "#17202b", width: 1 }, values: (_u, vals) => vals.map(String) },
        {
          ...axis,
          scale: "net",
          side: 1,
          grid: { show: false },
          stroke: "#f5b53d",
          values: (_u, vals) => vals.map((v) => (v > 0 ? "+" + v : v < 0 ? "\u2212" + -v : "0")),
        },
      ],
      series: [
        {},
        {
          label: "mentions per minute",
          scale: "count",
          paths: uPlot.paths.bars({ size: [0.8, 60] }),
          fill: "rgba(76, 201, 240, 0.55)",
          stroke: "#4cc9f0",
          width: 0,
        },
        { label: "net sentiment", scale: "net", stroke: "#f5b53d", width: rem * 0.2, spanGaps: false, points: { show: false } },
      ],
    };
    if (timeZone) opts.tzDate = (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone);
    plot = new uPlot(opts, data, container);
  }

  return {
    /** Draw this watchlist's metrics (the scene must be visible so the box has a size). */
    set(metrics) {
      data = timelineData(metrics);
      const total = data[1].reduce((a, b) => a + b, 0);
      setAttr(container, "data-points", data[0].length);
      setAttr(container, "data-total", total);
      if (!plot) build();
      else plot.setData(data);
    },
    resize() {
      if (plot) plot.setSize(size());
    },
    destroy() {
      if (plot) plot.destroy();
      plot = null;
    },
  };
}
