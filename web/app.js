// Vigie wall: wires the socket, the model, the scenes and the views together.
// Messages only update the model and mark things dirty; the DOM is touched at most once per animation
// frame, in render(). The rotation is checked on the clock's second tick.

import { createConnection, wsUrl } from "./js/connection.js";
import { createStore } from "./js/state.js";
import { createTileGrid } from "./js/tiles.js";
import { createTicker } from "./js/ticker.js";
import { createHeader, REFUSED_TEXT } from "./js/header.js";
import { setTimeZone } from "./js/format.js";
import { createRotation, expandScenes, parseWallParams, sceneKey } from "./js/scenes.js";
import { createFocusScene } from "./js/scene-focus.js";
import { createAlertsScene } from "./js/scene-alerts.js";
import { createHistoryScene } from "./js/scene-history.js";
import { HISTORY_SPANS } from "./js/history.js";
import { createCriticalBanner } from "./js/critical-banner.js";
import { interrupting } from "./js/alerts.js";

const $ = (sel) => document.querySelector(sel);

const params = parseWallParams(window.location.search);
const timeZone = params.tz && setTimeZone(params.tz) ? params.tz : null;
if (params.tz && !timeZone) params.problems.push(`tz: expected an IANA time zone such as Europe/Paris, got "${params.tz}"`);

// For browser tests: how many messages arrived and when the last one did (ms since the epoch).
const vigie = (window.__vigie = {
  messages: 0,
  lastMessageAt: null,
  renders: 0,
  status: null,
  scene: null,
  paused: false,
  // How many times the clock asked the rotation whether to move on (once a second).
  rotationChecks: 0,
  params,
});

const store = createStore();
const { model } = store;
const tiles = createTileGrid($("#tiles"), $("#tiles-empty"));
const ticker = createTicker($("#ticker"), (id) => model.byId.get(id));
const header = createHeader({
  connectionEl: $("#connection"),
  connectionTextEl: $("#connection-text"),
  clockEl: $("#clock"),
  bannerEl: $("#stale-banner"),
  bannerTextEl: $("#stale-banner-text"),
});
const focus = createFocusScene($("#scene-focus"), { timeZone });
const alertsScene = createAlertsScene($("#scene-alerts"));
const historyScene = createHistoryScene($("#scene-history"), { timeZone, onChange: () => requestRender() });
const banner = createCriticalBanner($("#critical-banner"));
const rotation = createRotation(params.rotateMs);
const sceneEls = {
  overview: $("#scene-overview"),
  focus: $("#scene-focus"),
  alerts: $("#scene-alerts"),
  history: $("#scene-history"),
};
if (params.problems.length) $("#scene-indicator").title = params.problems.join("\n");

let status = null;
let statusDirty = true;
let frameRequested = false;
let current = null; // the scene on screen: {kind, watchlist?}
let rotationDue = true;

function requestRender() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(render);
}

/** The ticker shows everything, or only the focused watchlist's mentions. */
function tickerFilter() {
  return current && current.kind === "focus" ? current.watchlist : null;
}

function forTicker(mentions) {
  const id = tickerFilter();
  return id === null ? mentions : mentions.filter((m) => Array.isArray(m.watchlists) && m.watchlists.includes(id));
}

function showScene(scene, paused, total, index) {
  const changed = !current || sceneKey(current) !== sceneKey(scene);
  current = scene;
  vigie.scene = sceneKey(scene);
  vigie.paused = paused;
  document.body.setAttribute("data-scene", scene.kind);
  document.body.toggleAttribute("data-paused", paused);
  const indicator = $("#scene-indicator");
  indicator.setAttribute("data-scene", sceneKey(scene));
  indicator.toggleAttribute("data-paused", paused);
  const name =
    scene.kind === "focus"
      ? String((model.byId.get(scene.watchlist) || {}).name ?? scene.watchlist)
      : scene.kind === "alerts"
        ? "Alerts"
        : scene.kind === "history"
          ? HISTORY_SPANS[scene.span].title
          : "Overview";
  $("#scene-name").textContent = paused ? `${name} \u00b7 rotation paused` : name;
  $("#scene-dots").textContent = total > 1 && !paused ? "\u25cf".repeat(index + 1) + "\u25cb".repeat(total - index - 1) : "";
  if (!changed) return false;
  for (const [kind, elt] of Object.entries(sceneEls)) elt.hidden = kind !== scene.kind;
  $("#ticker-title").textContent =
    scene.kind === "focus" ? `Mentions of ${name}` : "Incoming mentions";
  ticker.reset(forTicker(model.mentions));
  if (scene.kind === "overview") tiles.setWatchlists(model.watchlists); // re-measure the grid now it shows
  if (scene.kind === "focus") focus.show(scene.watchlist, model);
  if (scene.kind === "alerts") alertsScene.render(model);
  if (scene.kind === "history") historyScene.show(scene.span, model);
  else historyScene.hide();
  return true;
}

