// Unit tests for js/history.js and the history scenes of js/scenes.js: `node --test web/tests/`
import test from "node:test";
import assert from "node:assert/strict";
import * as h from "../js/history.js";
import { expandScenes, parseWallParams, sceneKey } from "../js/scenes.js";

const answer = {
  watchlist: "aerolis",
  from_ts: 1_800_000_000,
  to_ts: 1_800_010_800,
  step_s: 3600,
  points: [
    { start_ts: 1_800_000_000, count: 10, pos: 6, neu: 2, neg: 2, net: 0.4, mean: 0.2, coordinated: 0 },
    { start_ts: 1_800_003_600, count: 0, pos: 0, neu: 0, neg: 0, net: null, mean: null, coordinated: 0 },
    { start_ts: 1_800_007_200, count: 25, pos: 0, neu: 5, neg: 20, net: -0.8, mean: -0.6, coordinated: 3 },
  ],
  totals: { count: 35, pos: 6, neu: 7, neg: 22, net: -0.4571, mean: -0.37, coordinated: 3 },
  previous: { from_ts: 1_799_989_200, to_ts: 1_800_000_000, totals: { count: 20, net: 0.1 } },
};

test("the answer becomes bars of volume and a net line on −100..+100, with gaps where nobody spoke", () => {
  const s = h.historySeries(answer);
  assert.deepEqual(s.data, [
    [1_800_000_000, 1_800_003_600, 1_800_007_200],
    [10, 0, 25],
    [40, null, -80],
  ]);
  assert.equal(s.total, 35);
  assert.equal(s.peak, 25);
  assert.equal(s.points, 3);
});

test("a malformed answer gives empty series, never NaN", () => {
  for (const bad of [null, {}, { points: "x" }, { points: [null, { count: 3 }] }]) {
    const s = h.historySeries(bad);
    assert.deepEqual(s.data, [[], [], []]);
    assert.equal(s.total, 0);
  }
  assert.deepEqual(h.historyTotals({ totals: { count: "3" } }), { current: null, previous: null });
  assert.equal(h.historyTotals(answer).previous.count, 20);
});

test("the comparison with the previous period reads as people say it", () => {
  assert.deepEqual(h.comparison(35, 20, "24 h"), { text: "+75% vs the previous 24 h", change: "up" });
  assert.deepEqual(h.comparison(12, 16, "7 days"), { text: "\u221225% vs the previous 7 days", change: "down" });
  assert.deepEqual(h.comparison(100, 100, "24 h"), { text: "same as the previous 24 h", change: "flat" });
  assert.deepEqual(h.comparison(5, 0, "24 h"), { text: "none in the previous 24 h", change: "new" });
  assert.deepEqual(h.comparison(0, 0, "24 h"), { text: "none, as in the previous 24 h", change: "none" });
  assert.equal(h.comparison(3000, 10, "24 h").text, "+29,900% vs the previous 24 h");
  assert.equal(h.comparison(null, 10, "24 h").text, "\u2014");
});

test("scene periods end now and start on a step boundary of the room's clock", () => {
  const now = Date.UTC(2026, 11, 6, 9, 41, 30); // Sunday 09:41:30 UTC
  const day = h.scenePeriod("24h", now, 0);
  assert.equal(day.to, now / 1000);
  assert.equal(day.step, 3600);
  assert.equal(day.from, Date.UTC(2026, 11, 5, 9, 0) / 1000);
  // 6-hour steps at 00:00, 06:00, 12:00, 18:00 in Paris (UTC+1): 05:00, 11:00, 17:00, 23:00 UTC.
  const week = h.scenePeriod("7d", now, 3600);
  assert.equal(week.step, 6 * 3600);
  assert.equal(week.from, Date.UTC(2026, 10, 29, 5, 0) / 1000);
  assert.equal(h.zoneOffsetS("Europe/Paris", new Date(now)), 3600);
  assert.equal(h.zoneOffsetS("Asia/Kolkata", new Date(now)), 19800);
  assert.equal(h.zoneOffsetS("UTC", new Date(now)), 0);
});

test("the route's address escapes the watchlist id", () => {
  assert.equal(
    h.historyPath("a b/c", { from: 10, to: 20, step: 60 }),
    "/api/v1/watchlists/a%20b%2Fc/history?from=10&to=20&step=60",
  );
  assert.equal(h.historyPath("x", {}), "/api/v1/watchlists/x/history?");
});

test("counts and times for the room", () => {
  assert.equal(h.fullCount(12408), "12,408");
  assert.equal(h.fullCount(undefined), "\u2014");
  assert.equal(h.dayTime(Date.UTC(2026, 11, 5, 9, 0) / 1000, "Europe/Paris"), "Sat 10:00");
});

test("history24h and history7d are scenes of their own in the rotation", () => {
  const p = parseWallParams("?scenes=overview,history24h,history7d");
  assert.deepEqual(p.problems, []);
  assert.deepEqual(p.scenes.map(sceneKey), ["overview", "history24h", "history7d"]);
  const scenes = expandScenes(p.scenes, [{ id: "a" }]);
  assert.deepEqual(scenes[1], { kind: "history", span: "24h" });
  assert.match(parseWallParams("?scenes=history30d").problems[0], /history24h or history7d, got "history30d"/);
});

test("scene labels never break between number and unit, and axis labels use the room's 24 h clock", () => {
  assert.equal(h.comparison(2, 1, h.HISTORY_SPANS["24h"].label).text, "+100% vs the previous 24\u00a0h");
  const sat = Date.UTC(2026, 11, 5, 23, 0) / 1000; // Sunday 00:00 in Paris
  assert.equal(h.axisLabel(sat, "Europe/Paris", false), "00:00");
  assert.equal(h.axisLabel(sat, "Europe/Paris", true), "Sun");
  assert.equal(h.axisLabel(sat + 13 * 3600, "Europe/Paris", true), "13:00");
});
