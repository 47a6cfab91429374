// The console's delivery side: subscriptions, endpoints, and one endpoint's delivery log (its attempts).
// Fetched on load and on "Refresh"; endpoints and subscriptions change rarely.
//
// Hooks: [data-testid="console-subscription"], [data-testid="console-endpoint"][data-endpoint],
//   [data-testid="attempt"] rows of the log ([data-field="at|outcome|status|latency|error"])

import { el, keyedList, setAttr, setText } from "../dom.js";
import { DASH, clockTime, parseTime } from "../format.js";
import { api } from "./api.js";

export function createDeliveryPanel(root, { onError }) {
  const subs = root.querySelector('[data-field="subscriptions"]');
  const endpoints = root.querySelector('[data-field="endpoints"]');
  const log = root.querySelector('[data-field="attempts"]');
  const logTitle = root.querySelector('[data-field="attempts-title"]');

  async function showLog(endpoint) {
    setText(logTitle, `Delivery log \u2014 ${endpoint.name || endpoint.id}`);
    try {
      const attempts = await api("GET", `/api/v1/endpoints/${encodeURIComponent(endpoint.id)}/attempts?limit=50`);
      keyedList(
        log,
        attempts,
        (a) => `${a.delivery_id}:${a.number}`,
        () => {
          const tr = el("tr", "", { "data-testid": "attempt" });
          for (const f of ["at", "outcome", "status", "latency", "error"]) tr.append(el("td", "", { "data-field": f }));
          return tr;
        },
        (tr, a) => {
          const q = (f) => tr.querySelector(`[data-field="${f}"]`);
          setText(q("at"), clockTime(parseTime(a.at)));
          setText(q("outcome"), a.outcome ?? DASH);
          setAttr(tr, "data-outcome", a.outcome ?? "");
          setText(q("status"), a.status_code ?? DASH);
          setText(q("latency"), typeof a.latency_ms === "number" ? `${Math.round(a.latency_ms)} ms` : DASH);
          setText(q("error"), a.error ?? "");
        },
      );
      if (!attempts.length) setText(logTitle, `Delivery log \u2014 ${endpoint.name || endpoint.id}: nothing sent yet`);
    } catch (error) {
      onError(`Could not read the delivery log: ${error.message}`);
    }
  }

  async function refresh() {
    try {
      const [s, e] = await Promise.all([api("GET", "/api/v1/subscriptions"), api("GET", "/api/v1/endpoints")]);
      keyedList(
        subs,
        s,
        (x) => x.id,
        () => el("li", "c-row", { "data-testid": "console-subscription" }),
        (li, x) => {
          const ch = x.channel && typeof x.channel === "object" ? x.channel : {};
          setText(
            li,
            `${x.name} \u2014 ${x.min_severity}+ \u00b7 ${(x.watchlists || []).join(", ") || "all watchlists"} \u00b7 ` +
              `${ch.kind ?? ch.type ?? ""} ${ch.endpoint ?? ch.endpoint_id ?? ""}${x.enabled === false ? " \u00b7 disabled" : ""}`,
          );
        },
      );
      keyedList(
        endpoints,
        e,
        (x) => x.id,
        () => {
          const li = el("li", "c-row", { "data-testid": "console-endpoint" });
          const b = el("button", "c-row__main linkish", { type: "button" });
          b.addEventListener("click", () => showLog(li.__endpoint));
          li.append(b);
          return li;
        },
        (li, x) => {
          li.__endpoint = x;
          setAttr(li, "data-endpoint", x.id);
          const where = x.url || x.address || x.routing_key || "";
          const state = x.enabled === false || x.disabled_reason ? ` \u00b7 disabled ${x.disabled_reason ?? ""}` : "";
          setText(li.firstChild, `${x.name || x.id} \u2014 ${x.kind} ${where}${state}`);
        },
      );
    } catch (error) {
      onError(`Could not read subscriptions and endpoints: ${error.message}`);
    }
  }

  root.querySelector('[data-action="refresh-delivery"]').addEventListener("click", refresh);
  return { refresh };
}
