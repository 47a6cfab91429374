// The grid of watchlist tiles. One tile per watchlist, in the model's order (by group), on a grid
// sized to the number of tiles; a tile only rewrites the text that changed.
//
// Hooks for browser tests:
//   [data-testid="tile"][data-watchlist="<id>"]   one per watchlist (also data-kind, data-group, data-tone)
//     [data-field="name"] [data-field="kind"] [data-field="group"]
//     [data-field="per-min"]      1m per_min, the big number
//     [data-field="per-min-15m"]  15m per_min
//     [data-field="net"]          5m net on -100..+100, data-tone="pos|neu|neg|none"
//     [data-field="share"]        15m share of voice, as %
//     [data-field="sparkline"]    60-minute bars; data-points (minutes), data-peak, data-last
//     [data-field="peak"]         the sparkline's peak, as text

import { createSparkline } from "./sparkline.js";
import { DASH, accentFor, isNum, netPoints, netTone, percent, rate } from "./format.js";

const TILE_ASPECT = 1.8; // preferred width / height of a tile
const MIN_COLS = 3;
const MIN_ROWS = 3;

function el(tag, className, attrs) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (attrs) for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

function win(metrics, name) {
  const w = metrics && metrics.windows && metrics.windows[name];
  return w && typeof w === "object" ? w : null;
}

/** Columns and rows for n tiles in a box of the given aspect ratio. */
export function gridShape(n, boxAspect) {
  const count = Math.max(1, n);
  let cols = Math.round(Math.sqrt((count * boxAspect) / TILE_ASPECT));
  cols = Math.max(Math.min(MIN_COLS, count), Math.min(count, Math.max(1, cols)));
  const rows = Math.max(MIN_ROWS, Math.ceil(count / cols));
  return { cols, rows };
}

function buildTile(w) {
  const root = el("article", "tile", { "data-testid": "tile", "data-watchlist": w.id, "data-tone": "none" });
  const body = el("div", "tile__body");

  const head = el("header", "tile__head");
  const name = el("h2", "tile__name", { "data-field": "name" });
  const kind = el("span", "tile__kind", { "data-field": "kind" });
  head.append(name, kind);
  const group = el("div", "tile__group", { "data-field": "group" });

  const figures = el("div", "tile__figures");
  const rateBox = el("div", "fig fig--rate");
  const perMin = el("span", "fig__value", { "data-field": "per-min" });
  const rateLabel = el("span", "fig__label");
  const perMin15 = el("span", "fig__context", { "data-field": "per-min-15m" });
  rateLabel.append("per min \u00b7 15m ", perMin15);
  rateBox.append(perMin, rateLabel);

  const netBox = el("div", "fig fig--net");
  const net = el("span", "fig__value", { "data-field": "net", "data-tone": "none" });
  const netLabel = el("span", "fig__label");
  netLabel.textContent = "net sentiment 5m";
  netLabel.title = "(positive \u2212 negative) / mentions, last 5 minutes, on \u2212100..+100";
  netBox.append(net, netLabel);

  const shareBox = el("div", "fig fig--share");
  const share = el("span", "fig__value", { "data-field": "share" });
  const shareLabel = el("span", "fig__label");
  shareLabel.textContent = "share 15m";
  shareLabel.title = "share of voice within the group, last 15 minutes";
  shareBox.append(share, shareLabel);
  figures.append(rateBox, netBox, shareBox);

  const sparkBox = el("div", "tile__spark");
  const sparkCaption = el("div", "tile__spark-caption");
  const peak = el("span", "", { "data-field": "peak" });
  sparkCaption.append("last 60 min \u00b7 peak ", peak, "/min");
  const sparkArea = el("div", "tile__spark-area", {
    "data-field": "sparkline",
    "data-points": "0",
    "data-peak": "",
    "data-last": "",
    role: "img",
  });
  sparkBox.append(sparkCaption, sparkArea);

  body.append(group, head, figures, sparkBox);
  root.append(body);

  for (const f of [perMin, perMin15, net, share, peak]) f.textContent = DASH;

  const tile = {
    root,
    fields: { name, kind, group, figures, perMin, perMin15, net, share, peak, sparkArea },
    spark: createSparkline(sparkArea),
    fittedText: "", // the figures' text when they were last fitted
  };
  describe(tile, w);
  return tile;
}

function describe(tile, w) {
  const { name, kind, group } = tile.fields;
  setText(name, String(w.name ?? w.id));
  const k = typeof w.kind === "string" ? w.kind : "";
  setText(kind, k || DASH);
  setAttr(tile.root, "data-kind", k);
  setText(group, typeof w.group === "string" ? w.group : "");
  setAttr(tile.root, "data-group", typeof w.group === "string" ? w.group : "");
  tile.root.style.setProperty("--accent", accentFor(w));
}

/** The scale a tile's row of figures is drawn at (1 unless it was fitted). */
function fitOf(row) {
  return Number(row.style.getPropertyValue("--fit")) || 1;
}

