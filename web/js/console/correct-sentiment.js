// Correcting a mention's sentiment (POST /api/v1/mentions/{id}/sentiment): a select of the three labels
// and a line saying who corrected it and what the model had said. Used by the Search and Recent mentions
// panels. Text is public: textContent only.
//
// Hooks: select[data-testid="correct-sentiment"]; [data-testid="correction"] (empty until corrected)

import { el, setText } from "../dom.js";
import { clockTime, parseTime } from "../format.js";
import { api, ApiError } from "./api.js";

export const LABELS = [
  ["neg", "negative"],
  ["neu", "neutral"],
  ["pos", "positive"],
];

/** "corrected by ana (key …) at 10:42 · model: neutral" for a mention's sentiment, or "" when nobody did. */
export function correctionText(sentiment) {
  const c = sentiment && sentiment.correction;
  if (!c) return "";
  const when = parseTime(c.at);
  const model = LABELS.find(([v]) => v === c.model_label);
  const by = c.note ? `${c.note} (key ${c.by})` : c.by;
  return `corrected by ${by}${when ? ` at ${clockTime(when)}` : ""}${model ? ` · model: ${model[1]}` : ""}`;
}

/**
 * The control for one mention. `onCorrected(sentiment)` gets the mention's new sentiment (label, score,
 * correction); `onError(message)` what the api refused. `operator()` is the name typed in the console (kept
 * as the correction's note; who acted is the key's name).
 */
export function sentimentControl(mention, { operator, onCorrected, onError }) {
  const wrapper = el("span", "c-correct");
  const select = el("select", "", { "data-testid": "correct-sentiment", "aria-label": "Sentiment (correct it)" });
  select.append(...LABELS.map(([value, text]) => el("option", "", { value }, text)));
  const line = el("span", "c-muted c-correct__by", { "data-testid": "correction" });
  wrapper.append(select, " ", line);
  let current = (mention.sentiment && mention.sentiment.label) || "neu";

  function show(sentiment) {
    current = (sentiment && sentiment.label) || current;
    select.value = current;
    setText(line, correctionText(sentiment));
  }
  show(mention.sentiment);

  select.addEventListener("change", async () => {
    const wanted = select.value;
    select.disabled = true;
    try {
      const name = operator ? operator() : "";
      const answer = await api("POST", `/api/v1/mentions/${encodeURIComponent(String(mention.id))}/sentiment`, {
        sentiment: wanted,
        ...(name ? { note: name } : {}),
      });
      const sentiment = answer.mention.sentiment;
      show(sentiment);
      if (onCorrected) onCorrected(sentiment);
    } catch (error) {
      select.value = current;
      if (onError) onError(error instanceof ApiError ? error.message : `Correction failed: ${error}`);
    } finally {
      select.disabled = false;
    }
  });
  return { element: wrapper, show };
}
