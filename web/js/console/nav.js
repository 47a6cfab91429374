// The console's navigation: one tab per panel, one panel on screen at a time, the choice kept in the
// address (#delivery) so a reload or a shared link opens the same panel.
//
// To add a panel: give its <section> an id and add one entry to PANELS (nothing else changes).
//
// Hooks: [data-testid="console-nav"] > [data-testid="nav-tab"][data-panel="<id>"][aria-selected]

import { el, setAttr } from "../dom.js";

/** Every panel of the console, in tab order: the section's id, the tab's label, its address (#hash). */
export const PANELS = [
  { id: "incidents-panel", label: "Incidents", hash: "incidents" },
  { id: "alerts-panel", label: "Alerts", hash: "alerts" },
  { id: "watchlists-panel", label: "Watchlists", hash: "watchlists" },
  { id: "mentions-panel", label: "Mentions", hash: "mentions" },
  { id: "history-panel", label: "History", hash: "history" },
  { id: "search-panel", label: "Search", hash: "search" },
  { id: "delivery-panel", label: "Delivery", hash: "delivery" },
];

/** The panel an address's hash names, or the first one. */
export function panelForHash(hash, panels = PANELS) {
  const wanted = String(hash || "").replace(/^#/, "");
  return panels.find((p) => p.hash === wanted) || panels[0];
}

/**
 * @param navEl   the <nav> the tabs go in
 * @param doc     the document holding the panels' sections (panels whose section is missing are skipped)
 * @param onShow  called with a panel's entry when it is shown
 */
export function createNav(navEl, { doc = document, loc = window.location, panels = PANELS, onShow = () => {} } = {}) {
  const present = panels.filter((p) => doc.getElementById(p.id));
  const tabs = new Map();
  for (const panel of present) {
    const tab = el("button", "c-tab", { type: "button", role: "tab", "data-testid": "nav-tab", "data-panel": panel.id }, panel.label);
    tab.addEventListener("click", () => {
      show(panel);
      if (loc.hash !== `#${panel.hash}`) loc.hash = panel.hash;
    });
    tabs.set(panel.id, tab);
    navEl.append(tab);
  }

  function show(panel) {
    for (const p of present) {
      doc.getElementById(p.id).hidden = p.id !== panel.id;
      setAttr(tabs.get(p.id), "aria-selected", p.id === panel.id ? "true" : "false");
    }
    onShow(panel);
  }

  window.addEventListener("hashchange", () => show(panelForHash(loc.hash, present)));
  show(panelForHash(loc.hash, present));
  return {
    show(id) {
      const panel = present.find((p) => p.id === id);
      if (panel) show(panel);
    },
    /** A label beside a tab ("3 firing"), e.g. so the alerts tab says there is something to do. */
    badge(id, text) {
      const tab = tabs.get(id);
      if (tab) setAttr(tab, "data-badge", text || "");
    },
  };
}
