// The ticker of incoming mentions: newest on top, at most `max` lines in the DOM.
// Mention text comes from the public: every string goes in with textContent, never as HTML.
//
// Hooks for browser tests:
//   [data-testid="ticker"] > [data-testid="ticker-item"][data-label="neg|neu|pos"][data-mention="<id>"]
//     [data-field="time"] [data-field="author"] [data-field="followers"] [data-field="watchlists"] [data-field="text"]
//     [data-field="more"] "+18 more" when the line stands for others that arrived with it and are not shown

import { DASH, accentFor, clockTime, compact, handle, parseTime } from "./format.js";

export const MAX_TICKER_ITEMS = 30;
const LABELS = new Set(["neg", "neu", "pos"]);

function span(className, field, text) {
  const s = document.createElement("span");
  s.className = className;
  if (field) s.setAttribute("data-field", field);
  if (text !== undefined) s.textContent = text;
  return s;
}

/**
 * @param {HTMLElement} listEl  the [data-testid="ticker"] list
 * @param {(id: string) => object|undefined} watchlistOf  looks a watchlist up by id
 */
export function createTicker(listEl, watchlistOf, { max = MAX_TICKER_ITEMS } = {}) {
  function build(m, animate) {
    const label = m.sentiment && LABELS.has(m.sentiment.label) ? m.sentiment.label : "neu";
    const li = document.createElement("li");
    li.className = animate ? "tick tick--new" : "tick";
    li.setAttribute("data-testid", "ticker-item");
    li.setAttribute("data-label", label);
    li.setAttribute("data-mention", String(m.id));

    const meta = document.createElement("div");
    meta.className = "tick__meta";
    const created = parseTime(m.created_at);
    const time = document.createElement("time");
    time.className = "tick__time";
    time.setAttribute("data-field", "time");
    time.textContent = clockTime(created);
    if (created) time.dateTime = created.toISOString();
    const author = m.author && typeof m.author === "object" ? m.author : {};
    meta.append(
      time,
      span("tick__author", "author", handle(author.handle)),
      span("tick__followers", "followers", typeof author.followers === "number" ? compact(author.followers) : DASH),
    );

    const lists = span("tick__lists", "watchlists");
    for (const id of Array.isArray(m.watchlists) ? m.watchlists : []) {
      const w = watchlistOf(String(id));
      const chip = span("tick__list", null, w ? String(w.name ?? w.id) : String(id));
      chip.style.setProperty("--accent", accentFor(w || { id: String(id) }));
      lists.append(chip);
    }
    meta.append(lists);
    if (typeof m.more === "number" && m.more > 0) meta.append(span("tick__more", "more", `+${m.more} more`));

    const text = document.createElement("p");
    text.className = "tick__text";
    text.setAttribute("data-field", "text");
    text.textContent = typeof m.text === "string" ? m.text : "";
    li.append(meta, text);
    return li;
  }

  function trim() {
    while (listEl.childElementCount > max) listEl.lastElementChild.remove();
  }

  return {
    /** Replace everything with these mentions (oldest first, as in the protocol). */
    reset(mentions) {
      const frag = document.createDocumentFragment();
      const recent = mentions.slice(-max);
      for (let i = recent.length - 1; i >= 0; i--) frag.append(build(recent[i], false));
      listEl.replaceChildren(frag);
    },
    /** Put new mentions on top (oldest first, as in the protocol). */
    add(items) {
      if (!items.length) return;
      const frag = document.createDocumentFragment();
      const recent = items.slice(-max);
      for (let i = recent.length - 1; i >= 0; i--) frag.append(build(recent[i], true));
      listEl.prepend(frag);
      trim();
    },
  };
}
