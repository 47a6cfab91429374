// The critical banner: over every scene while a critical alert is firing and nobody has acknowledged it.
//
// Hook: [data-testid="critical-banner"] has the `hidden` attribute unless shown; data-alert (the first
// alert's id) and data-count while shown; body[data-critical] while shown.

import { startedMs } from "./alerts.js";
import { setAttr, setText } from "./dom.js";
import { forDuration } from "./format.js";

export function createCriticalBanner(root) {
  const title = root.querySelector('[data-field="title"]');
  const detail = root.querySelector('[data-field="detail"]');
  return {
    /** @param alerts the interrupting alerts, most severe / longest running first */
    render(alerts, model, nowMs = Date.now()) {
      const show = alerts.length > 0;
      root.hidden = !show;
      document.body.toggleAttribute("data-critical", show);
      if (!show) {
        root.removeAttribute("data-alert");
        return;
      }
      const a = alerts[0];
      const w = model.byId.get(a.watchlist);
      setAttr(root, "data-alert", a.alert_id);
      setAttr(root, "data-count", alerts.length);
      const more = alerts.length > 1 ? ` (+${alerts.length - 1} more)` : "";
      setText(title, `CRITICAL \u2014 ${w ? String(w.name ?? w.id) : String(a.watchlist)}${more}`);
      setText(
        detail,
        `${typeof a.summary === "string" ? a.summary : ""} \u00b7 ${forDuration(startedMs(a), nowMs)}, not acknowledged`,
      );
    },
  };
}
