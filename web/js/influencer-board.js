// The influencer board of one watchlist: rank, handle, three pillar bars (reach, resonance, relevance,
// each 0..1), the combined score, and a badge for journalists and media.
//
// Hook: [data-testid="influencer"][data-handle][data-rank]; [data-field="reach|resonance|relevance"]
// bars carry data-value (0..1); [data-field="badge"] reads "journalist" or "media" when it applies.

import { el, keyedList, setAttr, setText } from "./dom.js";
import { DASH, compact, handle, isNum } from "./format.js";

const PILLARS = [
  ["reach", "reach"],
  ["resonance", "resonance"],
  ["relevance", "relevance"],
];

function build() {
  const li = el("li", "infl", { "data-testid": "influencer" });
  const rank = el("span", "infl__rank", { "data-field": "rank" });
  const who = el("div", "infl__who");
  const name = el("span", "infl__handle", { "data-field": "handle" });
  const badge = el("span", "infl__badge", { "data-field": "badge" });
  const followers = el("span", "infl__followers", { "data-field": "followers" });
  who.append(name, badge, followers);
  const pillars = el("div", "infl__pillars");
  for (const [key, label] of PILLARS) {
    const p = el("div", "pillar", { "data-pillar": key, title: label });
    const bar = el("span", "pillar__bar", { "data-field": key });
    p.append(bar, el("span", "pillar__label", null, label[0].toUpperCase() + label.slice(1, 3)));
    pillars.append(p);
  }
  const score = el("span", "infl__score", { "data-field": "score" });
  li.append(rank, who, pillars, score);
  return li;
}

function update(li, row) {
  setAttr(li, "data-handle", row.handle);
  setAttr(li, "data-rank", row.rank ?? "");
  setText(li.querySelector('[data-field="rank"]'), isNum(row.rank) ? row.rank : DASH);
  setText(li.querySelector('[data-field="handle"]'), handle(row.handle));
  const badge = row.journalist ? "journalist" : row.media ? "media" : "";
  const b = li.querySelector('[data-field="badge"]');
  setText(b, badge);
  b.hidden = !badge;
  setText(li.querySelector('[data-field="followers"]'), isNum(row.followers) ? compact(row.followers) : DASH);
  for (const [key] of PILLARS) {
    const v = isNum(row[key]) ? Math.max(0, Math.min(1, row[key])) : 0;
    const bar = li.querySelector(`[data-field="${key}"]`);
    setAttr(bar, "data-value", v.toFixed(2));
    bar.style.setProperty("--v", v.toFixed(3));
  }
  setText(li.querySelector('[data-field="score"]'), isNum(row.score) ? Math.round(row.score * 100) : DASH);
}

export function createInfluencerBoard(listEl) {
  return {
    set(rows) {
      keyedList(listEl, rows, (r) => r.handle, build, update);
    },
  };
}
