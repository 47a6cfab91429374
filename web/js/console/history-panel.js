// A watchlist's history over a chosen period, with the period just before it to compare: the console's
// period picker (last hour, since 9 am today, last 24 h, yesterday, last 7 days, custom from/to). Reads
// GET /api/v1/watchlists/{id}/history with the console's key; builds its own content inside `root`.
//
// Hooks: [data-testid="history-panel"] with select[name="history-watchlist"], select[name="history-period"],
//   input[name="history-from"], input[name="history-to"] (custom), [data-field="history-period-text"],
//   [data-field="history-status"][data-state="idle|loading|ready|failed"], [data-field="history-comparison"]
//   (data-change), [data-testid="history-figure"][data-figure="count|pos|neu|neg|net|mean|coordinated"] with
//   [data-field="current|previous"], [data-field="history-chart"] (data-points, data-total)

import { el, setAttr, setText } from "../dom.js";
import { DASH, isNum, netPoints } from "../format.js";
import { createHistoryChart } from "../history-chart.js";
import { comparison, dayTime, fullCount, historyPath, historySeries, historyTotals } from "../history.js";
import { api } from "./api.js";
import { PERIODS, localInputValue, periodFor, spanLabel } from "./periods.js";

const FIGURES = [
  ["count", "mentions", fullCount],
  ["pos", "positive", fullCount],
  ["neu", "neutral", fullCount],
  ["neg", "negative", fullCount],
  ["net", "net sentiment (\u2212100..+100)", netPoints],
  ["mean", "mean score (\u2212100..+100)", netPoints],
  ["coordinated", "coordinated", fullCount],
];

function option(value, label) {
  const o = el("option", null, null, label);
  o.value = value;
  return o;
}

export function createHistoryPanel(root, { model, now = () => new Date() }) {
  const watchlist = el("select", null, { name: "history-watchlist", "aria-label": "watchlist" });
  const period = el("select", null, { name: "history-period", "aria-label": "period" });
  for (const p of PERIODS) period.append(option(p.key, p.label));
  period.value = "24h";
  const from = el("input", null, { name: "history-from", type: "datetime-local", "aria-label": "from" });
  const to = el("input", null, { name: "history-to", type: "datetime-local", "aria-label": "to" });
  const custom = el("span", "c-history__custom");
  custom.append("from ", from, " to ", to);
  custom.hidden = true;
  const show = el("button", "btn", { type: "button", "data-action": "show-history" }, "Show");
  const controls = el("div", "c-filters c-history__controls");
  controls.append(watchlist, period, custom, show);

  const periodText = el("p", "c-muted", { "data-field": "history-period-text" });
  const status = el("p", "c-muted", { "data-field": "history-status", "data-state": "idle", role: "status" });
  const cmp = el("p", "c-history__comparison", { "data-field": "history-comparison", "data-change": "unknown" });
  const chartBox = el("div", "c-history__chart", { "data-field": "history-chart" });
  const table = el("table", "c-table");
  const head = el("tr");
  head.append(el("th", null, null, ""), el("th", null, null, "this period"), el("th", null, null, "the period before"));
  const body = el("tbody");
  const cells = new Map();
  for (const [key, label] of FIGURES) {
    const tr = el("tr", null, { "data-testid": "history-figure", "data-figure": key });
    const current = el("td", null, { "data-field": "current" }, DASH);
    const previous = el("td", null, { "data-field": "previous" }, DASH);
    tr.append(el("th", null, null, label), current, previous);
    body.append(tr);
    cells.set(key, { current, previous });
  }
  table.append(el("thead"), body);
  table.tHead.append(head);
  root.replaceChildren(el("h2", null, null, "History"), controls, periodText, status, cmp, chartBox, table);

  const chart = createHistoryChart(chartBox, { fontRem: 0.8 });
  let asked = 0; // the latest request wins

  function setStatus(state, text) {
    setAttr(status, "data-state", state);
    setText(status, text);
  }

  function draw(answer, spanS) {
    const { current, previous } = historyTotals(answer);
    const label = spanLabel(spanS);
    setText(
      periodText,
      `${dayTime(answer.from_ts)} \u2192 ${dayTime(answer.to_ts)}, by ${spanLabel(answer.step_s)}; ` +
        `compared with ${dayTime(answer.previous.from_ts)} \u2192 ${dayTime(answer.previous.to_ts)}`,
    );
    const c = comparison(current && current.count, previous && previous.count, label);
    setText(cmp, c.text);
    setAttr(cmp, "data-change", c.change);
    for (const [key, , fmt] of FIGURES) {
      const { current: a, previous: b } = cells.get(key);
      setText(a, current && isNum(current[key]) ? fmt(current[key]) : DASH);
      setText(b, previous && isNum(previous[key]) ? fmt(previous[key]) : DASH);
    }
    chart.set(historySeries(answer).data);
  }

  async function load() {
    const id = watchlist.value;
    if (!id) return setStatus("idle", "No watchlist yet.");
    const p = periodFor(period.value, now(), { from: from.value, to: to.value });
    if (p.error) return setStatus("failed", p.error);
    const ticket = ++asked;
    setStatus("loading", "Loading\u2026");
    try {
      const answer = await api("GET", historyPath(id, p));
      if (ticket !== asked) return;
      draw(answer, p.to - p.from); // the period asked: the api starts it on a step boundary
      setStatus("ready", "");
    } catch (error) {
      if (ticket !== asked) return;
      setStatus("failed", `Could not load the history: ${error.message}`);
    }
  }

  period.addEventListener("change", () => {
    custom.hidden = period.value !== "custom";
    if (period.value === "custom" && !from.value) {
      const t = Math.floor(now().getTime() / 1000);
      from.value = localInputValue(t - 86_400);
      to.value = localInputValue(t);
    }
    load();
  });
  watchlist.addEventListener("change", load);
  show.addEventListener("click", load);

  return {
    /** The watchlists changed: keep the choice when it still exists; load the first one shown. */
    render() {
      const chosen = watchlist.value;
      watchlist.replaceChildren(...model.watchlists.map((w) => option(w.id, String(w.name ?? w.id))));
      if (model.watchlists.some((w) => w.id === chosen)) watchlist.value = chosen;
      if (watchlist.value !== chosen) load();
    },
    /** Show this watchlist's history (for other panels: "history of …"). */
    open(id) {
      watchlist.value = id;
      load();
    },
  };
}
