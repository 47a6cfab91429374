// The console's REST client: JSON in and out; a failed call throws an Error whose message says what the
// api answered (its `detail` fields when it gives them).

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
