// The history scenes ("history24h", "history7d"): every watchlist of the overview over the last 24 hours
// (hourly bars) or 7 days (6-hour bars), its total against the period before it ("+35% vs the previous
// 24 h") and its net sentiment, from GET /api/v1/watchlists/{id}/history with the page's display token.
// Refreshed every minute while shown; each row says when it is loading or could not be loaded (and keeps
// the last figures it had).
//
// Hooks: [data-testid="scene"][data-scene="history"][data-span="24h|7d"], its [data-field="status"]
//   [data-testid="history-row"][data-watchlist][data-state="loading|ready|failed"], and in a row
//   [data-field="name|total|comparison|net|net-previous|message"], [data-field="comparison"][data-change],
//   [data-field="net"][data-tone], [data-field="chart"] (data-points, data-total)

import { ApiError } from "./console/api.js";
import { el, keyedList, setAttr, setText } from "./dom.js";
import { accentFor, netPoints, netTone, shortTime } from "./format.js";
import { createHistoryChart } from "./history-chart.js";
import {
  HISTORY_SPANS,
  comparison,
  dayTime,
  fullCount,
  historyPath,
  historySeries,
  historyTotals,
  scenePeriod,
  zoneOffsetS,
} from "./history.js";

export const REFRESH_MS = 60_000;
const REQUEST_TIMEOUT_MS = 20_000;
const PARALLEL_REQUESTS = 4;
/** Up to this many watchlists, one wide row each; beyond, two columns of compact rows. */
const ONE_COLUMN_MAX = 6;

/** The wall's token, from its own address (`?token=vk_…`), sent as a Bearer header. */
export function pageToken(loc = window.location) {
  return new URLSearchParams(loc.search).get("token") || "";
}

async function getJson(path, token, fetchImpl) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
  try {
    const headers = { accept: "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    let response;
    try {
      response = await fetchImpl(path, { headers, cache: "no-store", signal: abort.signal });
    } catch (_) {
      throw new Error(abort.signal.aborted ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : "the api cannot be reached");
    }
    let payload = null;
    try {
      payload = await response.json();
    } catch (_) {
      payload = null;
    }
    if (!response.ok) throw new ApiError(response.status, payload && payload.detail);
    return payload;
  } finally {
    clearTimeout(timer);
  }
}

function buildRow(w) {
  const row = el("article", "hrow", { "data-testid": "history-row", "data-watchlist": w.id, "data-state": "loading" });
  const id = el("header", "hrow__id");
  id.append(el("h3", "hrow__name", { "data-field": "name" }), el("span", "hrow__kind", { "data-field": "kind" }));
  const chart = el("div", "hrow__chart", { "data-field": "chart" });
  const figs = el("div", "hrow__figs");
  const total = el("div", "hfig hfig--total");
  total.append(el("span", "hfig__value", { "data-field": "total" }, "\u2014"), el("span", "hfig__label", null, "mentions"));
  const cmp = el("div", "hrow__comparison", { "data-field": "comparison", "data-change": "unknown" }, "\u2014");
  const net = el("div", "hfig hfig--net");
  const netLabel = el("span", "hfig__label");
  netLabel.append("net sentiment \u00b7 ", el("span", "hfig__prev", { "data-field": "net-previous" }));
  net.append(el("span", "hfig__value", { "data-field": "net", "data-tone": "none" }, "\u2014"), netLabel);
  figs.append(total, cmp, net);
  const message = el("p", "hrow__message", { "data-field": "message", role: "status" });
  row.append(id, chart, figs, message);
  row._chart = null;
  return row;
}

