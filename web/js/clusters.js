// Coordinated activity around one watchlist: bursts of near-duplicate posts by many tiny accounts.
// The template is public text: shown with textContent only.
//
// Hook: [data-testid="cluster"][data-cluster="<id>"]; [data-field="accounts|mentions|reach|template|when"].

import { el, keyedList, setAttr, setText } from "./dom.js";
import { DASH, compact, isNum, shortTime } from "./format.js";

function build() {
  const li = el("li", "cluster", { "data-testid": "cluster" });
  const figs = el("div", "cluster__figs");
  const accounts = el("span", "cluster__accounts", { "data-field": "accounts" });
  const mentions = el("span", "cluster__fig", { "data-field": "mentions" });
  const reach = el("span", "cluster__fig", { "data-field": "reach" });
  const when = el("span", "cluster__when", { "data-field": "when" });
  figs.append(accounts, mentions, reach, when);
  const template = el("p", "cluster__template", { "data-field": "template" });
  li.append(figs, template);
  return li;
}

function update(li, c, nowS) {
  setAttr(li, "data-cluster", c.id ?? "");
  const live = isNum(c.last_seen_ts) && nowS - c.last_seen_ts < 300;
  setAttr(li, "data-live", live ? "true" : "false");
  setText(li.querySelector('[data-field="accounts"]'), `${isNum(c.account_count) ? c.account_count : DASH} accounts`);
  setText(li.querySelector('[data-field="mentions"]'), `${isNum(c.mentions) ? compact(c.mentions) : DASH} posts`);
  setText(li.querySelector('[data-field="reach"]'), `reach ${isNum(c.reach) ? compact(c.reach) : DASH}`);
  const seen = isNum(c.last_seen_ts) ? shortTime(new Date(c.last_seen_ts * 1000)) : DASH;
  setText(li.querySelector('[data-field="when"]'), live ? `live \u00b7 ${seen}` : `ended ${seen}`);
  const text = typeof c.template === "string" && c.template ? c.template : typeof c.example === "string" ? c.example : "";
  setText(li.querySelector('[data-field="template"]'), text ? `\u201c${text}\u201d` : DASH);
}

export function createClusterList(listEl) {
  return {
    set(clusters, nowS) {
      keyedList(listEl, clusters.slice(0, 6), (c) => c.id, build, (li, c) => update(li, c, nowS));
    },
  };
}
