// Swarm bubbles: one SVG circle per hashtag swarm touching the watchlist, area ∝ authors, coloured by
// state (emerging, growing, peaking, fading). Keyed by swarm id, so a swarm that grows swells in place
// (CSS transitions on r/cx/cy), and one absorbed by a merge shrinks away into its neighbour.
//
// Hook: svg [data-testid="swarm-bubble"][data-swarm="<id>"][data-state][data-authors]; its label is text.

import { layoutBubbles } from "./bubble-layout.js";
import { svg, setAttr } from "./dom.js";

const MAX_BUBBLES = 20;
const LEAVE_MS = 900;

export function createBubbles(svgEl) {
  const nodes = new Map(); // id → {g, circle, label, count}

  function build(id) {
    const g = svg("g", { class: "bubble", "data-testid": "swarm-bubble", "data-swarm": id });
    const circle = svg("circle", { class: "bubble__circle" });
    const label = svg("text", { class: "bubble__label", "text-anchor": "middle" });
    const count = svg("text", { class: "bubble__count", "text-anchor": "middle" });
    g.append(circle, label, count);
    svgEl.append(g);
    // Start small at the centre, so a new swarm visibly grows into place.
    const box = svgEl.getBoundingClientRect();
    circle.style.cx = `${box.width / 2}px`;
    circle.style.cy = `${box.height / 2}px`;
    circle.style.r = "0px";
    return { g, circle, label, count };
  }

  return {
    /** @param swarms the swarms touching the watchlist, largest first */
    set(swarms) {
      const box = svgEl.getBoundingClientRect();
      if (!(box.width > 0)) return;
      const shown = swarms.slice(0, MAX_BUBBLES);
      const byId = new Map(shown.map((s) => [s.id, s]));
      const layout = layoutBubbles(shown, box.width, box.height);
      const fresh = [];
      for (const c of layout) {
        const s = byId.get(c.id);
        let n = nodes.get(c.id);
        if (!n) {
          n = build(c.id);
          nodes.set(c.id, n);
          fresh.push(n);
        }
        setAttr(n.g, "data-state", typeof s.state === "string" ? s.state : "");
        setAttr(n.g, "data-authors", Number(s.authors) || 0);
        n.target = c;
        const tag = Array.isArray(s.tags) && typeof s.tags[0] === "string" ? "#" + s.tags[0] : "";
        n.label.textContent = c.r > 28 ? tag : "";
        n.count.textContent = c.r > 40 ? `${Number(s.authors) || 0} people` : "";
      }
      // Swarms gone (faded out or merged into another): shrink towards the largest neighbour, then go.
      const anchor = layout[0];
      for (const [id, n] of nodes) {
        if (byId.has(id)) continue;
        nodes.delete(id);
        n.g.classList.add("bubble--leaving");
        n.circle.style.r = "0px";
        if (anchor) {
          n.circle.style.cx = `${anchor.x}px`;
          n.circle.style.cy = `${anchor.y}px`;
        }
        setTimeout(() => n.g.remove(), LEAVE_MS);
      }
      const place = () => {
        for (const n of nodes.values()) {
          const c = n.target;
          n.circle.style.cx = `${c.x}px`;
          n.circle.style.cy = `${c.y}px`;
          n.circle.style.r = `${c.r}px`;
          for (const [t, dy] of [
            [n.label, n.count.textContent ? -0.1 : 0.35],
            [n.count, 0.9],
          ]) {
            const fs = Math.max(10, Math.min(c.r * 0.32, 26));
            t.setAttribute("x", c.x.toFixed(1));
            t.setAttribute("y", (c.y + dy * fs).toFixed(1));
            t.style.fontSize = `${t === n.count ? fs * 0.7 : fs}px`;
          }
        }
      };
      // New circles need one frame at r=0 for the transition to run.
      if (fresh.length) requestAnimationFrame(place);
      else place();
    },
    get size() {
      return nodes.size;
    },
  };
}
