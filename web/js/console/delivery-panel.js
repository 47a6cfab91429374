// The console's delivery side: endpoints (create, edit, send a test and see what the receiver answered,
// read the delivery log) and subscriptions (create, edit). Fetched on load, after each save and on
// "Refresh"; endpoints and subscriptions change rarely.
//
// Hooks: [data-testid="console-subscription"][data-subscription], [data-testid="console-endpoint"][data-endpoint]
//   with [data-action="edit|test|log"] and [data-testid="endpoint-test-answer"][data-outcome];
//   forms [data-testid="endpoint-form"] (kind, name, url, routing_key, address) and
//   [data-testid="subscription-form"] (name, channel, min_severity, watchlists, enabled), each with a
//   [data-field="status"]; [data-testid="attempt"] rows of the log ([data-field="at|outcome|status|latency|error"])

import { el, keyedList, setAttr, setText } from "../dom.js";
import { DASH, clockTime, parseTime } from "../format.js";
import { api } from "./api.js";

/** One line for what a receiver answered a test (POST /api/v1/endpoints/{id}/test). */
export function describeTestAnswer(a) {
  const parts = [a.outcome];
  if (typeof a.status_code === "number") parts.push(`HTTP ${a.status_code}`);
  if (typeof a.latency_ms === "number") parts.push(`${Math.round(a.latency_ms)} ms`);
  let text = parts.join(" \u00b7 ");
  if (a.error) text += ` \u2014 ${a.error}`;
  else if (a.answer) text += ` \u2014 answered: ${a.answer}`;
  return text;
}

function splitList(text) {
  return text
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
}

