// The console's incidents, above its alerts: open incidents from the REST api (/api/v1/incidents), each
// with its severity, its alerts by rule, what drives it, the links of the most-reached negative posts and
// the last lines of its timeline; "+N more" past MAX_SHOWN. Polled every REFRESH_MS. Text through
// textContent only; links only for http(s) addresses.
//
// Hooks: [data-testid="console-incident"][data-incident][data-severity][data-watchlist];
//   [data-field="severity|watchlist|counts|why|posts|timeline"]; [data-field="incidents-more|incidents-empty"]

import { el, keyedList, setAttr, setText } from "../dom.js";
import { describeCounts, fit, whyText } from "../incidents.js";
import { api } from "./api.js";

const REFRESH_MS = 10_000;
const MAX_SHOWN = 6;
const TIMELINE_LINES = 4;

function build() {
  const li = el("li", "c-alert c-incident", { "data-testid": "console-incident" });
  const head = el("div", "c-alert__head");
  head.append(
    el("span", "c-alert__severity", { "data-field": "severity" }),
    el("strong", "c-alert__watchlist", { "data-field": "watchlist" }),
    el("span", "c-alert__rule", { "data-field": "counts" }),
  );
  li.append(
    head,
    el("p", "c-alert__summary", { "data-field": "why" }),
    el("ul", "c-incident__posts", { "data-field": "posts" }),
    el("ol", "c-incident__timeline", { "data-field": "timeline" }),
  );
  return li;
}

function safeUrl(url) {
  return typeof url === "string" && /^https?:\/\//.test(url) ? url : null;
}

function fill(li, incident) {
  setAttr(li, "data-incident", incident.incident_id);
  setAttr(li, "data-severity", incident.severity);
  setAttr(li, "data-watchlist", incident.watchlist);
  const q = (f) => li.querySelector(`[data-field="${f}"]`);
  setText(q("severity"), String(incident.severity).toUpperCase());
  setText(q("watchlist"), String(incident.watchlist));
  setText(q("counts"), describeCounts(incident.counts || {}));
  const why = whyText(incident.why);
  setText(q("why"), why ? `Why: ${why}` : String(incident.summary || ""));
  const posts = q("posts");
  posts.replaceChildren(
    ...((incident.why && incident.why.negative_posts) || []).map((post) => {
      const item = el("li");
      const url = safeUrl(post.url);
      const who = el(url ? "a" : "span");
      if (url) setAttr(who, "href", url);
      setText(who, `@${post.handle}`);
      item.append(who, document.createTextNode(`: ${String(post.text || "").slice(0, 140)}`));
      return item;
    }),
  );
  const timeline = q("timeline");
  timeline.replaceChildren(
    ...(incident.timeline || []).slice(-TIMELINE_LINES).map((entry) => {
      const item = el("li");
      const at = new Date(entry.at);
      const when = Number.isNaN(at.getTime()) ? "" : at.toLocaleTimeString();
      setText(item, `${when} ${entry.rule.replace(/_/g, " ")} ${entry.status} ${entry.severity}: ${entry.summary}`);
      return item;
    }),
  );
}

export function createIncidentsPanel(root, { onError = () => {} } = {}) {
  const list = root.querySelector('[data-field="incidents"]');
  const more = root.querySelector('[data-field="incidents-more"]');
  const empty = root.querySelector('[data-field="incidents-empty"]');

  async function refresh() {
    try {
      const incidents = await api("GET", "/api/v1/incidents?status=open");
      const { shown, more: left } = fit(incidents, MAX_SHOWN);
      keyedList(list, shown, (i) => i.incident_id, build, fill);
      empty.hidden = incidents.length > 0;
      more.hidden = left === 0;
      setText(more, left ? `+${left} more` : "");
    } catch (error) {
      // A refused key is the connection's to say, in words (console.js): not overwritten by this refresh.
      if (error.status === 401 || error.status === 403) return;
      onError(`incidents: ${error.message}`);
    }
  }

  return {
    refresh,
    start() {
      refresh();
      setInterval(refresh, REFRESH_MS);
    },
  };
}
