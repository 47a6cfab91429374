// A 60-minute sparkline on a <canvas>: one bar per minute, height = mention count, colour = that
// minute's net sentiment (grey when neutral, shading to red or green). Hand-drawn rather than uPlot:
// 60 bars need no axes, scales or cursor, and 20 tiles redraw it up to 4 times a second.

const NEUTRAL = [96, 109, 128];
const POS = [62, 207, 142];
const NEG = [240, 97, 109];
const EMPTY_MARK = "rgba(148, 163, 184, 0.18)";
const FULL_TONE_AT = 0.6; // |net| at which a bar takes the full red/green

function mix(a, b, t) {
  return `rgb(${Math.round(a[0] + (b[0] - a[0]) * t)}, ${Math.round(a[1] + (b[1] - a[1]) * t)}, ${Math.round(
    a[2] + (b[2] - a[2]) * t,
  )})`;
}

export function barColor(net) {
  if (typeof net !== "number" || !Number.isFinite(net)) return mix(NEUTRAL, NEUTRAL, 0);
  const t = Math.min(1, Math.abs(net) / FULL_TONE_AT);
  return mix(NEUTRAL, net < 0 ? NEG : POS, t);
}

function sameArray(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function createSparkline(container, { slots = 60 } = {}) {
  const canvas = document.createElement("canvas");
  canvas.setAttribute("aria-hidden", "true");
  container.appendChild(canvas);
  const ctx = canvas.getContext("2d");
  let counts = [];
  let nets = [];
  let cssW = 0;
  let cssH = 0;

  function draw() {
    const dpr = window.devicePixelRatio || 1;
    const pw = Math.round(cssW * dpr);
    const ph = Math.round(cssH * dpr);
    if (pw <= 0 || ph <= 0) return;
    if (canvas.width !== pw || canvas.height !== ph) {
      canvas.width = pw;
      canvas.height = ph;
    }
    ctx.clearRect(0, 0, pw, ph);
    const n = Math.max(slots, counts.length);
    const offset = n - counts.length; // right-align: the newest minute is at the right edge
    const slotW = pw / n;
    const gap = Math.max(1, Math.round(slotW * 0.22));
    const barW = Math.max(1, slotW - gap);
    let max = 1;
    for (const c of counts) if (typeof c === "number" && c > max) max = c;
    const top = Math.round(2 * dpr);
    const usable = ph - top;
    for (let i = 0; i < counts.length; i++) {
      const c = counts[i];
      const x = Math.round((i + offset) * slotW);
      if (typeof c !== "number" || !(c > 0)) {
        ctx.fillStyle = EMPTY_MARK;
        ctx.fillRect(x, ph - Math.max(1, Math.round(dpr)), Math.ceil(barW), Math.max(1, Math.round(dpr)));
        continue;
      }
      const h = Math.max(Math.round(2 * dpr), Math.round((c / max) * usable));
      ctx.fillStyle = barColor(nets[i]);
      ctx.fillRect(x, ph - h, Math.ceil(barW), h);
    }
  }

  const ro = new ResizeObserver((entries) => {
    const r = entries[entries.length - 1].contentRect;
    if (r.width !== cssW || r.height !== cssH) {
      cssW = r.width;
      cssH = r.height;
      draw();
    }
  });
  ro.observe(container);

  return {
    /** Set the series (oldest first, the last `slots` minutes are shown); redraws only if it changed. */
    set(countSeries, netSeries) {
      const c = Array.isArray(countSeries) ? countSeries.slice(-slots) : [];
      const s = Array.isArray(netSeries) ? netSeries.slice(-slots) : [];
      if (sameArray(c, counts) && sameArray(s, nets)) return;
      counts = c;
      nets = s;
      draw();
    },
    redraw: draw,
    destroy() {
      ro.disconnect();
      canvas.remove();
    },
  };
}
