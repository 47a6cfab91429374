// Search the archive (GET /api/v1/mentions/search): a watchlist query plus filters, newest or largest
// reach first, a page at a time ("More" follows next_cursor), and export links for the same search (CSV,
// NDJSON; a link cannot carry a header, so they carry the key as ?token=). The panel builds its own form
// inside `root`. Text is public: textContent only.
//
// Hooks: form[data-testid="search-form"] (inputs named q, watchlist, sentiment, lang, source, author, from,
// to, sort); [data-testid="search-status"]; [data-testid="search-archive"] (how current the archive is,
// data-warning when it runs behind the wall or its archiver stopped reporting); tr[data-testid="search-result"][data-mention];
// [data-testid="search-more"]; a[data-testid="export-csv"], a[data-testid="export-ndjson"]; each result's
// sentiment can be corrected there (js/console/correct-sentiment.js).

import { el, setText } from "../dom.js";
import { clockTime, compact, handle, parseTime } from "../format.js";
import { api, ApiError } from "./api.js";
import { sentimentControl } from "./correct-sentiment.js";

export const PAGE = 50;
const FILTERS = ["watchlist", "sentiment", "lang", "source", "author", "from", "to", "sort"];

/** The search's parameters from the form's values: blank fields left out, local times sent as UTC. */
export function searchParams(values) {
  const params = new URLSearchParams();
  if (values.q && values.q.trim()) params.set("q", values.q.trim());
  for (const name of FILTERS) {
    const value = (values[name] ?? "").trim();
    if (!value) continue;
    if (name === "from" || name === "to") {
      const moment = new Date(value);
      if (!Number.isNaN(moment.getTime())) params.set(name, moment.toISOString());
    } else params.set(name, value);
  }
  return params;
}

function field(label, control) {
  const wrapper = el("label", "c-search__field");
  wrapper.append(label, " ", control);
  return wrapper;
}

function choice(name, options) {
  const select = el("select", "", { name });
  select.append(...options.map(([value, text]) => el("option", "", { value }, text)));
  return select;
}

/** Seconds behind the wall past which the panel warns that the newest mentions may be missing. */
export const BEHIND_WARNING_S = 10;

/** What a search page's `archive` says, as a sentence and whether it warns (null: nothing to say). */
export function archiveFreshness(archive) {
  if (!archive) return null;
  const until = parseTime(archive.complete_until);
  const at = until ? clockTime(until) : "?";
  if (archive.stale) {
    const reported = parseTime(archive.reported_at);
    return {
      text: `The archiver has not reported since ${reported ? clockTime(reported) : "?"}: mentions after ${at} may be missing.`,
      warning: true,
    };
  }
  const behind = Number(archive.behind_s) || 0;
  if (behind > BEHIND_WARNING_S) {
    return {
      text: `The archive is ${Math.round(behind)} s behind the wall (complete up to ${at}): the newest mentions may not be here yet.`,
      warning: true,
    };
  }
  return { text: `Archive complete up to ${at}.`, warning: false };
}

