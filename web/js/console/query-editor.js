// A watchlist query field that checks itself as it is typed (debounced POST /api/v1/queries/validate):
// valid → the query as understood; invalid → where it went wrong and what was expected there.
//
// Lower-case and/or/not are words to find, not operators: the api's `warnings` say so under the field.
// Positions are counted from 1, as in the api's error messages ("at character 25").
//
// Hooks: [data-testid="query-status"][data-valid="true|false|"]; [data-field="query-caret"] marks the position;
//   [data-testid="query-warnings"] > li, one per warning.

import { el, setAttr, setText } from "../dom.js";
import { api } from "./api.js";

export const VALIDATE_DEBOUNCE_MS = 250;

export function createQueryEditor(input, statusEl, caretEl, warningsEl) {
  let timer = null;
  let seq = 0;

  function warn(list) {
    if (warningsEl) warningsEl.replaceChildren(...(list || []).map((w) => el("li", "", null, w)));
  }

  async function check() {
    const query = input.value;
    const mine = ++seq;
    if (query.trim() === "") {
      setAttr(statusEl, "data-valid", "");
      setText(statusEl, "Empty: the keyword, hashtag and handle lists decide instead.");
      setText(caretEl, "");
      warn([]);
      return;
    }
    try {
      const ok = await api("POST", "/api/v1/queries/validate", { query });
      if (mine !== seq) return;
      setAttr(statusEl, "data-valid", "true");
      setText(statusEl, `Valid \u2014 read as: ${ok.normalized}`);
      setText(caretEl, "");
      warn(ok.warnings);
    } catch (error) {
      if (mine !== seq) return;
      const d = Array.isArray(error.detail) && error.detail[0] ? error.detail[0] : {};
      setAttr(statusEl, "data-valid", "false");
      warn([]);
      if (typeof d.position === "number") {
        const expected = d.expected ? `expected ${d.expected}` : "";
        const found = d.found ? `, found ${d.found}` : "";
        setText(statusEl, `At character ${d.position + 1}: ${expected}${found}`.trim());
        setText(caretEl, `${query}\n${" ".repeat(d.position)}^`);
      } else {
        setText(statusEl, error.message);
        setText(caretEl, "");
      }
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(check, VALIDATE_DEBOUNCE_MS);
  });

  return {
    check,
    set(value) {
      input.value = value || "";
      check();
    },
  };
}
