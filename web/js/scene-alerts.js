// The alerts scene: incidents first (web/js/incident-list.js), then open alerts (firing and acknowledged),
// those of the incidents first, most severe first, each with how long it has been going on; at most
// MAX_ALERT_ROWS rows and "+N more". Summaries are text from the system and from people: textContent only.
//
// Hooks: [data-testid="alert-row"][data-alert="<alert_id>"][data-status="firing|acknowledged"]
//   [data-severity="critical|warning|info"]; [data-field="severity|status|watchlist|summary|duration|by"]
//   [data-field="alerts-more"] "+55 more" when the screen cannot show every open alert (data-count)

import { openAlerts, startedMs } from "./alerts.js";
import { el, keyedList, setAttr, setText } from "./dom.js";
import { forDuration, parseTime, shortTime } from "./format.js";
import { renderIncidents } from "./incident-list.js";
import { fit, groupIncidents } from "./incidents.js";

export const MAX_ALERT_ROWS = 8;

function build() {
  const li = el("li", "alert-row", { "data-testid": "alert-row" });
  const sev = el("span", "alert-row__severity", { "data-field": "severity" });
  const main = el("div", "alert-row__main");
  const top = el("div", "alert-row__top");
  top.append(
    el("span", "alert-row__watchlist", { "data-field": "watchlist" }),
    el("span", "alert-row__rule", { "data-field": "rule" }),
  );
  main.append(top, el("p", "alert-row__summary", { "data-field": "summary" }));
  const side = el("div", "alert-row__side");
  side.append(
    el("span", "alert-row__status", { "data-field": "status" }),
    el("span", "alert-row__duration", { "data-field": "duration" }),
    el("span", "alert-row__by", { "data-field": "by" }),
  );
  li.append(sev, main, side);
  return li;
}

/** How many rows of `list` do not fit wholly in it (marked `data-cut`, which hides them); zero while the
 * scene is hidden (nothing has a size then). */
function cutOff(list) {
  const bottom = list.getBoundingClientRect().bottom;
  let n = 0;
  for (const li of list.children) {
    li.removeAttribute("data-cut");
    if (li.getBoundingClientRect().bottom > bottom + 1) {
      li.setAttribute("data-cut", "");
      n += 1;
    }
  }
  return n;
}

export function createAlertsScene(root) {
  const list = root.querySelector('[data-field="alerts"]');
  const empty = root.querySelector('[data-field="alerts-empty"]');
  const counts = root.querySelector('[data-field="alert-counts"]');
  const incidentList = root.querySelector('[data-field="incidents"]');
  const incidentsMore = root.querySelector('[data-field="incidents-more"]');
  const alertsMore = root.querySelector('[data-field="alerts-more"]');

  return {
    render(model, nowMs = Date.now()) {
      const alerts = openAlerts(model.alerts);
      const { incidents, loose } = groupIncidents(alerts);
      if (incidentList && incidentsMore) renderIncidents(incidentList, incidentsMore, incidents, model, nowMs);
      const { shown, more } = fit([...incidents.flatMap((i) => i.alerts), ...loose], MAX_ALERT_ROWS);
      keyedList(list, shown, (a) => a.alert_id, build, (li, a) => {
        setAttr(li, "data-alert", a.alert_id);
        setAttr(li, "data-status", a.status);
        setAttr(li, "data-severity", a.severity);
        const q = (f) => li.querySelector(`[data-field="${f}"]`);
        setText(q("severity"), String(a.severity).toUpperCase());
        const w = model.byId.get(a.watchlist);
        setText(q("watchlist"), w ? String(w.name ?? w.id) : String(a.watchlist));
        setText(q("rule"), String(a.rule).replace(/_/g, " "));
        setText(q("summary"), typeof a.summary === "string" ? a.summary : "");
        setText(q("status"), a.status === "firing" ? "Firing" : "Acknowledged");
        setText(q("duration"), forDuration(startedMs(a), nowMs));
        const at = parseTime(a.at);
        // The name the operator gave (`note`) reads best across the room; the key's name (`by`) is the audit.
        const by = a.note || a.by;
        setText(q("by"), a.status === "acknowledged" && by ? `by ${by} at ${shortTime(at)}` : "not acknowledged");
      });
      // Rows the screen cannot show whole (incidents above take room) are hidden and counted as more.
      const cut = cutOff(list);
      if (alertsMore) {
        const hidden = more + cut;
        alertsMore.hidden = hidden === 0;
        setAttr(alertsMore, "data-count", hidden);
        setText(alertsMore, hidden ? `+${hidden} more alert${hidden === 1 ? "" : "s"}` : "");
      }
      empty.hidden = alerts.length > 0;
      const firing = alerts.filter((a) => a.status === "firing").length;
      const held = incidents.length ? `${incidents.length} incident${incidents.length === 1 ? "" : "s"} \u00b7 ` : "";
      setText(counts, `${held}${firing} firing \u00b7 ${alerts.length - firing} acknowledged`);
    },
  };
}