export function createHistoryScene(root, { timeZone = null, token = pageToken(), fetchImpl = (...a) => window.fetch(...a), onChange = () => {} } = {}) {
  const $ = (sel) => root.querySelector(sel);
  const f = { title: $('[data-field="title"]'), period: $('[data-field="period"]'), step: $('[data-field="step"]'), status: $('[data-field="status"]'), rows: $('[data-field="rows"]') };
  // Per span, per watchlist: {answer, error, at (ms of the last success), busy}.
  const results = { "24h": new Map(), "7d": new Map() };
  const fetchedAt = { "24h": 0, "7d": 0 };
  let span = null;
  let watchlists = [];
  let timer = null;
  let inFlight = 0;
  let again = false; // a refresh was asked while one ran (a new watchlist, another span)
  let dirty = true;

  function entry(id) {
    let e = results[span].get(id);
    if (!e) results[span].set(id, (e = { answer: null, error: null, at: 0 }));
    return e;
  }

  async function refresh() {
    if (!span) return;
    if (inFlight) {
      again = true;
      return;
    }
    const s = span;
    const now = Date.now();
    const period = scenePeriod(s, now, zoneOffsetS(timeZone, new Date(now)));
    fetchedAt[s] = now;
    const queue = watchlists.map((w) => w.id);
    inFlight = queue.length;
    dirty = true;
    onChange();
    const worker = async () => {
      while (queue.length) {
        const id = queue.shift();
        const e = results[s].get(id) || { answer: null, error: null, at: 0 };
        results[s].set(id, e);
        try {
          e.answer = await getJson(historyPath(id, period), token, fetchImpl);
          e.error = null;
          e.at = Date.now();
        } catch (error) {
          e.error = error instanceof Error ? error.message : String(error);
        }
        inFlight -= 1;
        dirty = true;
        onChange();
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_REQUESTS, queue.length) }, worker));
    if (again && timer !== null) {
      again = false;
      refresh();
    }
  }

  function updateRow(row, w) {
    const e = entry(w.id);
    const spec = HISTORY_SPANS[span];
    setText(row.querySelector('[data-field="name"]'), String(w.name ?? w.id));
    setText(row.querySelector('[data-field="kind"]'), typeof w.kind === "string" ? w.kind : "");
    row.style.setProperty("--accent", accentFor(w));
    const state = e.answer && !e.error ? "ready" : e.error ? "failed" : "loading";
    setAttr(row, "data-state", state);
    const { current, previous } = historyTotals(e.answer);
    setText(row.querySelector('[data-field="total"]'), fullCount(current && current.count));
    const cmp = comparison(current && current.count, previous && previous.count, spec.label);
    const cmpEl = row.querySelector('[data-field="comparison"]');
    setText(cmpEl, cmp.text);
    setAttr(cmpEl, "data-change", cmp.change);
    const netEl = row.querySelector('[data-field="net"]');
    setText(netEl, netPoints(current && current.net));
    setAttr(netEl, "data-tone", netTone(current && current.net));
    setText(row.querySelector('[data-field="net-previous"]'), `before ${netPoints(previous && previous.net)}`);
    const message =
      state === "loading"
        ? "Loading\u2026"
        : state === "failed"
          ? `${e.answer ? `Not updated since ${shortTime(new Date(e.at))}` : "Could not load"}: ${e.error}`
          : "";
    setText(row.querySelector('[data-field="message"]'), message);
    const chartBox = row.querySelector('[data-field="chart"]');
    if (!row._chart) row._chart = createHistoryChart(chartBox, { timeZone, fontRem: 1, label: `mentions ${spec.stepLabel}` });
    row._chart.set(historySeries(e.answer).data);
  }

  function layout() {
    const n = Math.max(1, watchlists.length);
    const cols = n > ONE_COLUMN_MAX ? 2 : 1;
    root.toggleAttribute("data-compact", cols > 1);
    root.style.setProperty("--hcols", String(cols));
    root.style.setProperty("--hrows", String(Math.max(3, Math.ceil(n / cols))));
  }

  return {
    /** Show the scene for `spanKey` ("24h" | "7d") with the model's watchlists; fetch unless fresh. */
    show(spanKey, model) {
      const changed = span !== spanKey;
      span = spanKey;
      watchlists = model.watchlists;
      setAttr(root, "data-span", span);
      const spec = HISTORY_SPANS[span];
      setText(f.title, spec.title);
      setText(f.step, `mentions ${spec.stepLabel}`);
      if (changed) {
        // Another span: other figures and another step in every chart, so the rows start again.
        for (const row of f.rows.children) if (row._chart) row._chart.destroy();
        f.rows.replaceChildren();
      }
      layout();
      dirty = true;
      if (timer === null) timer = setInterval(refresh, REFRESH_MS);
      if (Date.now() - fetchedAt[span] >= REFRESH_MS) refresh();
    },
    hide() {
      clearInterval(timer);
      timer = null;
    },
    /** The watchlist set changed (layout): rows follow it; new watchlists are fetched at once. */
    setWatchlists(model) {
      const known = new Set(watchlists.map((w) => w.id));
      watchlists = model.watchlists;
      layout();
      dirty = true;
      if (span && watchlists.some((w) => !known.has(w.id))) fetchedAt[span] = 0;
      if (span && timer !== null && !fetchedAt[span]) refresh();
    },
    /** Redraw (only while shown, from the page's animation frame). */
    render() {
      if (!span || !dirty) return;
      dirty = false;
      keyedList(f.rows, watchlists, (w) => w.id, buildRow, updateRow);
      for (const row of f.rows.children) row._chart && row._chart.resize(); // rows are placed now
      const done = watchlists.map((w) => results[span].get(w.id)).filter((e) => e && e.answer);
      const failed = watchlists.filter((w) => (results[span].get(w.id) || {}).error).length;
      const first = done.length ? done[0].answer : null;
      setText(f.period, first ? `since ${dayTime(first.from_ts, timeZone)}` : "");
      const lastAt = done.reduce((a, e) => Math.max(a, e.at), 0);
      const status = inFlight
        ? "Loading\u2026"
        : failed
          ? `${failed} of ${watchlists.length} could not be loaded`
          : lastAt
            ? `Updated ${shortTime(new Date(lastAt))}`
            : watchlists.length
              ? ""
              : "No watchlists yet";
      setText(f.status, status);
      setAttr(f.status, "data-state", inFlight ? "loading" : failed ? "failed" : "ready");
    },
    resize() {
      for (const row of f.rows.children) row._chart && row._chart.resize();
    },
  };
}
