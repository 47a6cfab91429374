// Which scenes the wall shows and when it moves to the next one. Pure: no DOM, no timers.
//
// URL parameters (kiosk use):
//   scenes=overview,focus:aerolis,alerts   the rotation, in order; `focus:*` is one focus scene per watchlist;
//                                          `history24h` and `history7d` look back over every watchlist
//   rotate_s=20                            seconds per scene (at least 2)
//   tz=Europe/Paris                        the room's time zone (default: the browser's)
// A critical alert pauses the rotation on the alerts scene until nobody's critical alert is left unacknowledged.

export const SCENE_KINDS = ["overview", "focus", "alerts", "history"];
/** History scenes by name: the span they look back over (js/history.js HISTORY_SPANS). */
export const HISTORY_SCENES = { history24h: "24h", history7d: "7d" };
export const DEFAULT_SCENES = "overview,focus:*,alerts";
export const DEFAULT_ROTATE_S = 20;
export const MIN_ROTATE_S = 2;

/** One scene spec from "overview", "alerts", "focus:<id>", "focus:*", "history24h" or "history7d"; null when
 * not understood. */
export function parseScene(text) {
  const t = String(text).trim();
  if (t === "overview" || t === "alerts") return { kind: t };
  if (Object.hasOwn(HISTORY_SCENES, t)) return { kind: "history", span: HISTORY_SCENES[t] };
  if (t === "focus") return { kind: "focus", watchlist: "*" };
  const m = /^focus:(.+)$/.exec(t);
  return m ? { kind: "focus", watchlist: m[1].trim() } : null;
}

/**
 * The wall's URL parameters: {scenes: [spec], rotateMs, tz, problems: [text]}.
 * Anything not understood is listed in `problems` (shown on the wall) and replaced by its default.
 */
export function parseWallParams(search) {
  const params = new URLSearchParams(search || "");
  const problems = [];
  const raw = params.get("scenes");
  let scenes = [];
  for (const part of (raw ?? DEFAULT_SCENES).split(",")) {
    if (part.trim() === "") continue;
    const spec = parseScene(part);
    if (spec) scenes.push(spec);
    else
      problems.push(
        `scenes: expected overview, alerts, focus:<watchlist>, focus:*, history24h or history7d, got "${part.trim()}"`,
      );
  }
  if (!scenes.length) scenes = DEFAULT_SCENES.split(",").map(parseScene);

  let rotateS = DEFAULT_ROTATE_S;
  const rawRotate = params.get("rotate_s");
  if (rawRotate !== null) {
    const n = Number(rawRotate);
    if (Number.isFinite(n) && n >= MIN_ROTATE_S) rotateS = n;
    else problems.push(`rotate_s: expected a number of seconds \u2265 ${MIN_ROTATE_S}, got "${rawRotate}"`);
  }
  const tz = params.get("tz") || null;
  return { scenes, rotateMs: rotateS * 1000, tz, problems };
}

/** A scene's stable key: "overview", "alerts", "focus:<id>", "history24h", "history7d". */
export function sceneKey(scene) {
  if (scene.kind === "focus") return `focus:${scene.watchlist}`;
  if (scene.kind === "history") return `history${scene.span}`;
  return scene.kind;
}

/**
 * Concrete scenes for the watchlists known now: `focus:*` becomes one focus scene per watchlist (in
 * display order); a focus on an unknown watchlist is left out until it exists. Never empty.
 */
export function expandScenes(specs, watchlists) {
  const ids = watchlists.map((w) => w.id);
  const known = new Set(ids);
  const out = [];
  const seen = new Set();
  const push = (scene) => {
    const key = sceneKey(scene);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(scene);
    }
  };
  for (const spec of specs) {
    if (spec.kind !== "focus") push({ ...spec });
    else if (spec.watchlist === "*") for (const id of ids) push({ kind: "focus", watchlist: id });
    else if (known.has(spec.watchlist)) push({ kind: "focus", watchlist: spec.watchlist });
  }
  return out.length ? out : [{ kind: "overview" }];
}

/**
 * The rotation: call step() often (every second is enough) with the current scene list; it returns
 * {scene, paused}. A scene stays rotateMs, then the next one shows; when the list changes the current
 * scene is kept if it is still there. While `critical` is true the alerts scene shows and time stops.
 */
export function createRotation(rotateMs) {
  let currentKey = null;
  let shownAt = null;

  return {
    step(scenes, nowMs, critical = false) {
      if (critical) {
        currentKey = "alerts";
        shownAt = nowMs; // when the banner clears, the alerts scene gets its full turn
        return { scene: { kind: "alerts" }, paused: true };
      }
      let index = scenes.findIndex((s) => sceneKey(s) === currentKey);
      if (index < 0) {
        index = 0;
        shownAt = nowMs;
      } else if (nowMs - shownAt >= rotateMs) {
        index = (index + 1) % scenes.length;
        shownAt = nowMs;
      }
      currentKey = sceneKey(scenes[index]);
      return { scene: scenes[index], paused: false };
    },
  };
}
