// Unit tests for js/scenes.js: `node --test web/tests/`
import test from "node:test";
import assert from "node:assert/strict";
import { createRotation, expandScenes, parseWallParams, sceneKey } from "../js/scenes.js";

const wls = [{ id: "a" }, { id: "b" }];

test("URL parameters: scenes, rotate_s and tz; defaults when absent", () => {
  const p = parseWallParams("?scenes=overview,focus:aerolis,alerts&rotate_s=5&tz=Europe/Paris");
  assert.deepEqual(p.scenes.map(sceneKey), ["overview", "focus:aerolis", "alerts"]);
  assert.equal(p.rotateMs, 5000);
  assert.equal(p.tz, "Europe/Paris");
  assert.deepEqual(p.problems, []);
  const d = parseWallParams("");
  assert.deepEqual(d.scenes.map(sceneKey), ["overview", "focus:*", "alerts"]);
  assert.equal(d.rotateMs, 20000);
  assert.equal(d.tz, null);
});

test("URL parameters not understood are reported and replaced by defaults", () => {
  const p = parseWallParams("?scenes=overview,map&rotate_s=0.5");
  assert.deepEqual(p.scenes.map(sceneKey), ["overview"]);
  assert.equal(p.rotateMs, 20000);
  assert.equal(p.problems.length, 2);
  assert.match(p.problems[0], /got "map"/);
  assert.match(p.problems[1], /got "0.5"/);
  assert.deepEqual(parseWallParams("?scenes=nope").scenes.map(sceneKey), ["overview", "focus:*", "alerts"]);
});

test("focus:* becomes one scene per watchlist; unknown focus waits for its watchlist", () => {
  const specs = parseWallParams("?scenes=focus:*,focus:zz,alerts,focus:a").scenes;
  assert.deepEqual(expandScenes(specs, wls).map(sceneKey), ["focus:a", "focus:b", "alerts"]);
  assert.deepEqual(expandScenes(parseWallParams("?scenes=focus:zz").scenes, wls).map(sceneKey), ["overview"]);
});

test("rotation moves on after rotateMs and wraps around", () => {
  const scenes = expandScenes(parseWallParams("?scenes=overview,focus:*,alerts").scenes, wls);
  const r = createRotation(10_000);
  const seen = [0, 5_000, 10_000, 19_999, 20_000, 30_000, 40_000].map((t) => sceneKey(r.step(scenes, t).scene));
  assert.deepEqual(seen, ["overview", "overview", "focus:a", "focus:a", "focus:b", "alerts", "overview"]);
});

test("a critical alert holds the alerts scene; the rotation resumes after it", () => {
  const scenes = expandScenes(parseWallParams("?scenes=overview,alerts,focus:a").scenes, wls);
  const r = createRotation(10_000);
  assert.equal(sceneKey(r.step(scenes, 0).scene), "overview");
  for (const t of [1_000, 50_000, 90_000]) {
    const s = r.step(scenes, t, true);
    assert.equal(s.scene.kind, "alerts");
    assert.equal(s.paused, true);
  }
  const after = r.step(scenes, 95_000, false);
  assert.equal(sceneKey(after.scene), "alerts", "the alerts scene gets its full turn once acknowledged");
  assert.equal(after.paused, false);
  assert.equal(sceneKey(r.step(scenes, 100_000).scene), "focus:a");
});

test("the current scene is kept when the watchlist set changes", () => {
  const r = createRotation(10_000);
  const specs = parseWallParams("?scenes=focus:*").scenes;
  r.step(expandScenes(specs, wls), 0);
  assert.equal(sceneKey(r.step(expandScenes(specs, wls), 10_000).scene), "focus:b");
  const more = expandScenes(specs, [{ id: "0" }, ...wls]);
  assert.equal(sceneKey(r.step(more, 12_000).scene), "focus:b");
  assert.equal(sceneKey(r.step(expandScenes(specs, [{ id: "a" }]), 13_000).scene), "focus:a");
});
