// Unit tests for js/state.js: `node --test web/tests/`
import test from "node:test";
import assert from "node:assert/strict";
import { createStore, MAX_MENTIONS } from "../js/state.js";

const wl = (id, group, kind = "competitor", name = id) => ({ id, name, kind, group, color: null });
const metrics = (id, now_ts, per_min = 1) => ({
  type: "metrics", v: 1, watchlist: id, now_ts,
  windows: { "1m": { count: per_min, per_min, net: null, share: null } },
  series: { start_ts: 0, step_s: 60, count: [], net: [] }, late: 0,
});
const mention = (id, watchlists = ["a"]) => ({ id, watchlists, text: "t", author: { handle: "h", followers: 1 },
  created_at: "2026-11-22T10:00:00+00:00", sentiment: { score: 0, label: "neu" } });
const snapshot = (over = {}) => ({ type: "snapshot", v: 1, server_time: "2026-11-22T10:00:00+00:00",
  watchlists: [wl("b", "air"), wl("a", "air", "brand"), wl("z", null), wl("c", "bank")],
  metrics: { a: metrics("a", 10) }, mentions: [mention("m1"), mention("m2")], ...over });

test("snapshot replaces everything; tiles ordered by group, brand first", () => {
  const s = createStore();
  s.apply(snapshot());
  assert.deepEqual(s.model.watchlists.map((w) => w.id), ["a", "b", "c", "z"]);
  const d = s.takeDirty();
  assert.equal(d.layout, true);
  assert.equal(d.tickerReset, true);
  assert.deepEqual(s.model.mentions.map((m) => m.id), ["m1", "m2"]);
  s.apply(metrics("b", 11));
  s.apply(snapshot({ watchlists: [wl("a", "air")], metrics: {}, mentions: [] }));
  assert.equal(s.model.metrics.size, 0, "a reconnect snapshot drops old metrics");
  assert.equal(s.model.mentions.length, 0);
  assert.equal(s.model.watchlists.length, 1);
});

test("metrics: latest wins, out-of-order ignored, dirty per tile", () => {
  const s = createStore();
  s.apply(snapshot());
  s.takeDirty();
  s.apply(metrics("a", 20, 5));
  s.apply(metrics("a", 15, 9));
  s.apply(metrics("b", 20, 2));
  assert.equal(s.model.metrics.get("a").windows["1m"].per_min, 5);
  assert.deepEqual([...s.takeDirty().tiles].sort(), ["a", "b"]);
  assert.equal(s.takeDirty().tiles.size, 0);
});

test("mentions: deduplicated, capped, newest last; new ones reported once", () => {
  const s = createStore();
  s.apply(snapshot());
  s.takeDirty();
  s.apply({ type: "mentions", v: 1, items: [mention("m2"), mention("m3")] });
  const d = s.takeDirty();
  assert.deepEqual(d.tickerNew.map((m) => m.id), ["m3"]);
  const many = Array.from({ length: 120 }, (_, i) => mention(`x${i}`));
  s.apply({ type: "mentions", v: 1, items: many });
  assert.equal(s.model.mentions.length, MAX_MENTIONS);
  assert.equal(s.model.mentions.at(-1).id, "x119");
  assert.ok(s.takeDirty().tickerNew.length <= MAX_MENTIONS);
});

test("watchlists message changes the set and drops metrics of removed ones", () => {
  const s = createStore();
  s.apply(snapshot());
  s.apply({ type: "watchlists", v: 1, items: [wl("a", "air"), wl("new", "air")] });
  assert.deepEqual(s.model.watchlists.map((w) => w.id), ["a", "new"]);
  assert.equal(s.model.metrics.has("a"), true);
  assert.equal(s.takeDirty().layout, true);
});

test("unknown types, other versions and junk are ignored", () => {
  const s = createStore();
  assert.equal(s.apply({ type: "whatever", v: 1 }), false);
  assert.equal(s.apply({ type: "snapshot", v: 2, watchlists: [wl("q", "g")] }), false);
  assert.equal(s.apply(null), false);
  assert.equal(s.apply([1, 2]), false);
  assert.equal(s.model.watchlists.length, 0);
  assert.equal(s.apply({ type: "heartbeat", v: 1, server_time: "x" }), true);
  s.apply({ type: "watchlists", v: 1, items: [{ name: "no id" }, wl("ok", "g"), wl("ok", "g")] });
  assert.deepEqual(s.model.watchlists.map((w) => w.id), ["ok"]);
});

test("correction: a person's label replaces the model's on the mention, the ticker is drawn again", () => {
  const s = createStore();
  s.apply(snapshot());
  s.takeDirty();
  const sentiment = { label: "neg", score: -1, correction: { from: "neu", by: "console", model_label: "neu" } };
  assert.equal(s.apply({ type: "correction", v: 1, mention: "m2", sentiment }), true);
  assert.deepEqual(s.model.mentions.find((m) => m.id === "m2").sentiment, sentiment);
  const d = s.takeDirty();
  assert.equal(d.tickerReset, true);
  assert.deepEqual(d.corrections, [{ mention: "m2", sentiment }]);
  // a mention this page never saw: nothing to redraw, but the console's lists still hear of it
  s.apply({ type: "correction", v: 1, mention: "elsewhere", sentiment });
  const again = s.takeDirty();
  assert.equal(again.tickerReset, false);
  assert.equal(again.corrections.length, 1);
  assert.equal(s.apply({ type: "correction", v: 1, mention: "m1" }), false, "no sentiment: ignored");
});

test("heartbeat: a hold of ingest is noted once, with its reason and start, and its end too", () => {
  const s = createStore();
  s.apply(snapshot());
  s.takeDirty();
  const held = { type: "heartbeat", v: 1, server_time: "x", ingest_paused: "catching up", ingest_paused_since_ts: 100 };
  s.apply(held);
  assert.deepEqual(s.model.ingestPaused, { summary: "catching up", sinceMs: 100_000 });
  assert.equal(s.takeDirty().ingest, true);
  s.apply(held);
  assert.equal(s.takeDirty().ingest, false, "the same hold again changes nothing");
  s.apply({ type: "heartbeat", v: 1, server_time: "y", ingest_paused: null, ingest_paused_since_ts: null });
  assert.equal(s.model.ingestPaused, null);
  assert.equal(s.takeDirty().ingest, true);
});

test("heartbeat: a silent insights process is noted with since when, once, and so is its return", () => {
  const s = createStore();
  s.apply(snapshot());
  s.takeDirty();
  const silent = { type: "heartbeat", v: 1, server_time: "x", ingest_paused: null, insights_silent_since_ts: 200 };
  s.apply(silent);
  assert.deepEqual(s.model.insightsSilent, { sinceMs: 200_000 });
  assert.equal(s.takeDirty().insightsSilent, true);
  s.apply(silent);
  assert.equal(s.takeDirty().insightsSilent, false, "the same silence again changes nothing");
  s.apply({ type: "heartbeat", v: 1, server_time: "y", ingest_paused: null, insights_silent_since_ts: null });
  assert.equal(s.model.insightsSilent, null);
  assert.equal(s.takeDirty().insightsSilent, true);
  s.apply({ type: "heartbeat", v: 1, server_time: "z" });
  assert.equal(s.takeDirty().insightsSilent, false, "an older server that does not say: nothing changes");
});
