// The websocket: connect, reconnect with capped exponential backoff and jitter, and tell whether the
// data on screen is live.
//
// status.state:
//   "live"          socket open and a data message (snapshot or metrics) arrived in the last staleAfterMs
//   "stale"         socket open but no data message for staleAfterMs (heartbeats alone do not count)
//   "reconnecting"  socket down, or open but still waiting for its first data message
//   "refused"       the server refuses this page's key (revoked, unknown, or lacking the display scope):
//                   reconnecting cannot help until someone gives the screen a new address. A browser is
//                   not told why a websocket handshake failed, so after a socket that never opened (or
//                   one closed with 4401/4403/1008) the optional checkKey() asks over HTTP; it answers
//                   "ok", "refused" or "unknown". Retries go on at the longest delay meanwhile.
// status.stale is true whenever state is not "live"; status.staleSince is the time (ms) of the last
// data message, or null if none ever arrived on this page.
//
// A socket that delivers nothing at all (not even a heartbeat) for deadAfterMs is closed and replaced:
// it is probably a half-open TCP connection.

const DATA_TYPES = new Set(["snapshot", "metrics"]);
const REFUSED_CODES = new Set([4401, 4403, 1008]);

export function wsUrl(loc = window.location) {
  const proto = loc.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${loc.host}/ws${loc.search}`;
}

/** Backoff delay before attempt n (0-based): minMs·2^n capped at maxMs, then "equal jitter" (50–100 %). */
export function backoffDelay(n, minMs = 500, maxMs = 10000, random = Math.random) {
  const base = Math.min(maxMs, minMs * Math.pow(2, Math.min(n, 30)));
  return Math.round(base / 2 + (random() * base) / 2);
}

export function createConnection({
  url,
  onMessage,
  onStatus,
  staleAfterMs = 15000,
  deadAfterMs = 20000,
  minDelayMs = 500,
  maxDelayMs = 10000,
  now = () => Date.now(),
  WebSocketImpl = window.WebSocket,
  checkKey = null,
}) {
  let ws = null;
  let connected = false;
  let connectedAt = 0;
  let gotDataOnThisSocket = false;
  let attempt = 0;
  let retryTimer = null;
  let checkTimer = null;
  let stopped = true;
  let lastMessageAt = null; // any message, heartbeats included
  let lastDataAt = null; // snapshot or metrics
  let lastKey = "";
  let refused = false;

  function status() {
    const t = now();
    let state;
    if (refused) state = "refused";
    else if (!connected) state = "reconnecting";
    else if (!gotDataOnThisSocket) state = t - connectedAt > staleAfterMs ? "stale" : "reconnecting";
    else state = t - lastDataAt > staleAfterMs ? "stale" : "live";
    return {
      state,
      stale: state !== "live",
      staleSince: lastDataAt,
      connected,
      lastMessageAt,
      lastDataAt,
      attempt,
    };
  }

  function emit(force = false) {
    const s = status();
    const key = `${s.state}|${s.stale ? s.staleSince : ""}`;
    if (force || key !== lastKey) {
      lastKey = key;
      onStatus && onStatus(s);
    }
  }

  function scheduleRetry() {
    if (stopped || retryTimer !== null) return;
    const delay = refused ? maxDelayMs : backoffDelay(attempt, minDelayMs, maxDelayMs);
    attempt += 1;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      open();
    }, delay);
  }

  function askAboutKey() {
    if (!checkKey) return;
    Promise.resolve()
      .then(checkKey)
      .then((verdict) => {
        if (verdict === "refused" || verdict === "ok") refused = verdict === "refused";
        emit();
      })
      .catch(() => {
        /* the server is away: the key is not the question */
      });
  }

  function dropSocket(sock, closeCode = 0) {
    if (ws !== sock) return;
    if (!stopped && (REFUSED_CODES.has(closeCode) || !connected)) askAboutKey();
    ws = null;
    connected = false;
    gotDataOnThisSocket = false;
    sock.onopen = sock.onmessage = sock.onclose = sock.onerror = null;
    try {
      sock.close();
    } catch (_) {
      /* already closed */
    }
    emit();
    scheduleRetry();
  }

  function open() {
    if (stopped) return;
    let sock;
    try {
      sock = new WebSocketImpl(url);
    } catch (_) {
      scheduleRetry();
      return;
    }
    ws = sock;
    sock.onopen = () => {
      if (ws !== sock) return;
      connected = true;
      connectedAt = now();
      lastMessageAt = connectedAt;
      emit();
    };
    sock.onmessage = (ev) => {
      if (ws !== sock) return;
      const t = now();
      lastMessageAt = t;
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch (_) {
        return; // not JSON: ignore
      }
      if (!msg || typeof msg !== "object" || typeof msg.type !== "string") return;
      if (msg.type === "snapshot") {
        attempt = 0; // a server that speaks is a healthy server
        refused = false; // and it took the key
      }
      if (DATA_TYPES.has(msg.type)) {
        lastDataAt = t;
        gotDataOnThisSocket = true;
      }
      onMessage(msg, t);
      emit();
    };
    sock.onerror = () => {
      /* a close event follows */
    };
    sock.onclose = (ev) => dropSocket(sock, ev && ev.code);
  }

  function check() {
    if (ws && connected && now() - lastMessageAt > deadAfterMs) dropSocket(ws);
    emit();
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      checkTimer = setInterval(check, 1000);
      open();
      emit(true);
    },
    stop() {
      stopped = true;
      clearInterval(checkTimer);
      clearTimeout(retryTimer);
      retryTimer = null;
      if (ws) dropSocket(ws);
    },
    status,
  };
}
