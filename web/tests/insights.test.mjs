// Unit tests for js/insights.js and js/bubble-layout.js: `node --test web/tests/`
import test from "node:test";
import assert from "node:assert/strict";
import { boardFor, clustersFor, influencersFor, swarmsFor, topHashtags } from "../js/insights.js";
import { layoutBubbles } from "../js/bubble-layout.js";

const swarms = {
  type: "swarms",
  items: [
    { id: "s1", authors: 10, tags: ["boycott", "aerolis"], watchlists: { a: 30 } },
    { id: "s2", authors: 400, tags: ["strike", "aerolis"], watchlists: { a: 5, b: 50 } },
    { id: "s3", authors: 90, tags: ["bank"], watchlists: { b: 9 } },
  ],
};

test("swarms touching a watchlist, largest first; hashtags weighted by its mentions", () => {
  assert.deepEqual(swarmsFor(swarms, "a").map((s) => s.id), ["s2", "s1"]);
  const top = topHashtags(swarms, [], "a");
  assert.equal(top.source, "swarms");
  // A swarm counts its mentions of the watchlist times its concentration on it: s1 30 × 1; s2 5 × 5/55.
  // boycott: 30; aerolis: 30 / 1.25 + 0.45 / 1.25 (second in both swarms); strike: 0.45.
  const near = (x) => Math.round(x * 100) / 100;
  assert.deepEqual(top.tags.map((t) => [t.tag, near(t.weight)]), [["boycott", 30], ["aerolis", 24.36], ["strike", 0.45]]);
});

test("a generic spam swarm spread over every brand does not top each brand's hashtags", () => {
  const msg = { items: [
    { id: "spam", authors: 19, tags: ["promo", "bonplan", "deal"], watchlists: { a: 6, b: 5, c: 5, d: 6 } },
    { id: "own", authors: 12, tags: ["aerolisappdown"], watchlists: { a: 8 } },
  ] };
  assert.deepEqual(topHashtags(msg, [], "a").tags.map((t) => t.tag)[0], "aerolisappdown");
  // Alone, it is still what touches the brand: shown, not hidden.
  assert.deepEqual(topHashtags({ items: [msg.items[0]] }, [], "b").tags.map((t) => t.tag), ["promo", "bonplan", "deal"]);
});

test("the influencer board shows a watchlist's own accounts apart and places the others from 1", () => {
  const inf = new Map([["aerolis", { items: [
    { rank: 1, handle: "FlyAerolis" },
    { rank: 2, handle: "metropolitan_news_desk" },
    { rank: 3, handle: "marie" },
  ] }]]);
  const board = boardFor(inf, { id: "aerolis", own_handles: ["flyaerolis"] });
  assert.deepEqual(board.own.map((r) => r.handle), ["FlyAerolis"]);
  assert.deepEqual(board.rows.map((r) => [r.place, r.handle]), [[1, "metropolitan_news_desk"], [2, "marie"]]);
  assert.deepEqual(boardFor(inf, { id: "aerolis" }).own, []);
  // With its own accounts shown, the board keeps one row fewer (their line takes that room).
  assert.equal(boardFor(inf, { id: "aerolis", own_handles: ["flyaerolis"] }, 1).rows.length, 0);
  assert.equal(boardFor(inf, { id: "aerolis" }, 1).rows.length, 1);
});

test("without swarms, hashtags come from the ticker sample of that watchlist", () => {
  const mentions = [
    { id: 1, watchlists: ["c"], hashtags: ["#Late", "wifi"] },
    { id: 2, watchlists: ["c"], hashtags: ["late"] },
    { id: 3, watchlists: ["d"], hashtags: ["other"] },
  ];
  const top = topHashtags(null, mentions, "c");
  assert.equal(top.source, "mentions");
  assert.deepEqual(top.tags, [{ tag: "late", weight: 2 }, { tag: "wifi", weight: 1 }]);
  assert.deepEqual(topHashtags(null, [], "c").tags, []);
});

test("clusters and influencers of one watchlist", () => {
  const coordination = { clusters: [
    { id: "c1", last_seen_ts: 10, watchlists: { a: 3 } },
    { id: "c2", last_seen_ts: 20, watchlists: { a: 1 } },
    { id: "c3", last_seen_ts: 30, watchlists: { b: 1 } },
  ] };
  assert.deepEqual(clustersFor(coordination, "a").map((c) => c.id), ["c2", "c1"]);
  const inf = new Map([["a", { items: [{ rank: 2, handle: "y" }, { rank: 1, handle: "x" }, { rank: 3 }] }]]);
  assert.deepEqual(influencersFor(inf, "a").map((r) => r.handle), ["x", "y"]);
  assert.deepEqual(influencersFor(inf, "zz"), []);
});

test("bubbles: area follows authors, nothing overlaps, everything inside the box", () => {
  const items = Array.from({ length: 15 }, (_, i) => ({ id: `s${i}`, authors: (i + 1) * 20 }));
  const out = layoutBubbles(items, 600, 400);
  assert.equal(out.length, 15);
  const byId = new Map(out.map((c) => [c.id, c]));
  const ratio = (byId.get("s14").r / byId.get("s3").r) ** 2;
  assert.ok(Math.abs(ratio - 300 / 80) < 1e-6, `area ratio ${ratio}`);
  for (const c of out) {
    assert.ok(c.x - c.r >= -1e-6 && c.x + c.r <= 600 + 1e-6 && c.y - c.r >= -1e-6 && c.y + c.r <= 400 + 1e-6, c.id);
  }
  for (let i = 0; i < out.length; i++)
    for (let j = i + 1; j < out.length; j++)
      assert.ok(Math.hypot(out[i].x - out[j].x, out[i].y - out[j].y) >= out[i].r + out[j].r - 1e-6);
  assert.deepEqual(layoutBubbles(items, 600, 400), out, "same swarms, same picture");
  assert.deepEqual(layoutBubbles([], 600, 400), []);
});
