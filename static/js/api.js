// Fetch helper for the planview API: JSON in, a readable Error out ({"code","description"} bodies).

export class ApiError extends Error {
  constructor(status, code, description, url) {
    super(description || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.url = url;
  }
}

/** GET `${base}${path}` with query params; resolves to the parsed JSON body. */
export function makeApi(base) {
  return async function api(path, params = {}, options = {}) {
    const url = new URL(base + path, window.location.origin);
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
    }
    let response;
    try {
      response = await fetch(url, { headers: { Accept: "application/json" }, ...options });
    } catch (err) {
      throw new ApiError(0, "NetworkError", err.message, url.href);
    }
    const text = await response.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!response.ok) {
      const description = body?.description || `HTTP ${response.status}`;
      const error = new ApiError(response.status, body?.code || "HTTPError", description, url.href);
      error.body = body; // e.g. a 412's current record
      throw error;
    }
    return body;
  };
}
