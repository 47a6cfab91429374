// Unit tests for the console's pure parts: `node --test web/tests/`
import test from "node:test";
import assert from "node:assert/strict";
import { applyAlert, filterAlerts } from "../js/alerts.js";
import { PANELS, panelForHash } from "../js/console/nav.js";
import { describeTestAnswer } from "../js/console/delivery-panel.js";
import { correctionText } from "../js/console/correct-sentiment.js";

function alertsOf(list) {
  const alerts = new Map();
  for (const a of list) applyAlert(alerts, { at: "2026-12-06T08:00:00Z", started_at: "2026-12-06T07:00:00Z", ...a });
  return alerts;
}

test("alert filters: severity and above, one watchlist, one status", () => {
  const alerts = alertsOf([
    { alert_id: "a", severity: "critical", status: "firing", watchlist: "aerolis" },
    { alert_id: "b", severity: "warning", status: "acknowledged", watchlist: "aerolis" },
    { alert_id: "c", severity: "info", status: "firing", watchlist: "skyvane" },
  ]);
  const ids = (f) => filterAlerts(alerts, f).map((a) => a.alert_id);
  assert.deepEqual(ids({}), ["a", "b", "c"]);
  assert.deepEqual(ids({ severity: "warning" }), ["a", "b"]);
  assert.deepEqual(ids({ severity: "critical" }), ["a"]);
  assert.deepEqual(ids({ watchlist: "skyvane" }), ["c"]);
  assert.deepEqual(ids({ status: "firing" }), ["a", "c"]);
  assert.deepEqual(ids({ severity: "warning", status: "firing", watchlist: "aerolis" }), ["a"]);
});

test("the console opens the panel its address names, else the first; every panel is listed once", () => {
  assert.equal(panelForHash("#delivery").id, "delivery-panel");
  assert.equal(panelForHash("").id, PANELS[0].id);
  assert.equal(panelForHash("#nothing-here").id, PANELS[0].id);
  assert.equal(new Set(PANELS.map((p) => p.hash)).size, PANELS.length);
});

test("a receiver's answer to a test reads as one line", () => {
  assert.equal(
    describeTestAnswer({ outcome: "delivered", status_code: 202, latency_ms: 12.4, error: null, answer: "queued" }),
    "delivered \u00b7 HTTP 202 \u00b7 12 ms \u2014 answered: queued",
  );
  assert.equal(
    describeTestAnswer({ outcome: "refused", status_code: null, latency_ms: 0.3, error: "loopback refused", answer: null }),
    "refused \u00b7 0 ms \u2014 loopback refused",
  );
});

test("a corrected sentiment says who corrected it and what the model said", () => {
  assert.equal(correctionText({ label: "neu", score: 0 }), "");
  const at = "2026-12-06T10:42:00+00:00";
  const text = correctionText({ label: "neg", correction: { by: "console key", note: "ana", at, model_label: "neu" } });
  assert.match(text, /^corrected by ana \(key console key\) at \d\d:\d\d(:\d\d)? · model: neutral$/);
  assert.equal(correctionText({ label: "pos", correction: { by: "k", model_label: "neg" } }), "corrected by k · model: negative");
});

test("search says how current the archive is, and warns when it runs behind or its archiver stopped", async () => {
  const { archiveFreshness, BEHIND_WARNING_S } = await import("../js/console/search-panel.js");
  assert.equal(archiveFreshness(null), null);
  const until = "2026-12-06T23:41:07+00:00";
  const current = archiveFreshness({ complete_until: until, behind_s: 1.2, reported_at: until, stale: false });
  assert.equal(current.warning, false);
  assert.match(current.text, /^Archive complete up to /);
  const behind = archiveFreshness({ complete_until: until, behind_s: BEHIND_WARNING_S + 30, reported_at: until, stale: false });
  assert.equal(behind.warning, true);
  assert.match(behind.text, /is 40 s behind the wall/);
  const stopped = archiveFreshness({ complete_until: until, behind_s: 90, reported_at: until, stale: true });
  assert.equal(stopped.warning, true);
  assert.match(stopped.text, /has not reported since .* may be missing/);
});
