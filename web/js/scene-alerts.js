// The alerts scene: open alerts (firing and acknowledged), most severe first, each with how long it has
// been going on. Summaries are text from the system and from people: textContent only.
//
// Hooks: [data-testid="alert-row"][data-alert="<alert_id>"][data-status="firing|acknowledged"]
//   [data-severity="critical|warning|info"]; [data-field="severity|status|watchlist|summary|duration|by"]
//   [data-field="alerts-more"] "+55 more" when the screen cannot show every open alert (data-count)

import { openAlerts, startedMs } from "./alerts.js";
import { el, keyedList, setAttr, setText } from "./dom.js";
import { forDuration, parseTime, shortTime } from "./format.js";

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

export function createAlertsScene(root) {
  const list = root.querySelector('[data-field="alerts"]');
  const empty = root.querySelector('[data-field="alerts-empty"]');
  const counts = root.querySelector('[data-field="alert-counts"]');
  const more = root.querySelector('[data-field="alerts-more"]');

  /** How many rows do not fit (wholly) on the screen: they are listed, most severe first, so the cut
   * ones are the least severe and the newest. Zero while the scene is hidden (nothing has a size). */
  function cutOff() {
    const bottom = list.getBoundingClientRect().bottom;
    let n = 0;
    for (const li of list.children) if (li.getBoundingClientRect().bottom > bottom + 1) n += 1;
    return n;
  }

  return {
    render(model, nowMs = Date.now()) {
      const alerts = openAlerts(model.alerts);
      keyedList(list, alerts, (a) => a.alert_id, build, (li, a) => {
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
      empty.hidden = alerts.length > 0;
      const firing = alerts.filter((a) => a.status === "firing").length;
      setText(counts, `${firing} firing \u00b7 ${alerts.length - firing} acknowledged`);
      const hidden = cutOff();
      setAttr(more, "data-count", hidden);
      setText(more, hidden ? `+${hidden} more` : "");
      more.hidden = hidden === 0;
    },
  };
}
