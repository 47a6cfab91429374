// Incidents as the wall and console show them: the open alerts of one watchlist grouped, the way the
// server groups them (services/alerts/incidents.py). Pure: no DOM.
//
// A watchlist with an open alert at warning or above is an incident holding all its open alerts (info
// ones explain it); info alerts of a watchlist without one stay loose alerts. Most severe first, then
// firing before acknowledged, then the longest-running first.

import { compareAlerts, startedMs } from "./alerts.js";

const SEVERITY_RANK = { critical: 2, warning: 1, info: 0 };
const PAGE_RANK = SEVERITY_RANK.warning;

/** Group sorted open alerts: { incidents: [{ watchlist, severity, alerts, counts, why, startedMs, firing }],
 * loose: [alert] }. */
export function groupIncidents(alerts) {
  const byWatchlist = new Map();
  for (const alert of [...alerts].sort(compareAlerts)) {
    const list = byWatchlist.get(alert.watchlist) ?? [];
    list.push(alert);
    byWatchlist.set(alert.watchlist, list);
  }
  const incidents = [];
  const loose = [];
  for (const [watchlist, list] of byWatchlist) {
    const top = list[0];
    if ((SEVERITY_RANK[top.severity] ?? -1) < PAGE_RANK) {
      loose.push(...list);
      continue;
    }
    const counts = {};
    for (const alert of list) counts[alert.rule] = (counts[alert.rule] ?? 0) + 1;
    const explained = list.find((a) => a.details && typeof a.details.why === "object" && a.details.why);
    const starts = list.map(startedMs).filter((t) => t !== null);
    incidents.push({
      watchlist,
      severity: top.severity,
      alerts: list,
      counts,
      why: explained ? explained.details.why : null,
      startedMs: starts.length ? Math.min(...starts) : null,
      firing: list.some((a) => a.status === "firing"),
    });
  }
  incidents.sort((a, b) => compareAlerts(a.alerts[0], b.alerts[0]));
  loose.sort(compareAlerts);
  return { incidents, loose };
}

/** The first `max` items and how many are left out ("+N more"). */
export function fit(items, max) {
  return { shown: items.slice(0, Math.max(0, max)), more: Math.max(0, items.length - Math.max(0, max)) };
}

/** "3 alerts: volume spike, coordination 2" */
export function describeCounts(counts) {
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  const parts = Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([rule, n]) => `${rule.replace(/_/g, " ")}${n > 1 ? ` ${n}` : ""}`);
  return `${total} alert${total === 1 ? "" : "s"}: ${parts.join(", ")}`;
}

/** What drives it, one line ("" when nothing is known yet). */
export function whyText(why) {
  return why && typeof why.text === "string" ? why.text : "";
}
