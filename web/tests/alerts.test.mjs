// Unit tests for js/alerts.js and the durations of js/format.js: `node --test web/tests/`
import test from "node:test";
import assert from "node:assert/strict";
import { applyAlert, interrupting, openAlerts } from "../js/alerts.js";
import { clockTime, forDuration, setTimeZone, shortTime } from "../js/format.js";

const alert = (id, status, severity = "critical", at = "2026-11-22T10:00:00+00:00", started = at) => ({
  alert_id: id, status, severity, at, started_at: started, watchlist: "a", rule: "volume_spike", summary: "s",
});

test("open alerts: firing and acknowledged kept, resolved removed, older events ignored", () => {
  const m = new Map();
  assert.equal(applyAlert(m, alert("x", "firing")), true);
  assert.equal(applyAlert(m, alert("x", "acknowledged", "critical", "2026-11-22T10:05:00+00:00")), true);
  assert.equal(applyAlert(m, alert("x", "firing", "critical", "2026-11-22T10:01:00+00:00")), false);
  assert.equal(m.get("x").status, "acknowledged");
  assert.equal(applyAlert(m, alert("x", "resolved", "critical", "2026-11-22T10:09:00+00:00")), true);
  assert.equal(m.size, 0);
  assert.equal(applyAlert(m, { nope: 1 }), false);
});

test("critical, firing, unacknowledged alerts interrupt; order is severity, firing, oldest", () => {
  const m = new Map();
  applyAlert(m, alert("w", "firing", "warning"));
  applyAlert(m, alert("c1", "acknowledged", "critical"));
  applyAlert(m, alert("c2", "firing", "critical", "2026-11-22T10:00:00+00:00", "2026-11-22T09:50:00+00:00"));
  applyAlert(m, alert("c3", "firing", "critical"));
  assert.deepEqual(openAlerts(m).map((a) => a.alert_id), ["c2", "c3", "c1", "w"]);
  assert.deepEqual(interrupting(m).map((a) => a.alert_id), ["c2", "c3"]);
});

test("durations read as a person says them", () => {
  const t0 = Date.parse("2026-11-22T10:00:00Z");
  assert.equal(forDuration(t0, t0 + 40_000), "for 40 s");
  assert.equal(forDuration(t0, t0 + 12 * 60_000 + 5_000), "for 12 min");
  assert.equal(forDuration(t0, t0 + 125 * 60_000), "for 2 h 05");
  assert.equal(forDuration(t0, t0 + 72 * 3600_000), "for 3 d");
  assert.equal(forDuration(null, t0), "\u2014");
});

test("times in the room's time zone", () => {
  const d = new Date("2026-11-22T10:04:05Z");
  assert.equal(setTimeZone("Not/AZone"), false);
  assert.equal(setTimeZone("Europe/Paris"), true);
  assert.equal(clockTime(d), "11:04:05");
  assert.equal(shortTime(d), "11:04");
  assert.equal(setTimeZone("America/New_York"), true);
  assert.equal(shortTime(new Date("2026-11-22T03:30:00Z")), "22:30");
});
