// The wall's model, fed with protocol messages (api/websocket.md, version 1). No DOM here.
//
// apply(msg) updates the model and records what changed; the renderer calls takeDirty() once per
// animation frame and redraws only that. Messages may arrive far faster than frames: the model keeps
// only the latest state (metrics per watchlist, the newest mentions), so nothing queues up.

export const PROTOCOL_VERSION = 1;
export const MAX_MENTIONS = 50;

import { applyAlert } from "./alerts.js";

const KIND_ORDER = { brand: 0, competitor: 1, topic: 2 };

function isObj(x) {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

function validWatchlist(w) {
  return isObj(w) && typeof w.id === "string" && w.id !== "";
}

function validMention(m) {
  return isObj(m) && (typeof m.id === "string" || typeof m.id === "number");
}

/** Tile order: by group (no group last), then brand, competitor, topic, then name. */
export function compareWatchlists(a, b) {
  const ga = typeof a.group === "string" && a.group ? a.group : null;
  const gb = typeof b.group === "string" && b.group ? b.group : null;
  if (ga !== gb) {
    if (ga === null) return 1;
    if (gb === null) return -1;
    const c = ga.localeCompare(gb);
    if (c) return c;
  }
  const ka = KIND_ORDER[a.kind] ?? 9;
  const kb = KIND_ORDER[b.kind] ?? 9;
  if (ka !== kb) return ka - kb;
  const na = String(a.name ?? a.id);
  const nb = String(b.name ?? b.id);
  return na.localeCompare(nb) || String(a.id).localeCompare(String(b.id));
}

function freshDirty() {
  return {
    layout: false, // the watchlist set or order changed: rebuild the grid
    tiles: new Set(), // watchlist ids whose metrics changed
    tickerReset: false, // replace the whole ticker with model.mentions
    tickerNew: [], // mention items to add on top, oldest first
    alerts: false, // the open alerts changed
    insights: false, // swarms, influencers or coordination changed (the focus scene)
    corrections: [], // `correction` messages: a person set a mention's sentiment
    ingest: false, // ingest was held or resumed (model.ingestPaused)
    insightsSilent: false, // the insights process fell silent or reports again (model.insightsSilent)
  };
}

export function createStore({ maxMentions = MAX_MENTIONS } = {}) {
  const model = {
    hasSnapshot: false,
    serverTime: null,
    // While the server holds ingest: { summary, sinceMs } from the heartbeat; null otherwise.
    ingestPaused: null,
    // While no insights process reports (alert rules, swarms, influencers stand still): { sinceMs }; else null.
    insightsSilent: null,
    watchlists: [], // sorted for display
    byId: new Map(), // id → watchlist
    metrics: new Map(), // id → latest metrics message
    mentions: [], // newest last, at most maxMentions
    alerts: new Map(), // alert_id → latest event, open alerts only (js/alerts.js)
    swarms: null, // the latest swarms message
    coordination: null, // the latest coordination message
    influencers: new Map(), // watchlist id → latest influencers message
  };
  let dirty = freshDirty();
  const mentionIds = new Set();

  function setWatchlists(items) {
    const list = (Array.isArray(items) ? items : []).filter(validWatchlist);
    const seen = new Set();
    model.watchlists = list.filter((w) => !seen.has(w.id) && seen.add(w.id)).sort(compareWatchlists);
    model.byId = new Map(model.watchlists.map((w) => [w.id, w]));
    for (const id of model.metrics.keys()) if (!model.byId.has(id)) model.metrics.delete(id);
    dirty.layout = true;
    for (const w of model.watchlists) dirty.tiles.add(w.id);
    dirty.tickerReset = true; // ticker lines show watchlist names and colours
  }

  function setMetrics(m) {
    if (!isObj(m) || typeof m.watchlist !== "string") return;
    const prev = model.metrics.get(m.watchlist);
    // Out-of-order guard: never replace newer windows with older ones.
    if (prev && typeof prev.now_ts === "number" && typeof m.now_ts === "number" && m.now_ts < prev.now_ts) return;
    model.metrics.set(m.watchlist, m);
    dirty.tiles.add(m.watchlist);
  }

  function addMentions(items, reset) {
    if (reset) {
      model.mentions = [];
      mentionIds.clear();
      dirty.tickerNew = [];
      dirty.tickerReset = true;
    }
    for (const m of Array.isArray(items) ? items : []) {
      if (!validMention(m) || mentionIds.has(String(m.id))) continue;
      mentionIds.add(String(m.id));
      model.mentions.push(m);
      if (!dirty.tickerReset) dirty.tickerNew.push(m);
    }
    while (model.mentions.length > maxMentions) mentionIds.delete(String(model.mentions.shift().id));
    if (dirty.tickerNew.length > maxMentions) dirty.tickerNew.splice(0, dirty.tickerNew.length - maxMentions);
  }

  /** Apply one message; returns true if it was understood. Unknown types and versions are ignored. */
  function apply(msg) {
    if (!isObj(msg) || (msg.v !== undefined && msg.v !== PROTOCOL_VERSION)) return false;
    switch (msg.type) {
      case "snapshot":
        model.hasSnapshot = true;
        model.serverTime = msg.server_time ?? null;
        model.metrics = new Map();
        setWatchlists(msg.watchlists);
        if (isObj(msg.metrics)) {
          for (const [id, m] of Object.entries(msg.metrics)) {
            if (isObj(m)) setMetrics(typeof m.watchlist === "string" ? m : { ...m, watchlist: id });
          }
        }
        addMentions(msg.mentions, true);
        model.alerts = new Map();
        for (const a of Array.isArray(msg.alerts) ? msg.alerts : []) applyAlert(model.alerts, a);
        dirty.alerts = true;
        model.swarms = isObj(msg.swarms) ? msg.swarms : null;
        model.coordination = isObj(msg.coordination) ? msg.coordination : null;
        model.influencers = new Map(
          Object.entries(isObj(msg.influencers) ? msg.influencers : {}).filter(([, m]) => isObj(m)),
        );
        dirty.insights = true;
        return true;
      case "alert":
        if (applyAlert(model.alerts, msg.alert)) dirty.alerts = true;
        return true;
      case "swarms":
        model.swarms = msg;
        dirty.insights = true;
        return true;
      case "coordination":
        model.coordination = msg;
        dirty.insights = true;
        return true;
      case "influencers":
        if (typeof msg.watchlist !== "string") return false;
        model.influencers.set(msg.watchlist, msg);
        dirty.insights = true;
        return true;
      case "metrics":
        setMetrics(msg);
        return true;
      case "mentions":
        addMentions(msg.items, false);
        return true;
      case "watchlists":
        setWatchlists(msg.items);
        return true;
      case "correction": {
        // A person set a mention's sentiment: relabel it wherever it is shown (the ticker is drawn again).
        if (!isObj(msg.sentiment) || msg.mention === undefined) return false;
        const m = model.mentions.find((item) => String(item.id) === String(msg.mention));
        if (m) {
          m.sentiment = msg.sentiment;
          dirty.tickerReset = true;
        }
        dirty.corrections.push({ mention: String(msg.mention), sentiment: msg.sentiment });
        return true;
      }
      case "heartbeat": {
        model.serverTime = msg.server_time ?? model.serverTime;
        const paused =
          typeof msg.ingest_paused === "string"
            ? { summary: msg.ingest_paused, sinceMs: Number(msg.ingest_paused_since_ts) * 1000 || Date.now() }
            : null;
        const was = model.ingestPaused;
        if ((was && was.summary) !== (paused && paused.summary) || (was && was.sinceMs) !== (paused && paused.sinceMs)) {
          model.ingestPaused = paused;
          dirty.ingest = true;
        }
        const silentSince = Number(msg.insights_silent_since_ts) * 1000 || null;
        if ((model.insightsSilent && model.insightsSilent.sinceMs) !== silentSince) {
          model.insightsSilent = silentSince ? { sinceMs: silentSince } : null;
          dirty.insightsSilent = true;
        }
        return true;
      }
      default:
        return false;
    }
  }

  function takeDirty() {
    const d = dirty;
    dirty = freshDirty();
    return d;
  }

  return { model, apply, takeDirty };
}
