// The console's alerts: open ones first, with Acknowledge, Resolve and Silence 1 h. Each action is a POST
// signed with the operator's name; the list follows the websocket's `alert` messages. Filters (severity
// and above, watchlist, status) narrow the list; "Acknowledge selected" acts on the ticked firing ones.
//
// Hooks: [data-testid="console-alert"][data-alert][data-status][data-severity];
//   buttons [data-action="acknowledge|resolve|silence"]; [data-field="summary|status|duration|watchlist"];
//   [data-field="select"] checkbox per alert; filters [data-testid="alert-filter-severity|watchlist|status"];
//   [data-action="select-all"], [data-action="acknowledge-selected"]; [data-field="alerts-shown"]

import { filterAlerts, interrupting, openAlerts, startedMs } from "../alerts.js";
import { el, keyedList, setAttr, setText } from "../dom.js";
import { forDuration } from "../format.js";
import { api } from "./api.js";

const SILENCE_MS = 3600_000;

export function createAlertsPanel(root, { operator, model, onError, onChange }) {
  const list = root.querySelector('[data-field="alerts"]');
  const empty = root.querySelector('[data-field="alerts-empty"]');
  const shownEl = root.querySelector('[data-field="alerts-shown"]');
  const filterEls = {
    severity: root.querySelector('[data-testid="alert-filter-severity"]'),
    watchlist: root.querySelector('[data-testid="alert-filter-watchlist"]'),
    status: root.querySelector('[data-testid="alert-filter-status"]'),
  };
  const selected = new Set(); // alert ids ticked
  let lastShown = [];

  function filters() {
    return {
      severity: filterEls.severity.value,
      watchlist: filterEls.watchlist.value,
      status: filterEls.status.value,
    };
  }

  function watchlistOptions() {
    const want = ["", ...model.watchlists.map((w) => w.id)];
    const have = [...filterEls.watchlist.options].map((o) => o.value);
    if (want.join("\n") === have.join("\n")) return;
    const current = filterEls.watchlist.value;
    filterEls.watchlist.replaceChildren(
      el("option", "", { value: "" }, "every watchlist"),
      ...model.watchlists.map((w) => el("option", "", { value: w.id }, String(w.name ?? w.id))),
    );
    filterEls.watchlist.value = want.includes(current) ? current : "";
  }

  async function acknowledgeSelected(button) {
    const by = operator();
    if (!by) return onError("Type your name (top right) first: every action is signed.");
    const firing = lastShown.filter((a) => selected.has(a.alert_id) && a.status === "firing");
    if (!firing.length) return onError("Tick the firing alerts to acknowledge first.");
    button.disabled = true;
    const failed = [];
    for (const alert of firing) {
      try {
        onChange(await api("POST", `/api/v1/alerts/${encodeURIComponent(alert.alert_id)}/acknowledge`, { by }));
        selected.delete(alert.alert_id);
      } catch (error) {
        failed.push(`${alert.alert_id}: ${error.message}`);
      }
    }
    button.disabled = false;
    onError(failed.length ? `acknowledge failed for ${failed.join("; ")}` : "");
  }

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
    const tick = el("input", "c-alert__select", { type: "checkbox", "data-field": "select", "aria-label": "select" });
    tick.addEventListener("change", () => {
      if (tick.checked) selected.add(li.__alert.alert_id);
      else selected.delete(li.__alert.alert_id);
    });
    head.append(
      tick,
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
    li.querySelector('[data-field="select"]').checked = selected.has(a.alert_id);
  }

  for (const f of Object.values(filterEls)) f.addEventListener("change", () => render());
  root.querySelector('[data-action="select-all"]').addEventListener("click", () => {
    const all = lastShown.every((a) => selected.has(a.alert_id));
    for (const a of lastShown) (all ? selected.delete(a.alert_id) : selected.add(a.alert_id));
    render();
  });
  const bulk = root.querySelector('[data-action="acknowledge-selected"]');
  bulk.addEventListener("click", () => acknowledgeSelected(bulk));

  function render(now = Date.now()) {
    watchlistOptions();
    const open = openAlerts(model.alerts);
    const alerts = filterAlerts(model.alerts, filters());
    lastShown = alerts;
    for (const id of [...selected]) if (!model.alerts.has(id)) selected.delete(id);
    keyedList(list, alerts, (a) => a.alert_id, build, (li, a) => update(li, a, now));
    empty.hidden = alerts.length > 0;
    setText(empty, open.length ? "No open alert matches these filters." : "No open alert.");
    setText(shownEl, `${alerts.length} of ${open.length} open alerts`);
    setAttr(root, "data-critical", interrupting(model.alerts).length);
  }

  return { render };
}
