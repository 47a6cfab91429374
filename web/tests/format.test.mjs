// Unit tests for js/format.js: `node --test web/tests/`
import test from "node:test";
import assert from "node:assert/strict";
import * as f from "../js/format.js";

test("missing values render as an em dash, never 0 or NaN", () => {
  for (const v of [null, undefined, NaN, Infinity, "12"]) {
    assert.equal(f.rate(v), f.DASH);
    assert.equal(f.netPoints(v), f.DASH);
    assert.equal(f.percent(v), f.DASH);
    assert.equal(f.compact(v), f.DASH);
  }
  assert.equal(f.netTone(null), "none");
});

test("compact follower counts", () => {
  assert.equal(f.compact(950), "950");
  assert.equal(f.compact(1000), "1k");
  assert.equal(f.compact(12345), "12.3k");
  assert.equal(f.compact(150000), "150k");
  assert.equal(f.compact(999950), "1M");
  assert.equal(f.compact(1234567), "1.2M");
});

test("rates, net sentiment and share", () => {
  assert.equal(f.rate(12), "12");
  assert.equal(f.rate(9.333), "9.3");
  assert.equal(f.rate(0), "0");
  assert.equal(f.netPoints(0.34), "+34");
  assert.equal(f.netPoints(-0.083), "\u22128");
  assert.equal(f.netPoints(-0.004), "0");
  assert.equal(f.netTone(0.34), "pos");
  assert.equal(f.netTone(-0.5), "neg");
  assert.equal(f.netTone(0.05), "neu");
  assert.equal(f.percent(0.31), "31%");
  assert.equal(f.percent(0), "0%");
  assert.equal(f.percent(0.001), "<1%");
});

test("times are hh:mm:ss / hh:mm, 24 h, local", () => {
  const d = new Date(2026, 10, 22, 9, 5, 3);
  assert.equal(f.clockTime(d), "09:05:03");
  assert.equal(f.shortTime(d), "09:05");
  assert.equal(f.clockTime(f.parseTime("not a date")), f.DASH);
});

test("chart axes say hh:mm, 24 h, in the wall's time zone, like its clock", () => {
  assert.equal(f.setTimeZone("Europe/Paris"), true);
  try {
    // 03:50 UTC on 6 December is 04:50 in Paris: "04:50", not "4:50am".
    const at = Date.UTC(2026, 11, 6, 3, 50) / 1000;
    assert.deepEqual(f.axisTimes([at, at + 600, at + 9.5 * 3600]), ["04:50", "05:00", "14:20"]);
  } finally {
    f.setTimeZone(Intl.DateTimeFormat().resolvedOptions().timeZone);
  }
});

test("colours: only #rgb/#rrggbb accepted, else a stable fallback", () => {
  assert.equal(f.safeColor("#4cc9f0"), "#4cc9f0");
  assert.equal(f.safeColor("red;background:url(x)"), null);
  const a = f.accentFor({ id: "x", color: "javascript:alert(1)" });
  assert.match(a, /^#[0-9a-f]{6}$/);
  assert.equal(a, f.accentFor({ id: "x", color: null }));
  assert.equal(f.handle("@marie"), "@marie");
  assert.equal(f.handle("marie"), "@marie");
});
