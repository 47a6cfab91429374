// The focus scene: one watchlist in depth. Its figures, the 60-minute timeline, top hashtags, swarm
// bubbles, the influencer board and coordinated activity (the ticker beside it is filtered to it).
//
// Hooks: [data-testid="scene"][data-scene="focus"][data-watchlist="<id>"]
//   [data-field="name|per-min|net|share|total-60m"], [data-field="timeline"] (data-points, data-total),
//   [data-testid="hashtag"] (data-tag) in [data-field="hashtags"] (data-source="swarms|mentions"),
//   [data-testid="swarm-bubble"], [data-testid="influencer"], [data-testid="cluster"]

import { createBubbles } from "./bubbles.js";
import { createClusterList } from "./clusters.js";
import { el, keyedList, setAttr, setText } from "./dom.js";
import { accentFor, netPoints, netTone, percent, rate } from "./format.js";
import { createInfluencerBoard } from "./influencer-board.js";
import { boardFor, clustersFor, swarmsFor, topHashtags } from "./insights.js";
import { createTimeline } from "./timeline.js";

function win(metrics, name) {
  const w = metrics && metrics.windows && metrics.windows[name];
  return w && typeof w === "object" ? w : null;
}

export function createFocusScene(root, { timeZone }) {
  const $ = (sel) => root.querySelector(sel);
  const f = {
    name: $('[data-field="name"]'),
    kind: $('[data-field="kind"]'),
    perMin: $('[data-field="per-min"]'),
    net: $('[data-field="net"]'),
    share: $('[data-field="share"]'),
    total: $('[data-field="total-60m"]'),
    hashtags: $('[data-field="hashtags"]'),
    hashtagsNote: $('[data-field="hashtags-source"]'),
    swarmsEmpty: $('[data-field="swarms-empty"]'),
    influencersEmpty: $('[data-field="influencers-empty"]'),
    clustersEmpty: $('[data-field="clusters-empty"]'),
  };
  const timeline = createTimeline($('[data-field="timeline"]'), timeZone);
  const bubbles = createBubbles($('[data-field="bubbles"]'));
  const board = createInfluencerBoard($('[data-field="influencers"]'), $('[data-field="own-accounts"]'));
  const clusters = createClusterList($('[data-field="clusters"]'));
  let watchlistId = null;

  function figures(model) {
    const w = model.byId.get(watchlistId);
    const m = model.metrics.get(watchlistId);
    setText(f.name, w ? String(w.name ?? w.id) : watchlistId);
    setText(f.kind, w && typeof w.kind === "string" ? w.kind : "");
    root.style.setProperty("--accent", accentFor(w || { id: watchlistId }));
    const w1 = win(m, "1m");
    const w5 = win(m, "5m");
    const w15 = win(m, "15m");
    const w60 = win(m, "60m");
    setText(f.perMin, rate(w1 && w1.per_min));
    setText(f.net, netPoints(w5 && w5.net));
    setAttr(f.net, "data-tone", netTone(w5 && w5.net));
    setText(f.share, percent(w15 && w15.share));
    setText(f.total, w60 && typeof w60.count === "number" ? String(w60.count) : "\u2014");
    timeline.set(m);
  }

  function insights(model) {
    const tags = topHashtags(model.swarms, model.mentions, watchlistId);
    setAttr(f.hashtags, "data-source", tags.source);
    const top = tags.tags.length ? tags.tags[0].weight : 1;
    keyedList(
      f.hashtags,
      tags.tags,
      (t) => t.tag,
      () => {
        const li = el("li", "hashtag", { "data-testid": "hashtag" });
        li.append(el("span", "hashtag__tag"), el("span", "hashtag__bar"));
        return li;
      },
      (li, t) => {
        setAttr(li, "data-tag", t.tag);
        setText(li.firstChild, "#" + t.tag);
        li.lastChild.style.setProperty("--v", (t.weight / top).toFixed(3));
      },
    );
    setText(
      f.hashtagsNote,
      tags.tags.length === 0
        ? "No hashtags yet"
        : tags.source === "swarms"
          ? "from the swarms touching this watchlist"
          : "from the mentions sampled on this wall",
    );

    const swarms = swarmsFor(model.swarms, watchlistId);
    bubbles.set(swarms);
    f.swarmsEmpty.hidden = swarms.length > 0;

    const shown = boardFor(model.influencers, model.byId.get(watchlistId) || { id: watchlistId });
    board.set(shown);
    f.influencersEmpty.hidden = shown.rows.length + shown.own.length > 0;

    const found = clustersFor(model.coordination, watchlistId);
    const nowS = model.coordination && typeof model.coordination.now_ts === "number" ? model.coordination.now_ts : Date.now() / 1000;
    clusters.set(found, nowS);
    f.clustersEmpty.hidden = found.length > 0;
  }

  return {
    /** Show this watchlist (the scene is visible now). */
    show(id, model) {
      const changed = id !== watchlistId;
      watchlistId = id;
      setAttr(root, "data-watchlist", id);
      timeline.resize();
      figures(model);
      insights(model);
      return changed;
    },
    get watchlist() {
      return watchlistId;
    },
    /** Redraw what changed since the last frame (only called while the scene is visible). */
    render(model, dirty) {
      if (dirty.layout || dirty.tiles.has(watchlistId)) figures(model);
      if (dirty.insights || dirty.tickerNew.length || dirty.tickerReset) insights(model);
    },
    resize() {
      timeline.resize();
    },
  };
}
