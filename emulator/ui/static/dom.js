// Small DOM and formatting helpers. Everything that comes from a message is put in the page with
// textContent (through h()), never as HTML: the bot's content is untrusted.

/**
 * Build an element. attrs: class, text, dataset ({k: v}), on ({event: handler}), hidden,
 * and any other attribute (false/null/undefined are skipped, true sets an empty attribute).
 * Children: nodes, strings (as text), arrays (flattened), null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") {
      for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) el.dataset[k] = String(v);
    } else if (key === "on") {
      for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    } else if (key === "hidden") el.hidden = true;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An inline SVG icon from a path (static, ours: no data from messages). */
export function icon(d, label) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "icon");
  if (label) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
  } else svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", d);
  svg.append(path);
  return svg;
}

export const ICONS = {
  file: "M6 2h8l6 6v14H6zM13 3.5V9h5.5",
  image: "M4 5h16v14H4zM4 16l5-5 4 4 3-3 4 4M15.5 9.5a1.5 1.5 0 1 0 0-.01",
  video: "M3 6h13v12H3zM16 10l5-3v10l-5-3",
  audio: "M9 18V6l11-2v12M9 18a3 3 0 1 1-3-3 3 3 0 0 1 3 3zM20 16a3 3 0 1 1-3-3 3 3 0 0 1 3 3",
  phone: "M5 3h4l2 5-3 2a11 11 0 0 0 6 6l2-3 5 2v4a2 2 0 0 1-2 2A17 17 0 0 1 3 5a2 2 0 0 1 2-2",
  link: "M10 14a4 4 0 0 0 6 0l3-3a4 4 0 0 0-6-6l-1 1M14 10a4 4 0 0 0-6 0l-3 3a4 4 0 0 0 6 6l1-1",
  mail: "M3 6h18v12H3zM3 6l9 7 9-7",
  warn: "M12 3l10 18H2zM12 10v5M12 17.5v.5",
  star: "M12 3l2.8 5.8 6.2.9-4.5 4.4 1 6.2L12 17.4l-5.5 2.9 1-6.2L3 9.7l6.2-.9z",
  tag: "M3 3h8l10 10-8 8L3 11zM7.5 7.5h.01",
  box: "M3 7l9-4 9 4v10l-9 4-9-4zM3 7l9 4 9-4M12 11v10",
};

/** An http(s) URL as a string, or null: nothing else goes into href/src. */
export function safeUrl(value) {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** A link that opens in a new tab when the URL is http(s), else the text itself. */
export function extLink(url, label, attrs = {}) {
  const href = safeUrl(url);
  const text = label ?? (typeof url === "string" ? url : "");
  if (!href) return h("span", { class: "unsafe-url", title: "not an http(s) URL", ...attrs }, text);
  return h("a", { href, target: "_blank", rel: "noopener noreferrer", ...attrs }, text);
}

/** A string (or number) from a message field; anything else is "" (messages may be invalid). */
export function str(value) {
  return typeof value === "string" || typeof value === "number" ? String(value) : "";
}

export function arr(value) {
  return Array.isArray(value) ? value : [];
}

export function obj(value) {
  return value && typeof value === "object" && !Array.isArray(value) ? value : {};
}

/** Text with its http(s) URLs as links (built as nodes, never parsed as HTML). */
export function linkify(text) {
  const parts = [];
  const re = /https?:\/\/[^\s<>"']+/g;
  let last = 0;
  for (const match of text.matchAll(re)) {
    const url = match[0].replace(/[.,;:!?)\]]+$/, "");
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push(extLink(url, url));
    last = match.index + url.length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

export function prettyJson(value) {
  if (typeof value === "string") {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2) ?? "";
}

// --- time -----------------------------------------------------------------------------------
// Times are the emulated clock's, in UTC: shown in UTC so they match the API's ISO strings.

const DAY_FORMAT = new Intl.DateTimeFormat("en-GB", {
  weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC",
});

function pad(n) {
  return String(n).padStart(2, "0");
}

export function parseTime(iso) {
  const t = typeof iso === "string" ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? null : t;
}

/** "09:05" (UTC) */
export function clockTime(iso, seconds = false) {
  const t = parseTime(iso);
  if (t === null) return "";
  const d = new Date(t);
  const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return seconds ? `${hm}:${pad(d.getUTCSeconds())}` : hm;
}

/** "2026-01-05" (UTC), a day's key */
export function dayKey(iso) {
  const t = parseTime(iso);
  return t === null ? "" : new Date(t).toISOString().slice(0, 10);
}

/** "Mon 5 Jan 2026" */
export function dayLabel(iso) {
  const t = parseTime(iso);
  return t === null ? "" : DAY_FORMAT.format(new Date(t));
}

/** "Mon 5 Jan 2026, 09:00:00 UTC" */
export function fullTime(ms) {
  const d = new Date(ms);
  return `${DAY_FORMAT.format(d)}, ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** "2026-01-05T09:00" for a datetime-local input, in UTC */
export function localInputValue(ms) {
  return new Date(ms).toISOString().slice(0, 16);
}

/** Seconds as "6d 23h", "47h 5m", "3h 12m", "12m", "45s" (rounded down: what is left). */
export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const hr = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (s >= 2 * 86400) return hr ? `${d}d ${hr}h` : `${d}d`;
  const hours = Math.floor(s / 3600); // up to 47h: "23h 59m", "24h" read better than days
  if (hours > 0) return m ? `${hours}h ${m}m` : `${hours}h`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}
