// A history chart: mentions per step (bars) and net sentiment (line, −100..+100), drawn with the vendored
// uPlot, for the wall's history scenes and the console's history panel. Data comes from
// history.js historySeries(): [times s, counts, net or null].
//
// Hook: the container gets data-points (steps drawn) and data-total (mentions in the period).

import uPlot from "../vendor/uplot/uPlot.esm.js";
import { setAttr } from "./dom.js";
import { axisLabel } from "./history.js";

function remPx() {
  return parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
}

function signed(v) {
  return v > 0 ? "+" + v : v < 0 ? "\u2212" + -v : "0";
}

/** `fontRem`: axis labels in rem (the wall reads from across a room, the console from a desk). */
export function createHistoryChart(container, { timeZone = null, fontRem = 0.95, label = "mentions" } = {}) {
  let plot = null;
  let data = [[], [], []];

  function size() {
    const box = container.getBoundingClientRect();
    return { width: Math.max(50, Math.floor(box.width)), height: Math.max(50, Math.floor(box.height)) };
  }

  function build() {
    const rem = remPx();
    const font = `${Math.round(rem * fontRem)}px Inter, "Segoe UI", Roboto, Arial, sans-serif`;
    const axis = { stroke: "#8a97a8", font, size: rem * fontRem * 3.4, gap: rem * 0.3, ticks: { stroke: "#1d2633" } };
    const opts = {
      ...size(),
      legend: { show: false },
      cursor: { show: false },
      padding: [rem * 0.5, rem * 0.3, 0, rem * 0.3],
      scales: {
        // A step's bar spans [start, start + step): the last one is drawn whole, not cut at its start.
        x: {
          time: true,
          range: (u, min, max) => {
            const xs = u.data[0];
            const step = xs.length > 1 ? xs[1] - xs[0] : 3600;
            return [min, max + step];
          },
        },
        count: { range: (_u, _min, max) => [0, Math.max(5, Math.ceil((max || 0) * 1.15))] },
        net: { range: [-100, 100] },
      },
      axes: [
        {
          ...axis,
          size: rem * fontRem * 2.2,
          grid: { stroke: "#17202b", width: 1 },
          space: rem * fontRem * 5,
          values: (u, ticks) => {
            const xs = u.data[0];
            const manyDays = xs.length > 1 && xs[xs.length - 1] - xs[0] > 2 * 86_400;
            return ticks.map((t) => axisLabel(t, timeZone, manyDays));
          },
        },
        { ...axis, scale: "count", grid: { stroke: "#17202b", width: 1 }, space: rem * fontRem * 2, values: (_u, vals) => vals.map(String) },
        // wide enough for "−100" after its tick
        { ...axis, scale: "net", side: 1, size: rem * fontRem * 4.2, grid: { show: false }, stroke: "#f5b53d", space: rem * fontRem * 2, values: (_u, vals) => vals.map(signed) },
      ],
      series: [
        {},
        {
          label,
          scale: "count",
          paths: uPlot.paths.bars({ size: [0.8, 80], align: 1 }),
          fill: "rgba(76, 201, 240, 0.55)",
          stroke: "#4cc9f0",
          width: 0,
          points: { show: false },
        },
        {
          label: "net sentiment",
          scale: "net",
          stroke: "#f5b53d",
          width: rem * 0.2,
          spanGaps: false,
          // dots, so a step between two silent ones still shows its sentiment
          points: { show: true, size: rem * 0.55, fill: "#f5b53d", stroke: "#f5b53d" },
        },
      ],
    };
    if (timeZone) opts.tzDate = (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone);
    plot = new uPlot(opts, data, container);
  }

  /** Fit the plot to its container, unless the container is hidden (no size to fit). */
  function fit() {
    const box = container.getBoundingClientRect();
    if (!plot || !box.width || !box.height) return;
    const next = size();
    if (next.width !== plot.width || next.height !== plot.height) plot.setSize(next);
  }

  // A chart drawn while hidden (the console's History tab loads before it is opened) fits once shown.
  const observer = new ResizeObserver(fit);
  observer.observe(container);

  return {
    /** Draw these series (the container must be shown so it has a size). */
    set(series) {
      data = series;
      setAttr(container, "data-points", data[0].length);
      setAttr(container, "data-total", data[1].reduce((a, b) => a + b, 0));
      if (!plot) build();
      else plot.setData(data);
    },
    resize: fit,
    destroy() {
      observer.disconnect();
      if (plot) plot.destroy();
      plot = null;
    },
  };
}
