// Where the swarm bubbles go. Pure: circles sized by authors, packed without overlap, scaled to fit.
//
// Area is proportional to authors (radius ∝ √authors). Circles are placed largest first on a spiral
// around the centre, each at the first spot that overlaps nothing, then the whole set is scaled to fit
// the box. The same input gives the same picture, so a bubble moves only when the swarms change.

const GAP = 0.06; // space between bubbles, as a fraction of the radius

/**
 * @param items [{id, authors}] (any order)
 * @param width, height  the box, in px
 * @returns [{id, x, y, r}] in px, largest first
 */
export function layoutBubbles(items, width, height) {
  const sized = items
    .filter((it) => it && typeof it.id === "string")
    .map((it) => ({ id: it.id, r: Math.sqrt(Math.max(1, Number(it.authors) || 1)) }))
    .sort((a, b) => b.r - a.r || a.id.localeCompare(b.id));
  if (!sized.length || !(width > 0) || !(height > 0)) return [];

  const aspect = width / height;
  const placed = [];
  for (const c of sized) {
    if (!placed.length) {
      placed.push({ ...c, x: 0, y: 0 });
      continue;
    }
    const step = c.r * 0.35;
    for (let i = 1; i < 20000; i++) {
      const angle = i * 0.35;
      const dist = step * angle * 0.3;
      const x = Math.cos(angle) * dist * Math.sqrt(aspect);
      const y = Math.sin(angle) * dist / Math.sqrt(aspect);
      const free = placed.every((p) => Math.hypot(p.x - x, p.y - y) >= (p.r + c.r) * (1 + GAP));
      if (free) {
        placed.push({ ...c, x, y });
        break;
      }
    }
  }
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (const p of placed) {
    minX = Math.min(minX, p.x - p.r);
    maxX = Math.max(maxX, p.x + p.r);
    minY = Math.min(minY, p.y - p.r);
    maxY = Math.max(maxY, p.y + p.r);
  }
  const scale = Math.min(width / (maxX - minX), height / (maxY - minY), height / 2.2 / placed[0].r);
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  return placed.map((p) => ({
    id: p.id,
    x: width / 2 + (p.x - cx) * scale,
    y: height / 2 + (p.y - cy) * scale,
    r: p.r * scale,
  }));
}
