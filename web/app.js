// Vigie wall: wires the socket, the model and the views together.
// Messages only update the model and mark things dirty; the DOM is touched at most once per animation
// frame, in render().

import { createConnection, wsUrl } from "./js/connection.js";
import { createStore } from "./js/state.js";
import { createTileGrid } from "./js/tiles.js";
import { createTicker } from "./js/ticker.js";
import { createHeader } from "./js/header.js";

const $ = (sel) => document.querySelector(sel);

// For browser tests: how many messages arrived and when the last one did (ms since the epoch).
const vigie = (window.__vigie = { messages: 0, lastMessageAt: null, renders: 0, status: null });

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

let status = null;
let statusDirty = true;
let frameRequested = false;

function requestRender() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(render);
}

function render() {
  frameRequested = false;
  vigie.renders += 1;
  const dirty = store.takeDirty();

  if (dirty.layout) tiles.setWatchlists(model.watchlists);
  for (const id of dirty.tiles) tiles.update(id, model.metrics.get(id));

  if (dirty.tickerReset) ticker.reset(model.mentions);
  else if (dirty.tickerNew.length) ticker.add(dirty.tickerNew);

  if (statusDirty && status) {
    statusDirty = false;
    header.setStatus(status, model.hasSnapshot);
  }
  tiles.setEmptyMessage(
    model.hasSnapshot ? (model.watchlists.length ? "" : "No watchlists yet") : "Connecting to the live feed\u2026",
  );
  header.tick();
}

const connection = createConnection({
  url: wsUrl(),
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

// The room clock ticks on the second boundary.
function scheduleClock() {
  setTimeout(() => {
    requestRender();
    scheduleClock();
  }, 1000 - (Date.now() % 1000) + 5);
}

header.tick();
scheduleClock();
connection.start();
requestRender();
