// The influencer board of one watchlist: place, handle, three pillar bars (reach, resonance, relevance,
// each 0..1, named in full by the panel's key), the combined score, and a badge for journalists and
// media. The watchlist's own accounts are not ranked among the people who talk about it: they are
// listed apart, under the board.
//
// Hook: [data-testid="influencer"][data-handle][data-rank]; [data-field="reach|resonance|relevance"]
// bars carry data-value (0..1); [data-field="badge"] reads "journalist" or "media" when it applies;
// [data-testid="own-account"][data-handle] for the watchlist's own accounts.

import { el, keyedList, setAttr, setText } from "./dom.js";
import { DASH, compact, handle, isNum } from "./format.js";

const PILLARS = [
  ["reach", "Reach"],
  ["resonance", "Resonance"],
  ["relevance", "Relevance"],
];

function build() {
  const li = el("li", "infl", { "data-testid": "influencer" });
  const rank = el("span", "infl__rank", { "data-field": "rank" });
  const who = el("div", "infl__who");
  const name = el("span", "infl__handle", { "data-field": "handle" });
  const about = el("span", "infl__about");
  const badge = el("span", "infl__badge", { "data-field": "badge" });
  const followers = el("span", "infl__followers", { "data-field": "followers" });
  about.append(badge, followers);
  who.append(name, about);
  const pillars = el("div", "infl__pillars");
  for (const [key, label] of PILLARS) {
    const p = el("div", "pillar", { "data-pillar": key, title: label });
    p.append(el("span", "pillar__bar", { "data-field": key }));
    pillars.append(p);
  }
  const score = el("span", "infl__score", { "data-field": "score" });
  li.append(rank, who, pillars, score);
  return li;
}

function update(li, row) {
  setAttr(li, "data-handle", row.handle);
  setAttr(li, "data-rank", row.place ?? row.rank ?? "");
  const place = row.place ?? row.rank;
  setText(li.querySelector('[data-field="rank"]'), isNum(place) ? place : DASH);
  const name = li.querySelector('[data-field="handle"]');
  setText(name, handle(row.handle));
  setAttr(name, "title", handle(row.handle)); // the full name, should a very long one be cut
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

function buildOwn() {
  const li = el("li", "own-account", { "data-testid": "own-account" });
  li.append(el("span", "own-account__handle"), el("span", "own-account__followers"));
  return li;
}

function updateOwn(li, row) {
  setAttr(li, "data-handle", row.handle);
  setText(li.firstChild, handle(row.handle));
  setText(li.lastChild, isNum(row.followers) ? compact(row.followers) : DASH);
}

/** @param listEl the board's list; @param ownEl the list of the watchlist's own accounts (hidden when empty) */
export function createInfluencerBoard(listEl, ownEl) {
  return {
    /** @param board from insights.js boardFor(): {rows, own} */
    set(board) {
      keyedList(listEl, board.rows, (r) => r.handle, build, update);
      if (!ownEl) return;
      keyedList(ownEl.querySelector("ol"), board.own, (r) => r.handle, buildOwn, updateOwn);
      ownEl.hidden = board.own.length === 0;
    },
  };
}
