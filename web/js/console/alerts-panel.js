// The console's alerts: open ones first, with Acknowledge, Resolve and Silence 1 h. Each action is a POST
// signed with the operator's name; the list follows the websocket's `alert` messages.
//
// Hooks: [data-testid="console-alert"][data-alert][data-status][data-severity];
//   buttons [data-action="acknowledge|resolve|silence"]; [data-field="summary|status|duration|watchlist"]

import { interrupting, openAlerts, startedMs } from "../alerts.js";
import { el, keyedList, setAttr, setText } from "../dom.js";
import { forDuration } from "../format.js";
import { api } from "./api.js";

const SILENCE_MS = 3600_000;

export function createAlertsPanel(root, { operator, model, onError, onChange }) {
  const list = root.querySelector('[data-field="alerts"]');
  const empty = root.querySelector('[data-field="alerts-empty"]');

  async function act(alert, action, button) {
    const by = operator();
    if (!by) return onError("Type your name (top right) first: every action is signed.");
    button.disabled = true;
    try {
      if (action === "silence") {
        const now = Date.now();
        await api("POST", "/api/v1/silences", {
          watchlists: [alert.watchlist],
          rules: [alert.rule],
          ends_at: new Date(now + SILENCE_MS).toISOString(),
          created_by: by,
          comment: `silenced from the console for 1 h (alert ${alert.alert_id})`,
        });
        const fresh = await api("GET", `/api/v1/alerts/${encodeURIComponent(alert.alert_id)}`);
        onChange(fresh);
      } else {
        onChange(await api("POST", `/api/v1/alerts/${encodeURIComponent(alert.alert_id)}/${action}`, { by }));
      }
      onError("");
    } catch (error) {
      onError(`${action} failed: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  }

  function build(alert) {
    const li = el("li", "c-alert", { "data-testid": "console-alert" });
    const head = el("div", "c-alert__head");
    head.append(
      el("span", "c-alert__severity", { "data-field": "severity" }),
      el("strong", "c-alert__watchlist", { "data-field": "watchlist" }),
      el("span", "c-alert__rule", { "data-field": "rule" }),
      el("span", "c-alert__status", { "data-field": "status" }),
      el("span", "c-alert__duration", { "data-field": "duration" }),
    );
    const summary = el("p", "c-alert__summary", { "data-field": "summary" });
    const actions = el("div", "c-alert__actions");
    for (const [action, label] of [
      ["acknowledge", "Acknowledge"],
      ["resolve", "Resolve"],
      ["silence", "Silence 1 h"],
    ]) {
      const b = el("button", `btn btn--${action}`, { type: "button", "data-action": action }, label);
      b.addEventListener("click", () => act(li.__alert, action, b));
      actions.append(b);
    }
    li.append(head, summary, actions);
    li.__alert = alert;
    return li;
  }

  function update(li, a, now) {
    li.__alert = a;
    setAttr(li, "data-alert", a.alert_id);
    setAttr(li, "data-status", a.status);
    setAttr(li, "data-severity", a.severity);
    const q = (f) => li.querySelector(`[data-field="${f}"]`);
    setText(q("severity"), a.severity);
    const w = model.byId.get(a.watchlist);
    setText(q("watchlist"), w ? String(w.name ?? w.id) : String(a.watchlist));
    setText(q("rule"), String(a.rule).replace(/_/g, " "));
    // `by` is the name of the key that acted (the audit); `note` the name its user typed.
    const signed = a.note ? `${a.note} (key ${a.by})` : a.by;
    const who = a.status === "acknowledged" && a.by ? ` by ${signed}` : "";
    const silenced = a.silenced_by ? " \u00b7 silenced" : "";
    setText(q("status"), `${a.status}${who}${silenced}`);
    setText(q("duration"), forDuration(startedMs(a), now));
    setText(q("summary"), typeof a.summary === "string" ? a.summary : "");
    li.querySelector('[data-action="acknowledge"]').hidden = a.status !== "firing";
  }

  return {
    render(now = Date.now()) {
      const alerts = openAlerts(model.alerts);
      keyedList(list, alerts, (a) => a.alert_id, build, (li, a) => update(li, a, now));
      empty.hidden = alerts.length > 0;
      setAttr(root, "data-critical", interrupting(model.alerts).length);
    },
  };
}
