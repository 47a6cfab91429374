// Formatting of numbers and times for the wall. Pure functions, no DOM.
// Every formatter returns DASH for a missing value (null, undefined, NaN), never "0" or "NaN".

export const DASH = "\u2014"; // em dash
const MINUS = "\u2212"; // typographic minus, same width as "+"

/** Net sentiment within ±NEUTRAL_BAND (in [-1, 1]) reads as neutral (grey). */
export const NEUTRAL_BAND = 0.1;

export function isNum(x) {
  return typeof x === "number" && Number.isFinite(x);
}

function pad2(n) {
  return n < 10 ? "0" + n : String(n);
}

// The room's time zone: the browser's unless setTimeZone() chose one (the `tz` URL parameter).
let zoneParts = null; // Intl formatter for the chosen zone, or null for the browser's

/** Show times in this IANA zone ("Europe/Paris"); false (and no change) when the zone is unknown. */
export function setTimeZone(tz) {
  if (typeof tz !== "string" || tz === "") return false;
  try {
    zoneParts = new Intl.DateTimeFormat("en-GB", {
      timeZone: tz,
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    return true;
  } catch (_) {
    return false;
  }
}

function hms(date) {
  if (!zoneParts) return [date.getHours(), date.getMinutes(), date.getSeconds()];
  const parts = {};
  for (const p of zoneParts.formatToParts(date)) parts[p.type] = Number(p.value);
  return [parts.hour % 24, parts.minute, parts.second];
}

/** hh:mm:ss, 24 h, in the room's time zone. */
export function clockTime(date) {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) return DASH;
  const [h, m, s] = hms(date);
  return `${pad2(h)}:${pad2(m)}:${pad2(s)}`;
}

/** hh:mm, 24 h, in the room's time zone. */
export function shortTime(date) {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) return DASH;
  const [h, m] = hms(date);
  return `${pad2(h)}:${pad2(m)}`;
}

/** A chart's time axis labels from its splits (seconds): hh:mm, 24 h, in the room's time zone, like
 * the clock (uPlot's default is "4:50am" with a "12/6/26" date line, in the browser's locale). */
export function axisTimes(splitsS) {
  return splitsS.map((s) => shortTime(new Date(s * 1000)));
}

/** How long since `since` (ms): "for 40 s", "for 12 min", "for 2 h 05", "for 3 d"; DASH when unknown. */
export function forDuration(sinceMs, nowMs) {
  if (!isNum(sinceMs) || !isNum(nowMs)) return DASH;
  const s = Math.max(0, Math.floor((nowMs - sinceMs) / 1000));
  if (s < 60) return `for ${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `for ${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `for ${h} h ${pad2(min % 60)}`;
  return `for ${Math.floor(h / 24)} d`;
}

/** ISO 8601 string (or epoch ms number) → Date, or null. */
export function parseTime(value) {
  if (typeof value !== "string" && !isNum(value)) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Compact count: 950, 12.3k, 150k, 1.2M. */
export function compact(n) {
  if (!isNum(n)) return DASH;
  const sign = n < 0 ? MINUS : "";
  const a = Math.abs(n);
  if (a < 999.5) return sign + Math.round(a);
  const units = ["k", "M", "B", "T"];
  for (let i = 0; i < units.length; i++) {
    const v = a / Math.pow(1000, i + 1);
    const r = v < 99.95 ? Math.round(v * 10) / 10 : Math.round(v);
    if (r < 1000 || i === units.length - 1) return sign + r + units[i];
  }
  return DASH;
}

/** A rate in mentions per minute: "12", "9.3", "0", "1.2k". */
export function rate(v) {
  if (!isNum(v)) return DASH;
  if (v >= 1000) return compact(v);
  if (Number.isInteger(v) || v >= 10) return String(Math.round(v));
  return (Math.round(v * 10) / 10).toFixed(1);
}

/** Tone of a net sentiment value in [-1, 1]: "pos" | "neu" | "neg" | "none" (missing). */
export function netTone(net) {
  if (!isNum(net)) return "none";
  if (net >= NEUTRAL_BAND) return "pos";
  if (net <= -NEUTRAL_BAND) return "neg";
  return "neu";
}

/** Net sentiment in [-1, 1] shown on a -100..+100 scale: "+34", "−8", "0". */
export function netPoints(net) {
  if (!isNum(net)) return DASH;
  const p = Math.round(Math.max(-1, Math.min(1, net)) * 100);
  if (p > 0) return "+" + p;
  if (p < 0) return MINUS + -p;
  return "0";
}

/** A share in [0, 1] as a percentage: "31%", "<1%", "0%". */
export function percent(share) {
  if (!isNum(share)) return DASH;
  const p = Math.max(0, Math.min(1, share)) * 100;
  if (p > 0 && p < 0.5) return "<1%";
  return Math.round(p) + "%";
}

/** "@handle" (no double @), or DASH. */
export function handle(h) {
  if (typeof h !== "string" || h.trim() === "") return DASH;
  const t = h.trim();
  return t.startsWith("@") ? t : "@" + t;
}

/** A watchlist colour, accepted only as #rgb or #rrggbb; anything else → null. */
export function safeColor(c) {
  return typeof c === "string" && /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(c) ? c : null;
}

const FALLBACK_ACCENTS = ["#4cc9f0", "#f4a261", "#b388eb", "#80ed99", "#ffd166", "#ef8fb0", "#72a7ff", "#5ee0c4"];

/** The accent colour of a watchlist: its own when valid, else a stable pick from a calm palette. */
export function accentFor(watchlist) {
  const own = safeColor(watchlist && watchlist.color);
  if (own) return own;
  const id = String((watchlist && watchlist.id) || "");
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return FALLBACK_ACCENTS[h % FALLBACK_ACCENTS.length];
}
