// The console's REST client: JSON in and out; a failed call throws an Error whose message says what the
// api answered (its `detail` fields when it gives them). Every call carries the console's API key as a
// Bearer header.

const KEY_STORAGE = "vigie.key";
let apiKey = "";

/** The console's key: taken from the address's `?key=` once (then removed from the address bar, so it is
 * not bookmarked or shared by accident), kept in sessionStorage for the tab's life. */
export function consoleKey(loc = window.location, storage = window.sessionStorage, history = window.history) {
  const params = new URLSearchParams(loc.search);
  const fromAddress = params.get("key");
  if (fromAddress) {
    storage.setItem(KEY_STORAGE, fromAddress);
    params.delete("key");
    const rest = params.toString();
    history.replaceState(null, "", `${loc.pathname}${rest ? `?${rest}` : ""}${loc.hash}`);
  }
  apiKey = storage.getItem(KEY_STORAGE) || "";
  return apiKey;
}

export class ApiError extends Error {
  constructor(status, detail) {
    super(ApiError.describe(status, detail));
    this.status = status;
    this.detail = detail;
  }

  static describe(status, detail) {
    if (Array.isArray(detail))
      return detail.map((d) => (d && d.field ? `${d.field}: ${d.error ?? d.msg ?? ""}` : JSON.stringify(d))).join("; ");
    if (typeof detail === "string") return `${status}: ${detail}`;
    return `the api answered ${status}`;
  }
}

export async function api(method, path, body) {
  const init = { method, headers: { accept: "application/json" } };
  if (apiKey) init.headers.authorization = `Bearer ${apiKey}`;
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 204) return null;
  let payload = null;
  try {
    payload = await response.json();
  } catch (_) {
    payload = null;
  }
  if (!response.ok) throw new ApiError(response.status, payload && payload.detail);
  return payload;
}