export function createDeliveryPanel(root, { onError }) {
  const subs = root.querySelector('[data-field="subscriptions"]');
  const endpoints = root.querySelector('[data-field="endpoints"]');
  const log = root.querySelector('[data-field="attempts"]');
  const logTitle = root.querySelector('[data-field="attempts-title"]');
  const endpointForm = root.querySelector('[data-testid="endpoint-form"]');
  const subForm = root.querySelector('[data-testid="subscription-form"]');
  let editingEndpoint = null;
  let editingSub = null; // the subscription being edited (its schedule and escalation are kept)
  let known = [];

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

  async function sendTest(li, button) {
    const answerEl = li.querySelector('[data-testid="endpoint-test-answer"]');
    button.disabled = true;
    setAttr(answerEl, "data-outcome", "");
    setText(answerEl, "sending a test\u2026");
    try {
      const answer = await api("POST", `/api/v1/endpoints/${encodeURIComponent(li.__endpoint.id)}/test`);
      setAttr(answerEl, "data-outcome", answer.outcome);
      setText(answerEl, describeTestAnswer(answer));
    } catch (error) {
      setAttr(answerEl, "data-outcome", "error");
      setText(answerEl, `not sent: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  }

  function fillEndpointForm(x) {
    editingEndpoint = x ? x.id : null;
    const f = endpointForm.elements;
    setText(endpointForm.querySelector('[data-field="title"]'), x ? `Edit endpoint ${x.name || x.id}` : "New endpoint");
    f.kind.value = x ? x.kind : "webhook";
    f.kind.disabled = Boolean(x);
    endpointForm.setAttribute("data-kind", f.kind.value);
    f.name.value = x ? x.name || "" : "";
    f.url.value = x && x.kind !== "pagerduty" ? x.url || "" : "";
    f.routing_key.value = x ? x.routing_key || "" : "";
    f.address.value = x ? x.address || "" : "";
    setText(endpointForm.querySelector('[data-field="status"]'), "");
  }

  function fillSubForm(x) {
    editingSub = x || null;
    const f = subForm.elements;
    setText(subForm.querySelector('[data-field="title"]'), x ? `Edit subscription ${x.name}` : "New subscription");
    f.name.value = x ? x.name : "";
    f.channel.value = x && typeof x.channel === "string" ? x.channel : f.channel.value;
    f.min_severity.value = x ? x.min_severity : "warning";
    f.watchlists.value = x ? (x.watchlists || []).join(", ") : "";
    f.enabled.checked = x ? x.enabled !== false : true;
    setText(subForm.querySelector('[data-field="status"]'), "");
  }

  endpointForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = endpointForm.elements;
    const status = endpointForm.querySelector('[data-field="status"]');
    const body = { kind: f.kind.value, name: f.name.value.trim() };
    if (body.kind === "email") body.address = f.address.value.trim();
    else if (f.url.value.trim()) body.url = f.url.value.trim();
    if (body.kind === "pagerduty") body.routing_key = f.routing_key.value.trim();
    try {
      const saved = editingEndpoint
        ? await api("PUT", `/api/v1/endpoints/${encodeURIComponent(editingEndpoint)}`, { ...body, id: editingEndpoint })
        : await api("POST", "/api/v1/endpoints", body);
      setAttr(status, "data-ok", "true");
      const secret = !editingEndpoint && saved.secret ? ` \u2014 its signing secret, shown once: ${saved.secret}` : "";
      setText(status, `Saved ${saved.name || saved.id} (${saved.id})${secret}`);
      editingEndpoint = saved.id;
      setText(endpointForm.querySelector('[data-field="title"]'), `Edit endpoint ${saved.name || saved.id}`);
      f.kind.disabled = true;
      await refresh();
    } catch (error) {
      setAttr(status, "data-ok", "false");
      setText(status, `Not saved: ${error.message}`);
    }
  });

  subForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = subForm.elements;
    const status = subForm.querySelector('[data-field="status"]');
    const body = {
      ...(editingSub || {}),
      name: f.name.value.trim(),
      channel: f.channel.value,
      min_severity: f.min_severity.value,
      watchlists: splitList(f.watchlists.value),
      enabled: f.enabled.checked,
    };
    try {
      const saved = editingSub
        ? await api("PUT", `/api/v1/subscriptions/${encodeURIComponent(editingSub.id)}`, body)
        : await api("POST", "/api/v1/subscriptions", body);
      setAttr(status, "data-ok", "true");
      setText(status, `Saved ${saved.name} (${saved.id})`);
      editingSub = saved;
      setText(subForm.querySelector('[data-field="title"]'), `Edit subscription ${saved.name}`);
      await refresh();
    } catch (error) {
      setAttr(status, "data-ok", "false");
      setText(status, `Not saved: ${error.message}`);
    }
  });

  function channelOptions() {
    const select = subForm.elements.channel;
    const current = select.value;
    select.replaceChildren(...known.map((x) => el("option", "", { value: x.id }, `${x.name || x.id} (${x.kind})`)));
    if (known.some((x) => x.id === current)) select.value = current;
  }

  async function refresh() {
    try {
      const [s, e] = await Promise.all([api("GET", "/api/v1/subscriptions"), api("GET", "/api/v1/endpoints")]);
      known = e;
      channelOptions();
      keyedList(
        subs,
        s,
        (x) => x.id,
        () => {
          const li = el("li", "c-row", { "data-testid": "console-subscription" });
          const text = el("span", "c-row__main", { "data-field": "text" });
          const edit = el("button", "btn btn--small", { type: "button", "data-action": "edit" }, "Edit");
          edit.addEventListener("click", () => fillSubForm(li.__subscription));
          li.append(text, edit);
          return li;
        },
        (li, x) => {
          li.__subscription = x;
          setAttr(li, "data-subscription", x.id);
          const endpoint = known.find((e) => e.id === x.channel);
          const ch =
            x.channel && typeof x.channel === "object"
              ? `${x.channel.kind} ${x.channel.target}`
              : endpoint
                ? `${endpoint.name || endpoint.id} (${endpoint.kind})`
                : String(x.channel);
          setText(
            li.firstChild,
            `${x.name} \u2014 ${x.min_severity}+ \u00b7 ${(x.watchlists || []).join(", ") || "all watchlists"} \u00b7 ` +
              `${ch}${x.enabled === false ? " \u00b7 disabled" : ""}`,
          );
        },
      );
      keyedList(
        endpoints,
        e,
        (x) => x.id,
        () => {
          const li = el("li", "c-row c-endpoint", { "data-testid": "console-endpoint" });
          const text = el("span", "c-row__main", { "data-field": "text" });
          const actions = el("span", "c-row__actions");
          for (const [action, label] of [
            ["edit", "Edit"],
            ["test", "Send a test"],
            ["log", "Log"],
          ]) {
            const b = el("button", "btn btn--small", { type: "button", "data-action": action }, label);
            b.addEventListener("click", () => {
              if (action === "edit") fillEndpointForm(li.__endpoint);
              else if (action === "test") sendTest(li, b);
              else showLog(li.__endpoint);
            });
            actions.append(b);
          }
          const answer = el("p", "c-test-answer", { "data-testid": "endpoint-test-answer", "aria-live": "polite" });
          li.append(text, actions, answer);
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

  endpointForm.elements.kind.addEventListener("change", () => {
    endpointForm.setAttribute("data-kind", endpointForm.elements.kind.value);
  });
  root.querySelector('[data-action="refresh-delivery"]').addEventListener("click", refresh);
  root.querySelector('[data-action="new-endpoint"]').addEventListener("click", () => fillEndpointForm(null));
  root.querySelector('[data-action="new-subscription"]').addEventListener("click", () => fillSubForm(null));
  fillEndpointForm(null);
  fillSubForm(null);
  return { refresh };
}
