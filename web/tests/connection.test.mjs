// Unit tests for js/connection.js with a fake WebSocket and a fake clock: `node --test web/tests/`
import test from "node:test";
import assert from "node:assert/strict";
import { backoffDelay, createConnection, wsUrl } from "../js/connection.js";

test("websocket URL keeps the page's query string", () => {
  assert.equal(wsUrl({ protocol: "http:", host: "127.0.0.1:8000", search: "?token=a%20b" }), "ws://127.0.0.1:8000/ws?token=a%20b");
  assert.equal(wsUrl({ protocol: "https:", host: "wall.example", search: "" }), "wss://wall.example/ws");
});

test("backoff doubles from 0.5 s, capped at 10 s, jittered 50-100 %", () => {
  assert.equal(backoffDelay(0, 500, 10000, () => 1), 500);
  assert.equal(backoffDelay(0, 500, 10000, () => 0), 250);
  assert.equal(backoffDelay(3, 500, 10000, () => 1), 4000);
  assert.equal(backoffDelay(10, 500, 10000, () => 1), 10000);
  assert.equal(backoffDelay(50, 500, 10000, () => 0), 5000);
});

class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    FakeSocket.all.push(this);
  }
  open() { this.onopen && this.onopen(); }
  send(obj) { this.onmessage && this.onmessage({ data: typeof obj === "string" ? obj : JSON.stringify(obj) }); }
  close() { this.closed = true; }
  serverClose() { this.onclose && this.onclose(); }
}

test("live, stale after 15 s without metrics (heartbeats do not count), reconnect on close", async () => {
  FakeSocket.all = [];
  let t = 1_000_000;
  const statuses = [];
  const msgs = [];
  const conn = createConnection({
    url: "ws://x/ws?token=1",
    onMessage: (m) => msgs.push(m.type),
    onStatus: (s) => statuses.push(s.state),
    now: () => t,
    minDelayMs: 1,
    maxDelayMs: 4,
    WebSocketImpl: FakeSocket,
  });
  conn.start();
  const ws = FakeSocket.all[0];
  assert.equal(ws.url, "ws://x/ws?token=1");
  assert.equal(conn.status().state, "reconnecting");
  ws.open();
  ws.send({ type: "snapshot", v: 1, watchlists: [] });
  assert.equal(conn.status().state, "live");
  ws.send("not json");
  for (let i = 0; i < 4; i++) {
    t += 5000;
    ws.send({ type: "heartbeat", v: 1 });
  }
  assert.equal(conn.status().state, "stale");
  assert.equal(conn.status().stale, true);
  assert.equal(conn.status().staleSince, 1_000_000);
  ws.send({ type: "metrics", v: 1, watchlist: "a" });
  assert.equal(conn.status().state, "live");
  assert.deepEqual(msgs, ["snapshot", "heartbeat", "heartbeat", "heartbeat", "heartbeat", "metrics"]);

  ws.serverClose();
  assert.equal(conn.status().state, "reconnecting");
  assert.equal(conn.status().stale, true);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(FakeSocket.all.length, 2, "a new socket after the backoff");
  const ws2 = FakeSocket.all[1];
  ws2.open();
  assert.equal(conn.status().state, "reconnecting", "open but no snapshot yet");
  ws2.send({ type: "snapshot", v: 1, watchlists: [] });
  assert.equal(conn.status().state, "live");
  ws.send({ type: "metrics", v: 1 }); // the old socket is ignored
  assert.equal(msgs.at(-1), "snapshot");
  conn.stop();
  assert.ok(statuses.includes("stale") && statuses.includes("live") && statuses.includes("reconnecting"));
});

test("a silent socket (no heartbeat for 20 s) is dropped and replaced", async () => {
  FakeSocket.all = [];
  let t = 0;
  const conn = createConnection({ url: "ws://x/ws", onMessage() {}, onStatus() {}, now: () => t, minDelayMs: 1, maxDelayMs: 2, WebSocketImpl: FakeSocket });
  conn.start();
  FakeSocket.all[0].open();
  FakeSocket.all[0].send({ type: "snapshot", v: 1 });
  t += 21000;
  await new Promise((r) => setTimeout(r, 1100)); // the 1 s liveness check
  assert.equal(FakeSocket.all[0].closed, true);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(FakeSocket.all.length, 2);
  conn.stop();
});

test("a key the server refuses turns the state to refused, and a snapshot clears it", async () => {
  FakeSocket.all = [];
  let verdict = "refused";
  let asked = 0;
  const conn = createConnection({
    url: "ws://x/ws?token=old",
    onMessage: () => {},
    onStatus: () => {},
    minDelayMs: 1,
    maxDelayMs: 4,
    WebSocketImpl: FakeSocket,
    checkKey: async () => {
      asked += 1;
      return verdict;
    },
  });
  conn.start();
  FakeSocket.all[0].serverClose(); // the handshake failed: a browser is not told why
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(asked, 1);
  assert.equal(conn.status().state, "refused");
  assert.equal(conn.status().stale, true);
  // The server took the key again (say, restored): the next socket's snapshot brings the wall back.
  verdict = "ok";
  await new Promise((r) => setTimeout(r, 10));
  const ws = FakeSocket.all[FakeSocket.all.length - 1];
  ws.open();
  ws.send({ type: "snapshot", v: 1, watchlists: [] });
  assert.equal(conn.status().state, "live");
  conn.stop();
});

test("a server that is away is not a refused key", async () => {
  FakeSocket.all = [];
  const conn = createConnection({
    url: "ws://x/ws?token=k",
    onMessage: () => {},
    onStatus: () => {},
    minDelayMs: 1,
    maxDelayMs: 4,
    WebSocketImpl: FakeSocket,
    checkKey: async () => {
      throw new TypeError("Failed to fetch");
    },
  });
  conn.start();
  FakeSocket.all[0].serverClose();
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(conn.status().state, "reconnecting");
  conn.stop();
});
