// Vigie operator console: the same live feed as the wall (api/websocket.md) plus the REST api for
// actions. Redraws at most once per animation frame; text only through textContent.

import { createConnection } from "./js/connection.js";
import { consoleKey } from "./js/console/api.js";
import { createStore } from "./js/state.js";
import { applyAlert } from "./js/alerts.js";
import { createAlertsPanel } from "./js/console/alerts-panel.js";
import { createWatchlistsPanel } from "./js/console/watchlists-panel.js";
import { createDeliveryPanel } from "./js/console/delivery-panel.js";
import { createMentionsPanel } from "./js/console/mentions-panel.js";
import { createSearchPanel } from "./js/console/search-panel.js";
import { createNav } from "./js/console/nav.js";
import { createIncidentsPanel } from "./js/console/incidents-panel.js";
import { createHistoryPanel } from "./js/console/history-panel.js";
import { ingestPausedText, insightsDownText } from "./js/header.js";

const $ = (sel) => document.querySelector(sel);
const OPERATOR_KEY = "vigie.operator";

const key = consoleKey();
// The wall needs a key on its own address (it has no other way to reach its websocket): give it this one.
const wallLink = document.querySelector('[data-testid="wall-link"]');
if (wallLink && key) wallLink.setAttribute("href", `./?token=${encodeURIComponent(key)}`);
const store = createStore();
const { model } = store;
const operatorInput = $("#operator");
operatorInput.value = localStorage.getItem(OPERATOR_KEY) || "";
operatorInput.addEventListener("input", () => localStorage.setItem(OPERATOR_KEY, operatorInput.value.trim()));

const errorEl = $("#error");
function showError(text) {
  errorEl.hidden = !text;
  errorEl.textContent = text || "";
}

let frameRequested = false;
function requestRender() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(render);
}

const alertsPanel = createAlertsPanel($("#alerts-panel"), {
  operator: () => operatorInput.value.trim(),
  model,
  onError: showError,
  // The POST's answer is the alert's new state: show it at once (the websocket confirms it).
  onChange(alert) {
    applyAlert(model.alerts, alert);
    requestRender();
  },
});
const watchlistsPanel = createWatchlistsPanel($("#watchlists-panel"), { model, onSaved: requestRender });
const deliveryPanel = createDeliveryPanel($("#delivery-panel"), { onError: showError });
const operator = () => operatorInput.value.trim();
const mentionsPanel = createMentionsPanel($("#mentions-panel"), { model, operator, onError: showError });
const searchPanel = createSearchPanel($("#search-panel"), {
  model,
  key,
  operator,
  onCorrected(id, sentiment) {
    mentionsPanel.corrected(id, sentiment);
    requestRender();
  },
});
const historyPanel = createHistoryPanel($("#history-panel"), { model });
$("#mentions-panel").addEventListener("input", requestRender);
$("#mentions-panel").addEventListener("change", requestRender);
// One panel at a time (web/js/console/nav.js lists them); the delivery lists are read again when shown.
const nav = createNav(document.querySelector("#console-nav"), {
  onShow(panel) {
    if (panel.id === "delivery-panel") deliveryPanel.refresh();
    requestRender();
  },
});

function render() {
  frameRequested = false;
  const dirty = store.takeDirty();
  if (dirty.tickerReset) mentionsPanel.add(model.mentions);
  else if (dirty.tickerNew.length) mentionsPanel.add(dirty.tickerNew);
  for (const c of dirty.corrections) {
    mentionsPanel.corrected(c.mention, c.sentiment);
    searchPanel.corrected(c.mention, c.sentiment);
  }
  alertsPanel.render();
  const firing = [...model.alerts.values()].filter((a) => a.status === "firing").length;
  nav.badge("alerts-panel", firing ? `${firing} firing` : "");
  if (dirty.layout) watchlistsPanel.render();
  if (dirty.layout) searchPanel.render();
  if (dirty.layout) historyPanel.render();
  mentionsPanel.render();
  if (dirty.ingest || dirty.insightsSilent) showPipelineNotice();
}

// What the wall's banner says about the pipeline (api/websocket.md heartbeat): ingest held, or the alert
// rules standing still with the insights process; the operator sees why before acting on a quiet board.
const noticeEl = $("#pipeline-notice");
function showPipelineNotice() {
  const { ingestPaused, insightsSilent } = model;
  const reason = ingestPaused ? "ingest-paused" : insightsSilent ? "insights-down" : "";
  noticeEl.hidden = !reason;
  noticeEl.setAttribute("data-reason", reason);
  noticeEl.textContent = ingestPaused ? ingestPausedText(ingestPaused) : insightsSilent ? insightsDownText(insightsSilent) : "";
}

const connEl = $("#connection");
if (!key) showError("This console needs an API key: open the console address `vigie run` printed (…/console.html?key=vk_…).");
const wsProto = window.location.protocol === "https:" ? "wss:" : "ws:";
createConnection({
  // A browser cannot set headers on a websocket: the key goes in the address (api/websocket.md).
  url: `${wsProto}//${window.location.host}/ws?token=${encodeURIComponent(key)}`,
  onMessage(msg) {
    if (store.apply(msg)) requestRender();
  },
  // A refused handshake says nothing to a browser: ask over HTTP whether the key is still taken (each
  // `vigie run` makes a new console key and revokes the previous one).
  async checkKey() {
    const response = await fetch("/api/v1/watchlists", { headers: { authorization: `Bearer ${key}` }, cache: "no-store" });
    if (response.status === 401 || response.status === 403) return "refused";
    return response.ok ? "ok" : "unknown";
  },
  onStatus(s) {
    connEl.setAttribute("data-state", s.state);
    const words = { live: "Live", stale: "Stale", refused: "Key refused" };
    connEl.textContent = words[s.state] || "Reconnecting\u2026";
    if (s.state === "refused")
      showError("This console's key was refused: open the console address the latest `vigie run` printed (…/console.html?key=vk_…).");
  },
}).start();

setInterval(requestRender, 15_000); // alert durations
createIncidentsPanel($("#incidents-panel"), { onError: showError }).start();
requestRender();
