// The console's watchlists: the list, and a form to create one or edit the one picked.
//
// Hooks: [data-testid="console-watchlist"][data-watchlist]; form [data-testid="watchlist-form"] with
//   inputs name=name|kind|group|query|keywords|hashtags|handles|exclude; [data-testid="watchlist-form-status"]

import { el, keyedList, setAttr, setText } from "../dom.js";
import { api } from "./api.js";
import { createQueryEditor } from "./query-editor.js";

const LISTS = ["keywords", "hashtags", "handles", "exclude"];

function splitList(text) {
  return text
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
}

export function createWatchlistsPanel(root, { model, onSaved }) {
  const list = root.querySelector('[data-field="watchlists"]');
  const form = root.querySelector('[data-testid="watchlist-form"]');
  const status = root.querySelector('[data-testid="watchlist-form-status"]');
  const title = root.querySelector('[data-field="form-title"]');
  const editor = createQueryEditor(
    form.elements.query,
    root.querySelector('[data-testid="query-status"]'),
    root.querySelector('[data-field="query-caret"]'),
    root.querySelector('[data-testid="query-warnings"]'),
  );
  let editing = null; // id of the watchlist in the form, or null for a new one

  function fillForm(w) {
    editing = w ? w.id : null;
    setText(title, w ? `Edit ${w.name ?? w.id}` : "New watchlist");
    form.elements.name.value = w ? String(w.name ?? "") : "";
    form.elements.kind.value = w && w.kind ? w.kind : "brand";
    form.elements.group.value = w && w.group ? w.group : "";
    for (const k of LISTS) form.elements[k].value = w && Array.isArray(w[k]) ? w[k].join(", ") : "";
    editor.set(w && w.query ? w.query : "");
    setText(status, "");
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      name: form.elements.name.value.trim(),
      kind: form.elements.kind.value,
      group: form.elements.group.value.trim() || "default",
      query: form.elements.query.value.trim() || null,
    };
    for (const k of LISTS) body[k] = splitList(form.elements[k].value);
    try {
      const saved = editing
        ? await api("PUT", `/api/v1/watchlists/${encodeURIComponent(editing)}`, { ...body, id: editing })
        : await api("POST", "/api/v1/watchlists", body);
      setAttr(status, "data-ok", "true");
      setText(status, `Saved ${saved.name} (${saved.id})`);
      editing = saved.id;
      setText(title, `Edit ${saved.name ?? saved.id}`); // the form now edits what was saved
      onSaved(saved);
    } catch (error) {
      setAttr(status, "data-ok", "false");
      setText(status, `Not saved: ${error.message}`);
    }
  });
  root.querySelector('[data-action="new-watchlist"]').addEventListener("click", () => fillForm(null));
  fillForm(null);

  return {
    render() {
      keyedList(
        list,
        model.watchlists,
        (w) => w.id,
        (w) => {
          const li = el("li", "c-row", { "data-testid": "console-watchlist" });
          const b = el("button", "c-row__main linkish", { type: "button" });
          b.append(el("strong", "", { "data-field": "name" }), el("span", "c-muted", { "data-field": "meta" }));
          b.addEventListener("click", () => fillForm(model.byId.get(li.dataset.key)));
          li.append(b);
          return li;
        },
        (li, w) => {
          setAttr(li, "data-watchlist", w.id);
          setText(li.querySelector('[data-field="name"]'), String(w.name ?? w.id));
          setText(
            li.querySelector('[data-field="meta"]'),
            `${w.kind ?? ""} \u00b7 ${w.group ?? ""} \u00b7 ${w.query ? w.query : [...(w.keywords || []), ...(w.hashtags || []).map((h) => "#" + h)].join(", ")}`,
          );
        },
      );
    },
  };
}
