// The incidents of the alerts scene (web/js/incidents.js), above its alert rows: each with its watchlist,
// severity, how many alerts it holds by rule, what drives it and how long it has been going on; "+N more"
// when the scene cannot show them all. Text from the system: textContent only.
//
// Hooks: [data-testid="incident-row"][data-watchlist][data-severity][data-status="firing|acknowledged"];
//   [data-field="severity|watchlist|counts|why|duration"]; [data-field="incidents-more"]

import { el, keyedList, setAttr, setText } from "./dom.js";
import { forDuration } from "./format.js";
import { describeCounts, fit, whyText } from "./incidents.js";

export const MAX_INCIDENTS = 4;

function build() {
  const li = el("li", "incident-row", { "data-testid": "incident-row" });
  const head = el("div", "incident-row__top");
  head.append(
    el("span", "incident-row__severity", { "data-field": "severity" }),
    el("span", "incident-row__watchlist", { "data-field": "watchlist" }),
    el("span", "incident-row__counts", { "data-field": "counts" }),
    el("span", "incident-row__duration", { "data-field": "duration" }),
  );
  li.append(head, el("p", "incident-row__why", { "data-field": "why" }));
  return li;
}

export function renderIncidents(list, more, incidents, model, nowMs, max = MAX_INCIDENTS) {
  const { shown, more: left } = fit(incidents, max);
  keyedList(list, shown, (i) => i.watchlist, build, (li, incident) => {
    setAttr(li, "data-watchlist", incident.watchlist);
    setAttr(li, "data-severity", incident.severity);
    setAttr(li, "data-status", incident.firing ? "firing" : "acknowledged");
    const q = (f) => li.querySelector(`[data-field="${f}"]`);
    const w = model.byId.get(incident.watchlist);
    setText(q("severity"), String(incident.severity).toUpperCase());
    setText(q("watchlist"), w ? String(w.name ?? w.id) : String(incident.watchlist));
    setText(q("counts"), describeCounts(incident.counts));
    setText(q("duration"), incident.startedMs === null ? "" : forDuration(incident.startedMs, nowMs));
    const why = whyText(incident.why);
    setText(q("why"), why ? `Why: ${why}` : "");
  });
  list.hidden = shown.length === 0;
  more.hidden = left === 0;
  setText(more, left ? `+${left} more incident${left === 1 ? "" : "s"}` : "");
}
