// Small DOM helpers shared by the scenes and the console. Text goes in with textContent only.

/** An element with a class and attributes; `text`, when given, is set as textContent (never HTML). */
export function el(tag, className, attrs, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (attrs) for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function svg(tag, attrs) {
  const e = document.createElementNS(SVG_NS, tag);
  if (attrs) for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export function setText(node, text) {
  const t = String(text);
  if (node.textContent !== t) node.textContent = t;
}

export function setAttr(node, name, value) {
  const v = String(value);
  if (node.getAttribute(name) !== v) node.setAttribute(name, v);
}

/**
 * Keep `parent`'s children in step with `items`, keyed: build(item) makes a node once per key,
 * update(node, item) refreshes it; nodes whose key left are removed. Returns the nodes in order.
 */
export function keyedList(parent, items, keyOf, build, update) {
  const existing = new Map();
  for (const child of parent.children) if (child.dataset.key !== undefined) existing.set(child.dataset.key, child);
  const nodes = items.map((item, i) => {
    const key = String(keyOf(item));
    let node = existing.get(key);
    if (!node) {
      node = build(item);
      node.dataset.key = key;
    }
    existing.delete(key);
    update(node, item);
    if (parent.children[i] !== node) parent.insertBefore(node, parent.children[i] || null);
    return node;
  });
  for (const node of existing.values()) node.remove();
  return nodes;
}