export function createSearchPanel(root, { model, key, operator, onCorrected }) {
  const q = el("input", "c-search__query", {
    name: "q",
    type: "search",
    spellcheck: "false",
    placeholder: '(Aerolis OR #FlyAerolis) AND (retard* OR "lost luggage") NOT lang:de',
    "data-testid": "search-query",
  });
  const watchlist = choice("watchlist", [["", "All watchlists"]]);
  const form = el("form", "c-search", { "data-testid": "search-form", autocomplete: "off" });
  const bar = el("div", "c-filters");
  bar.append(q, el("button", "btn btn--primary", { type: "submit" }, "Search"));
  const filters = el("div", "c-search__filters");
  filters.append(
    field("Watchlist", watchlist),
    field("Sentiment", choice("sentiment", [["", "any"], ["neg", "negative"], ["neu", "neutral"], ["pos", "positive"]])),
    field("Language", el("input", "", { name: "lang", size: "7", placeholder: "fr" })),
    field("Source", el("input", "", { name: "source", size: "10", placeholder: "demo" })),
    field("Author", el("input", "", { name: "author", size: "12", placeholder: "@handle" })),
    field("From", el("input", "", { name: "from", type: "datetime-local" })),
    field("To", el("input", "", { name: "to", type: "datetime-local" })),
    field("Sort", choice("sort", [["time", "newest first"], ["reach", "largest reach"]])),
  );
  form.append(bar, filters);
  const status = el("p", "c-muted", { "data-testid": "search-status" });
  const freshnessLine = el("p", "c-muted", { "data-testid": "search-archive", hidden: "" });
  const exportsLine = el("p", "c-muted");
  const csvLink = el("a", "", { "data-testid": "export-csv", download: "" }, "CSV");
  const ndjsonLink = el("a", "", { "data-testid": "export-ndjson", download: "" }, "NDJSON");
  exportsLine.append("Export this search: ", csvLink, " · ", ndjsonLink);
  exportsLine.hidden = true;
  const table = el("table", "c-table");
  const head = el("tr");
  head.append(...["time", "author", "reach", "sentiment", "watchlists", "text"].map((t) => el("th", "", {}, t)));
  const thead = el("thead");
  thead.append(head);
  const body = el("tbody", "", { "data-field": "search-results" });
  table.append(thead, body);
  const scroller = el("div", "c-list--scroll");
  scroller.append(table);
  const more = el("button", "btn", { type: "button", "data-testid": "search-more", hidden: "" }, "More");
  root.append(form, status, freshnessLine, exportsLine, scroller, more);

  const controls = new Map(); // mention id -> {tr, control} of the rows shown
  let params = null;
  let cursor = null;
  let shown = 0;
  let busy = false;

  function row(m) {
    const tr = el("tr", "c-search__row", { "data-testid": "search-result", "data-mention": String(m.id) });
    tr.setAttribute("data-label", (m.sentiment && m.sentiment.label) || "neu");
    const when = parseTime(m.created_at);
    const cells = [
      when ? `${when.toISOString().slice(0, 10)} ${clockTime(when)}` : "",
      handle(m.author && m.author.handle),
      compact(Number(m.reach) || 0),
      null, // the sentiment, which people may correct
      Array.isArray(m.watchlists) ? m.watchlists.join(" ") : "",
      typeof m.text === "string" ? m.text : "",
    ];
    tr.append(...cells.map((text) => el("td", "", {}, text === null ? null : String(text))));
    const control = sentimentControl(m, {
      operator,
      onCorrected(sentiment) {
        tr.setAttribute("data-label", sentiment.label);
        status.removeAttribute("data-error");
        if (onCorrected) onCorrected(String(m.id), sentiment);
      },
      onError(message) {
        setText(status, message);
        status.setAttribute("data-error", "true");
      },
    });
    tr.children[3].append(control.element);
    controls.set(String(m.id), { tr, control });
    return tr;
  }

  async function load(fresh) {
    if (busy) return;
    busy = true;
    const query = new URLSearchParams(params);
    query.set("limit", String(PAGE));
    if (!fresh && cursor) query.set("cursor", cursor);
    setText(status, "Searching…");
    try {
      const page = await api("GET", `/api/v1/mentions/search?${query}`);
      if (fresh) {
        body.replaceChildren();
        controls.clear();
        shown = 0;
      }
      body.append(...page.items.map(row));
      shown += page.items.length;
      cursor = page.next_cursor;
      more.hidden = !cursor;
      setText(status, shown ? `${shown} mention${shown === 1 ? "" : "s"}${cursor ? ", more below" : ""}` : "No mention found.");
      const freshness = archiveFreshness(page.archive);
      freshnessLine.hidden = !freshness;
      setText(freshnessLine, freshness ? freshness.text : "");
      if (freshness && freshness.warning) freshnessLine.setAttribute("data-warning", "true");
      else freshnessLine.removeAttribute("data-warning");
      const exported = new URLSearchParams(params);
      if (key) exported.set("token", key);
      csvLink.setAttribute("href", `/api/v1/mentions/export?format=csv&${exported}`);
      ndjsonLink.setAttribute("href", `/api/v1/mentions/export?format=ndjson&${exported}`);
      exportsLine.hidden = false;
    } catch (error) {
      setText(status, error instanceof ApiError ? error.message : `Search failed: ${error}`);
      status.setAttribute("data-error", "true");
      busy = false;
      return;
    }
    status.removeAttribute("data-error");
    busy = false;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    params = searchParams(values);
    cursor = null;
    load(true);
  });
  more.addEventListener("click", () => load(false));

  return {
    /** A mention's sentiment was corrected elsewhere (the websocket's `correction` message). */
    corrected(id, sentiment) {
      const shown = controls.get(String(id));
      if (!shown) return;
      shown.tr.setAttribute("data-label", sentiment.label);
      shown.control.show(sentiment);
    },
    /** Keep the watchlist choices in step with the live model. */
    render() {
      const options = [["", "All watchlists"], ...model.watchlists.map((w) => [w.id, String(w.name ?? w.id)])];
      const same =
        watchlist.options.length === options.length && [...watchlist.options].every((o, i) => o.value === options[i][0]);
      if (same) return;
      const current = watchlist.value;
      watchlist.replaceChildren(...options.map(([v, t]) => el("option", "", { value: v }, t)));
      watchlist.value = options.some(([v]) => v === current) ? current : "";
    },
  };
}
