// Open alerts as the wall knows them (the `alert` message and the snapshot's `alerts`). Pure: no DOM.
//
// An alert is open while firing or acknowledged; a resolved one leaves the wall. A critical alert that
// is firing and not acknowledged is what interrupts the room (the banner, the rotation paused).

const SEVERITY_RANK = { critical: 2, warning: 1, info: 0 };
const OPEN = new Set(["firing", "acknowledged"]);

function ms(iso) {
  const t = typeof iso === "string" ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? null : t;
}

export function validAlert(a) {
  return a !== null && typeof a === "object" && typeof a.alert_id === "string" && typeof a.status === "string";
}

/**
 * Fold one alert event into `alerts` (a Map alert_id → event). Returns true when the map changed.
 * An event older than the one kept (by `at`) is ignored, so a late duplicate cannot undo an acknowledgement.
 */
export function applyAlert(alerts, event) {
  if (!validAlert(event)) return false;
  const prev = alerts.get(event.alert_id);
  if (prev) {
    const before = ms(prev.at);
    const after = ms(event.at);
    if (before !== null && after !== null && after < before) return false;
  }
  if (!OPEN.has(event.status)) return alerts.delete(event.alert_id);
  alerts.set(event.alert_id, event);
  return true;
}

/** Most severe first, then firing before acknowledged, then the longest-running first. */
export function compareAlerts(a, b) {
  const s = (SEVERITY_RANK[b.severity] ?? -1) - (SEVERITY_RANK[a.severity] ?? -1);
  if (s) return s;
  const f = (a.status === "firing" ? 0 : 1) - (b.status === "firing" ? 0 : 1);
  if (f) return f;
  return (ms(a.started_at) ?? 0) - (ms(b.started_at) ?? 0) || a.alert_id.localeCompare(b.alert_id);
}

export function openAlerts(alerts) {
  return [...alerts.values()].sort(compareAlerts);
}

/** Firing, critical, not acknowledged: these interrupt the wall. */
export function interrupting(alerts) {
  return openAlerts(alerts).filter((a) => a.status === "firing" && a.severity === "critical");
}

export function startedMs(alert) {
  return ms(alert.started_at);
}

/**
 * The open alerts a console's filters keep, in openAlerts() order. `filters`: {severity: "critical" |
 * "warning" | "info" | "" (any), watchlist: id | "" (any), status: "firing" | "acknowledged" | "" (any)}.
 * A severity keeps that severity and above ("warning" keeps warning and critical).
 */
export function filterAlerts(alerts, { severity = "", watchlist = "", status = "" } = {}) {
  const floor = severity ? SEVERITY_RANK[severity] ?? 0 : -Infinity;
  return openAlerts(alerts).filter(
    (a) =>
      (SEVERITY_RANK[a.severity] ?? -1) >= floor &&
      (!watchlist || a.watchlist === watchlist) &&
      (!status || a.status === status),
  );
}
