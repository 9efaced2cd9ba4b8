// The control API, as the tests use it, and the live event stream (with a polling fallback).

/** The control base: this page's path without its trailing /ui (or /ui/...). */
export const BASE = location.pathname.replace(/\/ui(\/.*)?$/, "") || "/_emulator";

/** A refused control call: the status, the message and the API's details (problems...). */
export class ApiError extends Error {
  constructor(status, message, details = {}) {
    super(message);
    this.status = status;
    this.details = details;
  }
}

async function call(method, path, body, contentType = "application/json") {
  const init = { method, headers: { accept: "application/json" }, cache: "no-store" };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers["content-type"] = contentType;
  }
  let response;
  try {
    response = await fetch(BASE + path, init);
  } catch (error) {
    throw new ApiError(0, `the emulator cannot be reached (${error.message})`);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && typeof data === "object" ? data.error : null;
    const { message, ...details } = error && typeof error === "object" ? error : {};
    throw new ApiError(
      response.status,
      typeof message === "string" ? message : `${method} ${path} answered ${response.status}`,
      details,
    );
  }
  return data;
}

const enc = encodeURIComponent;

export const api = {
  conversations: () => call("GET", "/conversations"),
  conversation: (pageId, psid) => call("GET", `/conversations/${enc(pageId)}/${enc(psid)}`),
  requests: () => call("GET", "/requests"),
  webhooks: () => call("GET", "/webhooks"),
  clock: () => call("GET", "/clock"),
  health: () => call("GET", "/health"),
  attachment: (id) => call("GET", `/attachments/${enc(id)}`),
  attachmentDataUrl: (id) => `${BASE}/attachments/${enc(id)}/data`,
  /** The person acts: {text} | {quick_reply} | {postback} | {attachment} | {reaction} | {unreact} | {read} */
  act: (pageId, psid, action) =>
    call("POST", `/pages/${enc(pageId)}/users/${enc(psid)}/messages`, action),
  advance: (duration) => call("POST", "/clock", { advance: duration }),
  setClock: (iso) => call("POST", "/clock", { set: iso }),
  reset: () => call("POST", "/reset"),
  loadScenario: (text, isJson) =>
    call("PUT", "/scenario", text, isJson ? "application/json" : "application/yaml"),
};

/**
 * Live updates: Server-Sent Events from `${BASE}/events`, or polling when the stream keeps
 * failing. `handlers[kind](data)` for sent, inbound, request, webhook, clock, reset; `onResync()`
 * when events may have been missed (reconnection, overflow) or on each poll; `onMode(mode)` with
 * "live", "polling" or "connecting".
 */
export function connectLive({ handlers, onResync, onMode }) {
  const KINDS = ["sent", "inbound", "request", "webhook", "clock", "reset"];
  let source = null;
  let failures = 0;
  let pollTimer = null;
  let retryTimer = null;
  let missed = false; // the stream dropped: what happened meanwhile must be fetched again

  function open() {
    if (typeof EventSource === "undefined") return startPolling();
    failures = 0;
    if (pollTimer === null) onMode("connecting");
    source = new EventSource(`${BASE}/events`);
    source.addEventListener("open", () => {
      failures = 0;
      stopPolling();
      onMode("live");
      if (missed) onResync();
      missed = false;
    });
    for (const kind of KINDS) {
      source.addEventListener(kind, (event) => {
        let data = {};
        try {
          data = event.data ? JSON.parse(event.data) : {};
        } catch {
          return;
        }
        handlers[kind]?.(data);
      });
    }
    source.addEventListener("overflow", () => {
      // the server closed our stream: we were too slow; fetch everything and reconnect
      missed = true;
      onResync();
    });
    source.addEventListener("error", () => {
      missed = true;
      failures += 1;
      if (failures >= 3 || source.readyState === EventSource.CLOSED) {
        source.close();
        source = null;
        startPolling();
        clearTimeout(retryTimer);
        retryTimer = setTimeout(open, 30000); // try the stream again now and then
      } else if (pollTimer === null) onMode("connecting");
    });
  }

  function startPolling() {
    onMode("polling");
    if (pollTimer === null) {
      onResync();
      pollTimer = setInterval(onResync, 2000);
    }
  }

  function stopPolling() {
    if (pollTimer !== null) clearInterval(pollTimer);
    pollTimer = null;
  }

  open();
  return {
    close() {
      source?.close();
      stopPolling();
      clearTimeout(retryTimer);
    },
  };
}
