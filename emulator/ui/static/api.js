// The control API, as the tests use it, and the live event stream (with a polling fallback).

/**
 * The control base: this page's path without its last /ui (or /ui/, /ui/<file>). The greedy
 * prefix takes the rightmost /ui: a namespace named "ui" (/_emulator/namespaces/ui/ui) keeps
 * its name (a plain /\/ui(\/[^/]*)?$/ would match at the leftmost /ui and drop it).
 */
export const BASE = /^(.*)\/ui(?:\/[^/]*)?$/.exec(location.pathname)?.[1] || "/_emulator";

/** A refused control call: the status, the message and the API's details (problems...). */
export class ApiError extends Error {
  constructor(status, message, details = {}) {
    super(message);
    this.status = status;
    this.details = details;
  }
}

let onReachable = () => {};

/** fn(reachable: boolean) after each control call: false when the emulator could not be reached. */
export function watchReachability(fn) {
  onReachable = fn;
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
    onReachable(false);
    throw new ApiError(0, `the emulator cannot be reached (${error.message})`, { connection: true });
  }
  onReachable(true);
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

function query(params) {
  const pairs = Object.entries(params).filter(([, v]) => v !== undefined && v !== null);
  return pairs.length ? `?${pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&")}` : "";
}

export const api = {
  conversations: () => call("GET", "/conversations"),
  /**
   * One conversation's timeline, oldest first. {limit}: the newest `limit` items (has_earlier);
   * {before, limit}: the page before an order; {after, limit}: only what is newer (has_more).
   * The answer's last_order is the world's newest order when it answered.
   */
  conversation: (pageId, psid, params = {}) =>
    call("GET", `/conversations/${enc(pageId)}/${enc(psid)}${query(params)}`),
  requests: () => call("GET", "/requests"),
  webhooks: () => call("GET", "/webhooks"),
  clock: () => call("GET", "/clock"),
  health: () => call("GET", "/health"),
  attachment: (id) => call("GET", `/attachments/${enc(id)}`),
  attachmentDataUrl: (id) => `${BASE}/attachments/${enc(id)}/data`,
  /**
   * The person acts: {text} | {quick_reply: {payload, title}} | {postback: {payload, title}} |
   * {attachment} | {reaction} | {unreact} | {read}
   */
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
 * failing. `handlers[kind](data)` for sent, inbound, request, webhook, clock, reset;
 * `onResync()` whenever events may have been missed: each time the stream opens (the first time
 * too: what happened between the first loads and the stream's start), and on each poll;
 * `onMode(mode)` with "live", "polling", "connecting" or "paused".
 *
 * While the tab is hidden the stream is closed (and polling stopped): a browser allows only six
 * HTTP/1.1 connections per host, so a few open tabs would otherwise starve every tab of the
 * emulator. The stream opens again (and resyncs) when the tab is shown.
 */
export function connectLive({ handlers, onResync, onMode }) {
  const KINDS = ["sent", "inbound", "request", "webhook", "clock", "reset", "handover"];
  let source = null;
  let failures = 0;
  let pollTimer = null;
  let retryTimer = null;

  function closeSource() {
    if (source !== null) source.close();
    source = null;
  }

  function open() {
    clearTimeout(retryTimer);
    retryTimer = null;
    closeSource();
    if (document.hidden) return;
    if (typeof EventSource === "undefined") {
      startPolling();
      return;
    }
    if (pollTimer === null) onMode("connecting");
    const stream = new EventSource(`${BASE}/events`);
    source = stream;
    stream.addEventListener("open", () => {
      if (source !== stream) return;
      failures = 0;
      stopPolling();
      onMode("live");
      onResync();
    });
    for (const kind of KINDS) {
      stream.addEventListener(kind, (event) => {
        if (source !== stream) return;
        let data = {};
        try {
          data = event.data ? JSON.parse(event.data) : {};
        } catch {
          return;
        }
        handlers[kind]?.(data);
      });
    }
    // "overflow": the server ends our stream (we were too slow); the browser reconnects and the
    // next "open" resyncs
    stream.addEventListener("error", () => {
      if (source !== stream) return;
      failures += 1;
      if (failures >= 3 || stream.readyState === EventSource.CLOSED) {
        closeSource();
        startPolling();
        retryTimer = setTimeout(open, 30000); // try the stream again now and then
      } else if (pollTimer === null) onMode("connecting");
    });
  }

  function startPolling() {
    if (document.hidden) return;
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

  function pause() {
    closeSource();
    stopPolling();
    clearTimeout(retryTimer);
    retryTimer = null;
    failures = 0;
    onMode("paused");
  }

  function onVisibility() {
    if (document.hidden) pause();
    else if (source === null && pollTimer === null) open();
  }

  document.addEventListener("visibilitychange", onVisibility);
  if (document.hidden) pause();
  else open();
  return {
    /** The emulator answers again (a restart, say): try the stream now, not in 30 s. */
    reconnect() {
      if (document.hidden || source !== null) return;
      open();
    },
    close() {
      document.removeEventListener("visibilitychange", onVisibility);
      closeSource();
      stopPolling();
      clearTimeout(retryTimer);
    },
  };
}