function render() {
  frameRequested = false;
  vigie.renders += 1;
  const dirty = store.takeDirty();
  const now = Date.now();

  if (dirty.layout) tiles.setWatchlists(model.watchlists);
  for (const id of dirty.tiles) tiles.update(id, model.metrics.get(id));

  const critical = interrupting(model.alerts);
  if (dirty.alerts || rotationDue || dirty.layout) {
    if (rotationDue) vigie.rotationChecks += 1;
    rotationDue = false;
    const scenes = expandScenes(params.scenes, model.watchlists);
    const step = rotation.step(scenes, now, critical.length > 0);
    const index = scenes.findIndex((s) => sceneKey(s) === sceneKey(step.scene));
    const switched = showScene(step.scene, step.paused, scenes.length, Math.max(0, index));
    if (switched) {
      // showScene() has just rebuilt the ticker for the new scene.
      dirty.tickerReset = false;
      dirty.tickerNew = [];
    }
  }

  if (dirty.tickerReset) ticker.reset(forTicker(model.mentions));
  else if (dirty.tickerNew.length) ticker.add(forTicker(dirty.tickerNew));

  if (current && current.kind === "focus") focus.render(model, dirty);
  if (current && current.kind === "history") {
    if (dirty.layout) historyScene.setWatchlists(model);
    historyScene.render();
  }
  // The alerts scene is kept current even while hidden, so it never shows a stale state when it returns.
  if ((current && current.kind === "alerts") || dirty.alerts) alertsScene.render(model, now);
  banner.render(critical, model, now);

  if (dirty.ingest) header.setIngestPaused(model.ingestPaused);
  if (dirty.insightsSilent) header.setInsightsSilent(model.insightsSilent);
  if (statusDirty && status) {
    statusDirty = false;
    header.setStatus(status, model.hasSnapshot);
  }
  tiles.setEmptyMessage(
    model.hasSnapshot
      ? model.watchlists.length
        ? ""
        : "No watchlists yet"
      : status && status.state === "refused"
        ? REFUSED_TEXT
        : "Connecting to the live feed\u2026",
  );
  header.tick();
}

/** Whether the server takes this page's key, asked over HTTP (a failed websocket handshake says nothing). */
async function checkKey() {
  const token = new URLSearchParams(window.location.search).get("token") || "";
  const response = await fetch(`/api/v1/watchlists?token=${encodeURIComponent(token)}`, { cache: "no-store" });
  if (response.status === 401 || response.status === 403) return "refused";
  return response.ok ? "ok" : "unknown";
}

const connection = createConnection({
  url: wsUrl(),
  checkKey,
  onMessage(msg, at) {
    vigie.messages += 1;
    vigie.lastMessageAt = at;
    if (store.apply(msg)) requestRender();
  },
  onStatus(s) {
    status = s;
    vigie.status = s.state;
    statusDirty = true;
    requestRender();
  },
});

// The room clock ticks on the second boundary; the rotation, durations and banner follow it.
function scheduleClock() {
  setTimeout(() => {
    rotationDue = true;
    requestRender();
    scheduleClock();
  }, 1000 - (Date.now() % 1000) + 5);
}

window.addEventListener("resize", () => {
  focus.resize();
  historyScene.resize();
  requestRender();
});

header.tick();
scheduleClock();
connection.start();
requestRender();
