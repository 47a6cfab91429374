// History of a watchlist as GET /api/v1/watchlists/{id}/history answers it, shaped for the wall's history
// scenes and the console's period picker. Pure: no DOM, no fetch.
//
// The answer: {from_ts, to_ts, step_s, points: [{start_ts, count, pos, neu, neg, net, mean, coordinated}],
// totals: {count, pos, neu, neg, net, mean, coordinated}, previous: {from_ts, to_ts, totals}}; net in [-1, 1]
// (null when no mention).

import { DASH, isNum } from "./format.js";

const MINUS = "\u2212";
const HOUR_S = 3600;
const DAY_S = 86_400;

/** The wall's history scenes: the span looked back over, its step, and how people say it. */
export const HISTORY_SPANS = {
  "24h": { spanS: DAY_S, stepS: HOUR_S, label: "24\u00a0h", title: "Last 24 hours", stepLabel: "per hour" },
  "7d": { spanS: 7 * DAY_S, stepS: 6 * HOUR_S, label: "7\u00a0days", title: "Last 7 days", stepLabel: "per 6 hours" },
};

/** Seconds to add to UTC to get the wall clock of `timeZone` (the browser's when null) at `date`. */
export function zoneOffsetS(timeZone, date) {
  if (!timeZone) return -date.getTimezoneOffset() * 60;
  const parts = {};
  const fmt = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  for (const p of fmt.formatToParts(date)) parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second);
  return Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 1000);
}

/**
 * The request of a wall scene at `nowMs`: {from, to, step} in Unix seconds. The period ends now; it starts
 * `spanS` earlier, rounded down to a step boundary of the room's clock (`offsetS`, from zoneOffsetS), so bars
 * start on the hour or at 00:00, 06:00, 12:00, 18:00 local time. The api answers the period just before it,
 * of the same length, to compare.
 */
export function scenePeriod(span, nowMs, offsetS = 0) {
  const s = HISTORY_SPANS[span];
  const to = Math.floor(nowMs / 1000);
  const from = Math.floor((to - s.spanS + offsetS) / s.stepS) * s.stepS - offsetS;
  return { from, to, step: s.stepS };
}

/** The history route's path and query for one watchlist and period (times in Unix seconds). */
export function historyPath(watchlistId, { from, to, step }) {
  const q = new URLSearchParams();
  if (isNum(from)) q.set("from", String(from));
  if (isNum(to)) q.set("to", String(to));
  if (isNum(step)) q.set("step", String(step));
  return `/api/v1/watchlists/${encodeURIComponent(watchlistId)}/history?${q}`;
}

function count(x) {
  return isNum(x) && x >= 0 ? x : 0;
}

/**
 * uPlot's data and the figures around it: {data: [times s, counts, net on −100..+100 or null], total, peak,
 * points}. Anything that is not a well-formed answer gives empty series.
 */
export function historySeries(answer) {
  const points = answer && Array.isArray(answer.points) ? answer.points.filter((p) => p && isNum(p.start_ts)) : [];
  const xs = points.map((p) => p.start_ts);
  const counts = points.map((p) => count(p.count));
  const net = points.map((p) => (count(p.count) > 0 && isNum(p.net) ? Math.round(p.net * 100) : null));
  const total = counts.reduce((a, b) => a + b, 0);
  const peak = counts.reduce((a, b) => Math.max(a, b), 0);
  return { data: [xs, counts, net], total, peak, points: points.length };
}

/** The answer's totals and the previous period's, each {count, net, ...}, or null when missing. */
export function historyTotals(answer) {
  const ok = (t) => (t && typeof t === "object" && isNum(t.count) ? t : null);
  return {
    current: ok(answer && answer.totals),
    previous: ok(answer && answer.previous && answer.previous.totals),
  };
}

/**
 * How the period's volume compares with the period before it: {text, change} where change is
 * "up" | "down" | "flat" | "new" (nothing before) | "none" (nothing in either) | "unknown".
 * `label` names the period: "24 h" → "+35% vs the previous 24 h".
 */
export function comparison(current, previous, label) {
  if (!isNum(current) || !isNum(previous)) return { text: DASH, change: "unknown" };
  const before = `the previous ${label}`;
  if (previous <= 0) {
    return current > 0 ? { text: `none in ${before}`, change: "new" } : { text: `none, as in ${before}`, change: "none" };
  }
  const pct = Math.round(((current - previous) / previous) * 100);
  if (pct === 0) return { text: `same as ${before}`, change: "flat" };
  const shown = Math.abs(pct).toLocaleString("en-US");
  return pct > 0 ? { text: `+${shown}% vs ${before}`, change: "up" } : { text: `${MINUS}${shown}% vs ${before}`, change: "down" };
}

/** A count with thousands separators ("12,408"), or DASH. */
export function fullCount(n) {
  return isNum(n) ? Math.round(n).toLocaleString("en-US") : DASH;
}

/**
 * A time axis label in `timeZone` (the browser's when null) for a tick at `ts` (s): "14:00", or on a chart
 * of several days the weekday at midnight ("Sat") and hh:mm otherwise.
 */
export function axisLabel(ts, timeZone, manyDays) {
  if (!isNum(ts)) return "";
  const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  if (timeZone) options.timeZone = timeZone;
  const hm = new Intl.DateTimeFormat("en-GB", options).format(new Date(ts * 1000));
  return manyDays && hm === "00:00" ? dayTime(ts, timeZone).slice(0, 3) : hm;
}

/** "Sat 09:00" in `timeZone` (the browser's when null), for a Unix time in seconds. */
export function dayTime(ts, timeZone) {
  if (!isNum(ts)) return DASH;
  const options = { weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  if (timeZone) options.timeZone = timeZone;
  return new Intl.DateTimeFormat("en-GB", options).format(new Date(ts * 1000));
}
