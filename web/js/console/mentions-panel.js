// Recent mentions of one watchlist, searchable. Only what this page has seen: the snapshot's ticker and
// the mentions that came over the websocket since it opened (a sample, not every mention); the filter
// runs in the browser over those. Text is public: textContent only.
//
// Hooks: [data-testid="console-mention"][data-mention]; select name=mentions-watchlist; input name=mentions-search;
// each mention's sentiment can be corrected there (js/console/correct-sentiment.js), and a correction made
// anywhere (the websocket's `correction` message) shows on it.

import { el, keyedList, setText } from "../dom.js";
import { clockTime, handle, parseTime } from "../format.js";
import { sentimentControl } from "./correct-sentiment.js";

export const KEPT_MENTIONS = 500;

/** The mentions of a watchlist (all when id is ""), whose text, author or hashtags contain `search`. */
export function filterMentions(mentions, watchlistId, search) {
  const needle = search.trim().toLowerCase();
  return mentions.filter((m) => {
    if (watchlistId && !(Array.isArray(m.watchlists) && m.watchlists.includes(watchlistId))) return false;
    if (!needle) return true;
    const author = m.author && typeof m.author === "object" ? String(m.author.handle ?? "") : "";
    const tags = Array.isArray(m.hashtags) ? m.hashtags.join(" ") : "";
    return `${m.text ?? ""} ${author} ${tags}`.toLowerCase().includes(needle);
  });
}

export function createMentionsPanel(root, { model, operator, onError }) {
  const select = root.querySelector('[name="mentions-watchlist"]');
  const search = root.querySelector('[name="mentions-search"]');
  const list = root.querySelector('[data-field="mentions"]');
  const count = root.querySelector('[data-field="mentions-count"]');
  const seen = []; // newest last
  const ids = new Set();
  let dirty = true;

  select.addEventListener("change", () => (dirty = true));
  search.addEventListener("input", () => (dirty = true));

  return {
    add(items) {
      for (const m of items) {
        if (!m || ids.has(String(m.id))) continue;
        ids.add(String(m.id));
        seen.push(m);
      }
      while (seen.length > KEPT_MENTIONS) ids.delete(String(seen.shift().id));
      dirty = true;
    },
    /** A mention's sentiment was corrected (here, in Search, or by someone else). */
    corrected(id, sentiment) {
      const m = seen.find((item) => String(item.id) === String(id));
      if (!m) return;
      m.sentiment = sentiment;
      m.corrected = (m.corrected || 0) + 1; // the row is drawn again
      dirty = true;
    },
    render() {
      const current = select.value;
      const options = [["", "All watchlists"], ...model.watchlists.map((w) => [w.id, String(w.name ?? w.id)])];
      if (select.options.length !== options.length || [...select.options].some((o, i) => o.value !== options[i][0])) {
        select.replaceChildren(...options.map(([v, t]) => el("option", "", { value: v }, t)));
        select.value = options.some(([v]) => v === current) ? current : "";
        dirty = true;
      }
      if (!dirty) return;
      dirty = false;
      const found = filterMentions(seen, select.value, search.value).slice(-100).reverse();
      keyedList(
        list,
        found,
        (m) => m.id,
        (m) => {
          const li = el("li", "c-mention", { "data-testid": "console-mention" });
          const meta = el("div", "c-muted");
          meta.append(el("span", "", { "data-field": "time" }), " ", el("span", "", { "data-field": "author" }));
          li.append(meta, el("p", "c-mention__text", { "data-field": "text" }));
          const control = sentimentControl(m, {
            operator,
            onError,
            onCorrected(sentiment) {
              m.sentiment = sentiment;
              li.setAttribute("data-label", sentiment.label);
            },
          });
          li.correction = control;
          meta.append(" ", control.element);
          return li;
        },
        (li, m) => {
          li.setAttribute("data-mention", String(m.id));
          li.setAttribute("data-label", (m.sentiment && m.sentiment.label) || "neu");
          li.correction.show(m.sentiment);
          setText(li.querySelector('[data-field="time"]'), clockTime(parseTime(m.created_at)));
          setText(li.querySelector('[data-field="author"]'), handle(m.author && m.author.handle));
          setText(li.querySelector('[data-field="text"]'), typeof m.text === "string" ? m.text : "");
        },
      );
      setText(count, `${found.length} of ${seen.length} mentions seen by this page`);
    },
  };
}
