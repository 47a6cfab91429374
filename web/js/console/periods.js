// The console's period picker: the periods people ask for, in the browser's time zone, as Unix seconds
// for GET /api/v1/watchlists/{id}/history, with a step that keeps a chart readable. Pure: no DOM.

export const PERIODS = [
  { key: "1h", label: "Last hour" },
  { key: "since-9", label: "Since 9 am today" },
  { key: "24h", label: "Last 24 h" },
  { key: "yesterday", label: "Yesterday" },
  { key: "7d", label: "Last 7 days" },
  { key: "custom", label: "Custom\u2026" },
];

/** Steps the api accepts, finest first (services/history/period.py STEPS_S). */
export const STEPS_S = [60, 300, 900, 3600, 6 * 3600, 86_400];
export const MAX_BARS = 150;

/** The finest step that draws at most MAX_BARS bars over `spanS`. */
export function stepFor(spanS) {
  return STEPS_S.find((s) => spanS / s <= MAX_BARS) ?? STEPS_S[STEPS_S.length - 1];
}

function seconds(date) {
  return Math.floor(date.getTime() / 1000);
}

function localDay(now, daysBack, hour = 0) {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() - daysBack, hour, 0, 0, 0);
}

/**
 * The period `key` means at `now` (a Date, read in the browser's zone): {from, to, step} in seconds, or
 * {error} naming what is wrong. "since-9" before 9 am is since 9 am yesterday. `custom` is {from, to}, the
 * values of two datetime-local inputs ("2026-12-05T09:00").
 */
export function periodFor(key, now, custom = {}) {
  const to = seconds(now);
  let from;
  let end = to;
  if (key === "1h") from = to - 3600;
  else if (key === "24h") from = to - 86_400;
  else if (key === "7d") from = to - 7 * 86_400;
  else if (key === "since-9") {
    const nine = localDay(now, 0, 9);
    from = seconds(nine <= now ? nine : localDay(now, 1, 9));
  } else if (key === "yesterday") {
    from = seconds(localDay(now, 1));
    end = seconds(localDay(now, 0));
  } else if (key === "custom") {
    const a = custom.from ? new Date(custom.from) : null;
    const b = custom.to ? new Date(custom.to) : now;
    if (!a || Number.isNaN(a.getTime())) return { error: `from: expected a date and time, got "${custom.from ?? ""}"` };
    if (Number.isNaN(b.getTime())) return { error: `to: expected a date and time, got "${custom.to}"` };
    from = seconds(a);
    end = seconds(b);
    if (from >= end) return { error: "from: must be before to" };
  } else return { error: `period: expected one of ${PERIODS.map((p) => p.key).join(", ")}, got "${key}"` };
  return { from, to: end, step: stepFor(end - from) };
}

/** A length of time as people say it: "1 h", "24 h", "7 days", "9 h 30 min", "45 min". */
export function spanLabel(spanS) {
  const min = Math.round(spanS / 60);
  if (min < 60) return `${min}\u00a0min`;
  const h = Math.floor(min / 60);
  const rest = min % 60;
  if (h >= 48 && h % 24 === 0 && !rest) return `${h / 24}\u00a0days`;
  return rest ? `${h}\u00a0h ${rest}\u00a0min` : `${h}\u00a0h`;
}

/** The value of a datetime-local input for a Unix time, in the browser's zone: "2026-12-05T09:00". */
export function localInputValue(ts) {
  const d = new Date(ts * 1000);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
