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
import { createHistoryPanel } from "./js/console/history-panel.js";

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
const mentionsPanel = createMentionsPanel($("#mentions-panel"), { model });
const historyPanel = createHistoryPanel($("#history-panel"), { model });
$("#mentions-panel").addEventListener("input", requestRender);
$("#mentions-panel").addEventListener("change", requestRender);

function render() {
  frameRequested = false;
  const dirty = store.takeDirty();
  if (dirty.tickerReset) mentionsPanel.add(model.mentions);
  else if (dirty.tickerNew.length) mentionsPanel.add(dirty.tickerNew);
  alertsPanel.render();
  if (dirty.layout) watchlistsPanel.render();
  if (dirty.layout) historyPanel.render();
  mentionsPanel.render();
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
  onStatus(s) {
    connEl.setAttribute("data-state", s.state);
    connEl.textContent = s.state === "live" ? "Live" : s.state === "stale" ? "Stale" : "Reconnecting\u2026";
  },
}).start();

setInterval(requestRender, 15_000); // alert durations
deliveryPanel.refresh();
requestRender();
