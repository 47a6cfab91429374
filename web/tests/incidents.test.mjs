// Unit tests for js/incidents.js: `node --test web/tests/`
import test from "node:test";
import assert from "node:assert/strict";
import { describeCounts, fit, groupIncidents, whyText } from "../js/incidents.js";

const alert = (id, watchlist, rule, severity, started = "2026-11-22T10:00:00+00:00", details = {}) => ({
  alert_id: id, watchlist, rule, severity, status: "firing", at: started, started_at: started, summary: "s", details,
});

test("a watchlist's open alerts are one incident when one of them pages; info alone stays loose", () => {
  const why = { text: "new #acmedown (40)" };
  const { incidents, loose } = groupIncidents([
    alert("a1", "acme", "volume_spike", "critical", "2026-11-22T10:01:00+00:00", { why }),
    alert("a2", "acme", "coordination", "warning"),
    alert("a3", "acme", "swarm", "info"),
    alert("b1", "bolt", "swarm", "info"),
    alert("c1", "calm", "sentiment_drop", "warning"),
  ]);
  assert.deepEqual(incidents.map((i) => i.watchlist), ["acme", "calm"]);
  assert.equal(incidents[0].severity, "critical");
  assert.deepEqual(incidents[0].counts, { volume_spike: 1, coordination: 1, swarm: 1 });
  assert.equal(whyText(incidents[0].why), "new #acmedown (40)");
  assert.equal(incidents[0].startedMs, Date.parse("2026-11-22T10:00:00+00:00"));
  assert.deepEqual(loose.map((a) => a.alert_id), ["b1"]);
  assert.equal(describeCounts(incidents[0].counts), "3 alerts: coordination, swarm, volume spike");
  assert.equal(describeCounts({ swarm: 2 }), "2 alerts: swarm 2");
});

test("a scene shows what fits and says how many more", () => {
  assert.deepEqual(fit([1, 2, 3, 4, 5], 3), { shown: [1, 2, 3], more: 2 });
  assert.deepEqual(fit([1], 3), { shown: [1], more: 0 });
});
