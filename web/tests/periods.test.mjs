// Unit tests for js/console/periods.js: `node --test web/tests/`. Expectations are built with the local Date
// constructor, so they hold in any time zone.
import test from "node:test";
import assert from "node:assert/strict";
import { PERIODS, localInputValue, periodFor, spanLabel, stepFor } from "../js/console/periods.js";

const s = (d) => Math.floor(d.getTime() / 1000);
const now = new Date(2026, 11, 6, 14, 25, 10); // Sunday 14:25:10, local time

test("each period of the picker ends now, or at midnight for yesterday", () => {
  assert.deepEqual(periodFor("1h", now), { from: s(now) - 3600, to: s(now), step: 60 });
  assert.deepEqual(periodFor("since-9", now), { from: s(new Date(2026, 11, 6, 9)), to: s(now), step: 300 });
  assert.deepEqual(periodFor("24h", now), { from: s(now) - 86_400, to: s(now), step: 900 });
  assert.deepEqual(periodFor("yesterday", now), {
    from: s(new Date(2026, 11, 5)),
    to: s(new Date(2026, 11, 6)),
    step: 900,
  });
  assert.deepEqual(periodFor("7d", now), { from: s(now) - 7 * 86_400, to: s(now), step: 6 * 3600 });
  assert.equal(PERIODS.length, 6);
});

test("since 9 am, before 9 am, is since 9 am yesterday", () => {
  const early = new Date(2026, 11, 6, 7, 30);
  assert.equal(periodFor("since-9", early).from, s(new Date(2026, 11, 5, 9)));
});

test("a custom period is checked and says which field is wrong", () => {
  assert.deepEqual(periodFor("custom", now, { from: "2026-12-05T09:00", to: "2026-12-05T17:30" }), {
    from: s(new Date(2026, 11, 5, 9)),
    to: s(new Date(2026, 11, 5, 17, 30)),
    step: 300,
  });
  assert.equal(periodFor("custom", now, { from: "2026-12-05T09:00" }).to, s(now));
  assert.match(periodFor("custom", now, { from: "" }).error, /^from: expected a date and time/);
  assert.match(periodFor("custom", now, { from: "2026-12-06T10:00", to: "2026-12-06T09:00" }).error, /^from: must be before to/);
  assert.match(periodFor("week", now).error, /^period: expected one of 1h, since-9/);
});

test("steps keep at most 150 bars; lengths read as people say them", () => {
  assert.equal(stepFor(3600), 60);
  assert.equal(stepFor(30 * 86_400), 6 * 3600);
  assert.equal(stepFor(400 * 86_400), 86_400);
  assert.equal(spanLabel(3600), "1\u00a0h");
  assert.equal(spanLabel(86_400), "24\u00a0h");
  assert.equal(spanLabel(7 * 86_400), "7\u00a0days");
  assert.equal(spanLabel(5 * 3600 + 25 * 60), "5\u00a0h 25\u00a0min");
  assert.equal(spanLabel(45 * 60), "45\u00a0min");
  assert.equal(localInputValue(s(new Date(2026, 11, 5, 9, 5))), "2026-12-05T09:05");
});
