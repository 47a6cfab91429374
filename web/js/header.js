// The header: connection state, the room clock and the "stale since" banner.
//
// Hooks for browser tests:
//   [data-testid="connection"][data-state="live|reconnecting|stale|refused"]
//   [data-testid="clock"]         hh:mm:ss, browser's time zone
//   [data-testid="stale-banner"]  hidden (the `hidden` attribute) unless the data on screen is stale;
//                                 data-since="hh:mm" while shown; data-reason="refused" when the server
//                                 refuses the page's key (shown then whether or not data was ever seen);
//                                 data-reason="ingest-paused" while the server holds ingest (a broker
//                                 renewal, a backlog catching up): figures are paused on purpose;
//                                 data-reason="insights-down" while no insights process reports (alerts,
//                                 swarms and influencers stand still; counts and sentiment stay live)

import { clockTime, shortTime } from "./format.js";

const STATE_TEXT = { live: "Live", reconnecting: "Reconnecting\u2026", stale: "Stale", refused: "Key refused" };
export const REFUSED_TEXT = "This display\u2019s key was refused: ask for a new wall address";

/** What the room reads while the server holds ingest; `paused` is model.ingestPaused. */
export function ingestPausedText(paused) {
  return `New mentions paused since ${shortTime(new Date(paused.sinceMs))} \u2014 ${paused.summary}`;
}

/** What the room reads while no insights process reports; `silent` is model.insightsSilent. */
export function insightsDownText(silent) {
  const since = shortTime(new Date(silent.sinceMs));
  return `Alerts and swarms paused since ${since} \u2014 insights process down; counts stay live`;
}

export function createHeader({ connectionEl, connectionTextEl, clockEl, bannerEl, bannerTextEl }) {
  let lastStatus = null;
  let lastShowBanner = false;
  let ingestPaused = null;
  let insightsSilent = null;
  return {
    tick(now = new Date()) {
      const t = clockTime(now);
      if (clockEl.textContent !== t) clockEl.textContent = t;
    },

    /**
     * @param status from connection.js
     * @param showBanner false until the page has shown data once (nothing on screen can be stale before)
     */
    /** @param paused { summary, sinceMs } while the server holds ingest, null otherwise */
    setIngestPaused(paused) {
      ingestPaused = paused;
      if (lastStatus) this.setStatus(lastStatus, lastShowBanner);
    },

    /** @param silent { sinceMs } while no insights process reports, null otherwise */
    setInsightsSilent(silent) {
      insightsSilent = silent;
      if (lastStatus) this.setStatus(lastStatus, lastShowBanner);
    },

    setStatus(status, showBanner) {
      lastStatus = status;
      lastShowBanner = showBanner;
      const state = status.state;
      connectionEl.setAttribute("data-state", state);
      connectionTextEl.textContent = STATE_TEXT[state] || state;

      if (state === "refused") {
        bannerEl.hidden = false;
        bannerEl.setAttribute("data-reason", "refused");
        bannerEl.removeAttribute("data-since");
        bannerTextEl.textContent = REFUSED_TEXT;
        document.body.toggleAttribute("data-stale", true);
        return;
      }
      bannerEl.removeAttribute("data-reason");
      if (ingestPaused && state !== "reconnecting") {
        // The server says why nothing new arrives: more useful than "stale", which it would become.
        const since = shortTime(new Date(ingestPaused.sinceMs));
        bannerEl.hidden = false;
        bannerEl.setAttribute("data-reason", "ingest-paused");
        bannerEl.setAttribute("data-since", since);
        bannerTextEl.textContent = ingestPausedText(ingestPaused);
        document.body.toggleAttribute("data-stale", true);
        return;
      }
      const stale = status.stale && showBanner && status.staleSince !== null;
      if (!stale && insightsSilent && state === "live") {
        // Counts and sentiment are live (the workers), but no alert rule runs and the insights panels are
        // frozen: worse than it looks, so the room is told, without dimming what is still live.
        const since = shortTime(new Date(insightsSilent.sinceMs));
        bannerEl.hidden = false;
        bannerEl.setAttribute("data-reason", "insights-down");
        bannerEl.setAttribute("data-since", since);
        bannerTextEl.textContent = insightsDownText(insightsSilent);
        document.body.toggleAttribute("data-stale", false);
        return;
      }
      bannerEl.hidden = !stale;
      if (stale) {
        const since = shortTime(new Date(status.staleSince));
        bannerEl.setAttribute("data-since", since);
        bannerTextEl.textContent =
          state === "reconnecting"
            ? `Stale since ${since} \u2014 connection lost, reconnecting`
            : `Stale since ${since} \u2014 no new figures, numbers are frozen`;
      } else {
        bannerEl.removeAttribute("data-since");
      }
      document.body.toggleAttribute("data-stale", stale);
    },
  };
}