/** The scale (at most 1) at which a tile's row of figures fits its width: the row's cells are as wide as
 * their text, so their widths at the current scale, with the gaps, give the width the row needs. */
function figuresFit(tile) {
  const row = tile.fields.figures;
  const have = row.clientWidth;
  const current = fitOf(row);
  if (!have) return current;
  let need = parseFloat(getComputedStyle(row).columnGap || "0") * (row.children.length - 1);
  for (const cell of row.children) need += cell.getBoundingClientRect().width;
  return Math.min(1, Math.floor(((have * current) / need) * 100) / 100);
}

/** Fit the figures of these tiles: every width is read before any scale is written (one layout). */
function fitFigures(tiles) {
  const scales = tiles.map((tile) => [tile, figuresFit(tile)]);
  for (const [tile, scale] of scales) {
    const row = tile.fields.figures;
    if (Math.abs(scale - fitOf(row)) >= 0.01) {
      row.style.setProperty("--fit", String(scale));
    }
  }
}

function fill(tile, metrics) {
  const f = tile.fields;
  const w1 = win(metrics, "1m");
  const w5 = win(metrics, "5m");
  const w15 = win(metrics, "15m");

  setText(f.perMin, rate(w1 && w1.per_min));
  setText(f.perMin15, rate(w15 && w15.per_min));

  const net = w5 ? w5.net : null;
  const tone = netTone(net);
  setText(f.net, netPoints(net));
  setAttr(f.net, "data-tone", tone);
  setAttr(tile.root, "data-tone", tone);

  setText(f.share, percent(w15 && w15.share));

  const series = metrics && metrics.series;
  const counts = series && Array.isArray(series.count) ? series.count : [];
  const nets = series && Array.isArray(series.net) ? series.net : [];
  tile.spark.set(counts, nets);
  let peak = null;
  for (const c of counts) if (isNum(c) && (peak === null || c > peak)) peak = c;
  const last = counts.length ? counts[counts.length - 1] : null;
  setText(f.peak, peak === null ? DASH : rate(peak));
  setAttr(f.sparkArea, "data-points", String(counts.length));
  setAttr(f.sparkArea, "data-peak", peak === null ? "" : String(peak));
  setAttr(f.sparkArea, "data-last", isNum(last) ? String(last) : "");
  setAttr(
    f.sparkArea,
    "aria-label",
    peak === null ? "no data for the last 60 minutes" : `mentions per minute over the last 60 minutes, peak ${peak}`,
  );
}

export function createTileGrid(gridEl, emptyEl) {
  const tiles = new Map(); // id → tile
  let order = [];

  const unfitted = new Set(); // tiles whose figures' text or size changed since they were fitted
  let fitPending = false;
  function refit(list) {
    for (const tile of list) unfitted.add(tile);
    if (fitPending) return;
    fitPending = true;
    requestAnimationFrame(() => {
      fitPending = false;
      const due = [...unfitted].filter((tile) => tile.root.isConnected);
      unfitted.clear();
      fitFigures(due);
    });
  }

  function relayout() {
    const box = gridEl.getBoundingClientRect();
    const aspect = box.width > 0 && box.height > 0 ? box.width / box.height : 16 / 10;
    const { cols, rows } = gridShape(order.length, aspect);
    gridEl.style.setProperty("--cols", String(cols));
    gridEl.style.setProperty("--rows", String(rows));
    refit(tiles.values());
  }
  window.addEventListener("resize", relayout);
  // The grid's box changes when its scene is shown or the stage settles, not only on window resizes.
  if (typeof ResizeObserver === "function") new ResizeObserver(relayout).observe(gridEl);

  return {
    /** Show these watchlists (already sorted), creating, updating, reordering and removing tiles. */
    setWatchlists(list) {
      const ids = new Set(list.map((w) => w.id));
      for (const [id, tile] of tiles) {
        if (!ids.has(id)) {
          tile.spark.destroy();
          tile.root.remove();
          tiles.delete(id);
        }
      }
      list.forEach((w, i) => {
        let tile = tiles.get(w.id);
        if (!tile) {
          tile = buildTile(w);
          tiles.set(w.id, tile);
        } else {
          describe(tile, w);
        }
        if (gridEl.children[i] !== tile.root) gridEl.insertBefore(tile.root, gridEl.children[i] || null);
      });
      order = list.map((w) => w.id);
      relayout();
    },
    /** Refresh one tile's figures from its latest metrics message (or none: dashes). */
    update(id, metrics) {
      const tile = tiles.get(id);
      if (!tile) return;
      fill(tile, metrics);
      const f = tile.fields;
      const text = [f.perMin, f.perMin15, f.net, f.share].map((n) => n.textContent).join("|");
      if (text !== tile.fittedText) {
        tile.fittedText = text;
        refit([tile]);
      }
    },
    setEmptyMessage(text) {
      emptyEl.hidden = !text || tiles.size > 0;
      setText(emptyEl, text || "");
    },
    get size() {
      return tiles.size;
    },
  };
}
