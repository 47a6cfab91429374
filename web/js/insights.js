// What the focus scene shows about one watchlist, picked out of the stream-wide messages. Pure: no DOM.

function isObj(x) {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

function countFor(item, watchlistId) {
  const per = isObj(item.watchlists) ? item.watchlists[watchlistId] : undefined;
  return typeof per === "number" && per > 0 ? per : 0;
}

/** The swarms with mentions of this watchlist, largest (by authors) first. */
export function swarmsFor(swarmsMsg, watchlistId) {
  const items = isObj(swarmsMsg) && Array.isArray(swarmsMsg.items) ? swarmsMsg.items : [];
  return items
    .filter((s) => isObj(s) && typeof s.id === "string" && countFor(s, watchlistId) > 0)
    .sort((a, b) => (Number(b.authors) || 0) - (Number(a.authors) || 0));
}

/** The coordinated clusters touching this watchlist, the most recent first. */
export function clustersFor(coordinationMsg, watchlistId) {
  const items = isObj(coordinationMsg) && Array.isArray(coordinationMsg.clusters) ? coordinationMsg.clusters : [];
  return items
    .filter((c) => isObj(c) && countFor(c, watchlistId) > 0)
    .sort((a, b) => (Number(b.last_seen_ts) || 0) - (Number(a.last_seen_ts) || 0));
}

/** The share (0..1) of a swarm's watchlist mentions that are this watchlist's: 1 for a swarm about it
 * alone, 1/5 for one spread evenly over five brands (generic tags such as #promo #deal). */
export function concentration(item, watchlistId) {
  const per = isObj(item.watchlists) ? Object.values(item.watchlists) : [];
  const all = per.reduce((sum, n) => sum + (typeof n === "number" && n > 0 ? n : 0), 0);
  return all > 0 ? countFor(item, watchlistId) / all : 0;
}

/**
 * Top hashtags of a watchlist: {source: "swarms" | "mentions", tags: [{tag, weight}]}.
 * From the swarms touching it (a swarm's tags weighted by its mentions of the watchlist times its
 * concentration on it, so a generic swarm spread over many brands does not top each of them; the most
 * used tag first), or, when no swarm touches it, counted over the ticker sample of its mentions.
 */
export function topHashtags(swarmsMsg, mentions, watchlistId, limit = 8) {
  const weights = new Map();
  const add = (tag, w) => {
    if (typeof tag !== "string" || tag === "") return;
    const key = tag.replace(/^#/, "").toLowerCase();
    weights.set(key, (weights.get(key) || 0) + w);
  };
  const swarms = swarmsFor(swarmsMsg, watchlistId);
  let source = "swarms";
  for (const s of swarms) {
    const tags = Array.isArray(s.tags) ? s.tags : [];
    const n = countFor(s, watchlistId) * concentration(s, watchlistId);
    // Tags are listed most used first: weigh them down gently by position.
    tags.forEach((t, i) => add(t, n / (1 + i * 0.25)));
  }
  if (!weights.size) {
    source = "mentions";
    for (const m of Array.isArray(mentions) ? mentions : []) {
      if (!isObj(m) || !Array.isArray(m.watchlists) || !m.watchlists.includes(watchlistId)) continue;
      for (const t of Array.isArray(m.hashtags) ? m.hashtags : []) add(t, 1);
    }
  }
  const tags = [...weights.entries()]
    .map(([tag, weight]) => ({ tag, weight }))
    .sort((a, b) => b.weight - a.weight || a.tag.localeCompare(b.tag))
    .slice(0, limit);
  return { source, tags };
}

/**
 * The influencer board of a watchlist: {rows, own}. `own` are its own accounts (the watchlist's
 * `own_handles`), shown apart; `rows` the people who talk about it, best first, at most `limit`, each
 * with `place`, its place among them (1, 2, ...; its `rank` counts the own accounts too).
 */
export function boardFor(influencers, watchlist, limit = 8) {
  const ownList = isObj(watchlist) && Array.isArray(watchlist.own_handles) ? watchlist.own_handles : [];
  const mine = new Set(ownList.map((h) => String(h).replace(/^@/, "").toLowerCase()));
  const all = influencersFor(influencers, watchlist && watchlist.id, Infinity);
  const isOwn = (r) => mine.has(r.handle.replace(/^@/, "").toLowerCase());
  const own = all.filter(isOwn);
  // The own accounts' line takes one row's room on the panel: one row fewer, none cut in half.
  const rows = all
    .filter((r) => !isOwn(r))
    .slice(0, own.length ? limit - 1 : limit)
    .map((r, i) => ({ ...r, place: i + 1 }));
  return { rows, own };
}

/** The influencer rows of a watchlist (at most `limit`), best rank first. */
export function influencersFor(influencers, watchlistId, limit = 8) {
  const msg = influencers instanceof Map ? influencers.get(watchlistId) : undefined;
  const items = isObj(msg) && Array.isArray(msg.items) ? msg.items : [];
  return items
    .filter((r) => isObj(r) && typeof r.handle === "string")
    .sort((a, b) => (Number(a.rank) || 1e9) - (Number(b.rank) || 1e9))
    .slice(0, limit);
}
