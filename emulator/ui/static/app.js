// The emulator's web UI: pages and people, a conversation rendered as Messenger shows it to the
// person the developer plays, the person's composer, the clock and scenario controls, and the
// request inspector. Everything goes through the same control API the tests use; live updates
// come from ${BASE}/events.

import { api, connectLive, watchReachability, BASE } from "./api.js";
import { h, icon, ICONS, str, obj, arr, fullTime, localInputValue, duration, parseTime, safeUrl } from "./dom.js";
import { createConversationLog, itemKey } from "./conversation.js";
import { createInspector } from "./inspector.js";

const $ = (id) => document.getElementById(id);
const els = {
  skipLink: $("skip-link"),
  topbar: document.querySelector(".topbar"),
  layout: document.querySelector(".layout"),
  people: $("people"),
  peopleSections: $("people-sections"),
  peopleClose: $("people-close"),
  navToggle: $("nav-toggle"),
  toolbar: $("toolbar"),
  toolbarToggle: $("toolbar-toggle"),
  inspector: $("inspector"),
  inspectorToggle: $("inspector-toggle"),
  inspectorClose: $("inspector-close"),
  scrim: $("scrim"),
  namespace: $("namespace"),
  clockNow: $("clock-now"),
  clockState: $("clock-state"),
  liveStatus: $("live-status"),
  notices: $("notices"),
  title: $("conversation-title"),
  info: $("conversation-info"),
  logScroll: $("log-scroll"),
  showEarlier: $("show-earlier"),
  log: $("log"),
  empty: $("empty-state"),
  typing: $("typing"),
  typingText: $("typing-text"),
  composer: $("composer"),
  input: $("composer-input"),
  composerLabel: $("composer-label"),
  send: $("composer-send"),
  attachToggle: $("attach-toggle"),
  attachForm: $("attach-form"),
  attachType: $("attach-type"),
  attachUrl: $("attach-url"),
  attachSend: document.querySelector("[data-testid='attachment-send']"),
  referralToggle: $("referral-toggle"),
  referralForm: $("referral-form"),
  referralSource: $("referral-source"),
  referralRef: $("referral-ref"),
  referralExtra: $("referral-extra"),
  referralExtraLabel: $("referral-extra-label"),
  referralSend: document.querySelector("[data-testid='referral-send']"),
  markRead: $("mark-read"),
  optIn: $("opt-in"),
  advanceForm: $("advance-form"),
  advanceInput: $("advance-input"),
  setForm: $("set-form"),
  setInput: $("set-input"),
  scenarioInput: $("scenario-input"),
  reset: $("reset-button"),
};

const state = {
  clock: { now: null, frozen: true, at: 0 }, // `now` (ms) as fetched at performance.now() `at`
  pages: [],
  selected: null, // {pageId, psid}
  liveMode: "connecting",
};

// --- notices (a polite live region) --------------------------------------------------------------

/**
 * A notice; the same one again (same level and text) is not added twice: it counts instead.
 * connection: a "cannot be reached" notice, cleared as soon as the emulator answers again.
 */
function notify(message, { level = "info", problems = [], timeout, connection = false } = {}) {
  const key = `${level}\u0000${message}\u0000${problems.map((p) => str(p) || JSON.stringify(p)).join("\u0000")}`;
  const delay = timeout ?? (level === "error" ? 0 : 5000);
  const existing = [...els.notices.children].find((n) => n.dataset.key === key);
  if (existing) {
    const count = Number(existing.dataset.count || "1") + 1;
    existing.dataset.count = String(count);
    existing.querySelector(".notice-count").textContent = ` (\u00d7${count})`;
    clearTimeout(Number(existing.dataset.timer || 0));
    if (delay) existing.dataset.timer = String(setTimeout(() => existing.remove(), delay));
    return existing;
  }
  const notice = h("div", {
    class: `notice ${level}`,
    "data-testid": "notice",
    dataset: { level, key, connection: connection ? "true" : null },
  },
  level === "error" ? icon(ICONS.warn) : null,
  h("div", { class: "notice-text" },
    h("p", {}, message, h("span", { class: "notice-count" })),
    problems.length ? h("ul", { class: "problems", "data-testid": "notice-problems" }, problems.map((p) => h("li", {}, str(p) || JSON.stringify(p)))) : null),
  h("button", {
    type: "button",
    class: "icon-button",
    "aria-label": "Dismiss",
    on: { click: () => notice.remove() },
  }, "\u00d7"));
  els.notices.append(notice);
  while (els.notices.children.length > 4) els.notices.firstElementChild.remove();
  if (delay) notice.dataset.timer = String(setTimeout(() => notice.remove(), delay));
  return notice;
}

/** Report a failed call. action: the user asked for it (named in the notice), else a refresh. */
function fail(error, what, { action = false } = {}) {
  if (error.details?.connection) {
    // one notice for every refresh that cannot reach the emulator, gone once it answers again
    notify(action ? `${what}: ${error.message}` : "The emulator cannot be reached: retrying\u2026", {
      level: "error",
      connection: true,
    });
    return;
  }
  notify(what ? `${what}: ${error.message}` : error.message, {
    level: "error",
    problems: arr(error.details?.problems),
  });
}

// notices sit just under the header, however tall it wraps: they never cover its controls
new ResizeObserver(() => {
  const bottom = Math.ceil(els.topbar.getBoundingClientRect().bottom);
  document.documentElement.style.setProperty("--header-bottom", `${bottom}px`);
}).observe(els.topbar);

// Escape dismisses the notice holding the focus (its Dismiss button, say)
els.notices.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const notice = event.target.closest?.(".notice");
  if (notice) notice.remove();
});

function clearConnectionNotices() {
  for (const notice of els.notices.querySelectorAll("[data-connection='true']")) notice.remove();
}

// while the emulator is away (restarting, stopped) a banner says so; once it answers again
// the live stream is opened at once
let reachable = true;
let live = null; // connectLive's handle
let wasLive = false;

function updateAwayBanner() {
  const away = !reachable || (wasLive && state.liveMode === "connecting");
  const banner = document.getElementById("away-banner");
  if (banner && banner.hidden === away) banner.hidden = !away;
}

watchReachability((answered) => {
  const back = answered && !reachable;
  reachable = answered;
  if (answered) clearConnectionNotices();
  if (back && state.liveMode !== "live") live?.reconnect();
  updateAwayBanner();
});

let actionsInFlight = 0;

/** Run a control call with the busy state shown; report its error. */
async function act(what, work) {
  actionsInFlight += 1;
  document.body.classList.add("busy");
  try {
    return await work();
  } catch (error) {
    fail(error, what, { action: true });
    return undefined;
  } finally {
    actionsInFlight -= 1;
    if (!actionsInFlight) document.body.classList.remove("busy");
  }
}

// --- refreshing, coalesced ------------------------------------------------------------------

/**
 * fn() at most once at a time and at most every `spacing` ms; requests during a run make one
 * more run after it. A burst of events (a load test) costs a few fetches, not one each.
 * request.now() runs as soon as the running one (if any) is done.
 */
function coalesced(fn, delay = 50, spacing = 300) {
  let timer = null;
  let running = false;
  let again = false;
  let last = 0;
  async function run() {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = true;
    last = performance.now();
    try {
      await fn();
    } finally {
      running = false;
      if (again) {
        again = false;
        request();
      }
    }
  }
  function request() {
    if (timer !== null) return;
    const wait = Math.max(delay, last + spacing - performance.now());
    timer = setTimeout(run, wait);
  }
  request.now = () => {
    clearTimeout(timer);
    timer = null;
    run();
  };
  return request;
}

const refreshPeople = coalesced(loadPeople);
const refreshConversation = coalesced(syncConversation);

// --- the clock ----------------------------------------------------------------------------------

function setClock(nowIso, frozen) {
  const now = parseTime(nowIso);
  if (now === null) return;
  state.clock = { now, frozen: Boolean(frozen), at: performance.now() };
  renderClock();
  conversationLog?.updateTyping();
}

function emulatedNow() {
  const { now, frozen, at } = state.clock;
  if (now === null) return null;
  return frozen ? now : now + (performance.now() - at);
}

/** "09:00" for a frozen clock's badge (the full date is beside it). */
function shortTime(ms) {
  const d = new Date(ms);
  return `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
}

/** How far a running clock is from real time: "real time", "a day ahead of real time",
 * "2 days 3 hours ahead of real time", "5 minutes behind real time". */
function aheadText(ms) {
  let s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return "real time";
  const parts = [];
  const units = [["day", 86400], ["hour", 3600], ["minute", 60]];
  for (const [name, size] of units) {
    const n = Math.floor(s / size);
    s -= n * size;
    if (n && parts.length < 2) parts.push([n, name]);
    else if (parts.length) break;
  }
  const words = parts.length === 1 && parts[0][0] === 1
    ? `${parts[0][1] === "hour" ? "an" : "a"} ${parts[0][1]}`
    : parts.map(([n, name]) => `${n} ${name}${n === 1 ? "" : "s"}`).join(" ");
  return `${words} ${ms > 0 ? "ahead of" : "behind"} real time`;
}

function renderClock() {
  const now = emulatedNow();
  if (now === null) return;
  els.clockNow.textContent = fullTime(now);
  els.clockNow.dateTime = new Date(now).toISOString();
  const ahead = state.clock.frozen ? 0 : now - Date.now();
  els.clockState.textContent = state.clock.frozen ? `frozen at ${shortTime(now)}` : aheadText(ahead);
  els.clockState.dataset.frozen = String(state.clock.frozen);
  els.clockState.title = state.clock.frozen
    ? "the emulated clock only moves when told"
    : "the emulated clock runs at the speed of real time";
  if (document.activeElement !== els.setInput) els.setInput.value = localInputValue(now).replace("T", " ");
}

// --- windows (the 24-hour and 7-day messaging windows) ----------------------------------------

const WINDOWS = {
  standard: { key: "standard_window", label: "24 h window", testid: "window-standard" },
  human_agent: { key: "human_agent_window", label: "7-day (human agent)", testid: "window-human-agent" },
};

function windowNode(person, which) {
  const node = h("span", { class: "window", "data-testid": WINDOWS[which].testid });
  setWindow(node, person, which);
  return node;
}

/** Point a window node at the person's window as just fetched. */
function setWindow(node, person, which) {
  const spec = WINDOWS[which];
  const w = obj(person[spec.key]);
  Object.assign(node.dataset, {
    window: which,
    open: String(Boolean(w.open)),
    fetchedAt: String(performance.now()),
    label: spec.label,
  });
  if (w.open && typeof w.seconds_left === "number") node.dataset.secondsLeft = String(w.seconds_left);
  else delete node.dataset.secondsLeft;
  updateWindow(node);
}

/** The text of a window, from its seconds left when fetched, ticking with a real-time clock. */
function updateWindow(node) {
  const { label, open, secondsLeft, fetchedAt } = node.dataset;
  let left = open === "true" && secondsLeft !== undefined ? Number(secondsLeft) : null;
  if (left !== null && !state.clock.frozen) left -= (performance.now() - Number(fetchedAt)) / 1000;
  const isOpen = open === "true" && (left === null || left >= 0); // the end is included
  const text = !isOpen ? `${label}: closed` : left === null ? `${label}: open` : `${label}: ${duration(left)} left`;
  if (node.textContent !== text) node.textContent = text;
  const windowState = !isOpen ? "closed" : left !== null && left < 3600 ? "closing" : "open";
  if (node.dataset.state !== windowState) node.dataset.state = windowState;
  return open === "true" && !isOpen; // closed since fetched
}

function tick() {
  conversationLog.updateTyping();
  if (state.clock.frozen) return;
  renderClock();
  let closed = false;
  for (const node of document.querySelectorAll("[data-window]")) closed = updateWindow(node) || closed;
  if (closed) {
    refreshPeople();
    refreshConversation();
  }
}

// --- pages and people (the side list, updated in place) -----------------------------------------

async function loadPeople() {
  let view;
  try {
    view = await api.conversations();
  } catch (error) {
    if (!state.pages.length) {
      els.peopleSections.replaceChildren(h("p", { class: "muted" }, `Cannot list the conversations: ${error.message}`));
      pageSections.clear();
      personRows.clear();
    }
    fail(error, "Conversations");
    return;
  }
  state.pages = arr(view?.pages);
  if (view?.namespace) setNamespace(view.namespace);
  if (view?.now) setClock(view.now, view.frozen);
  renderPeople();
  if (!state.selected) selectFromHash() || selectFirst();
}

function setNamespace(name) {
  els.namespace.textContent = name;
  els.namespace.hidden = false;
  document.title = name === "default" ? "Send API emulator" : `Send API emulator \u2014 ${name}`;
}

function personName(person) {
  return str(person?.name) || str(person?.psid);
}

const pageSections = new Map(); // page id -> {node, update(page, rows)}
const personRows = new Map(); // "page/psid" -> {node (li), update(page, person)}

/**
 * The side list, updated in place: each page's section and each person's row is kept (keyed by
 * page and PSID) and only its texts change, so focus and a screen reader's position survive.
 */
function renderPeople() {
  const seenPages = new Set();
  const seenPeople = new Set();
  const sections = state.pages.map((page) => {
    seenPages.add(page.id);
    let section = pageSections.get(page.id);
    if (!section) {
      section = pageSection(page);
      pageSections.set(page.id, section);
    }
    const rows = arr(page.people).map((person) => {
      const key = `${page.id}/${person.psid}`;
      seenPeople.add(key);
      let row = personRows.get(key);
      if (!row) {
        row = personRow(page, person);
        personRows.set(key, row);
      }
      row.update(page, person);
      return row.node;
    });
    section.update(page, rows);
    return section.node;
  });
  for (const [id] of pageSections) if (!seenPages.has(id)) pageSections.delete(id);
  for (const [key] of personRows) if (!seenPeople.has(key)) personRows.delete(key);
  placeChildren(els.peopleSections, sections.length ? sections : [noPages()]);
}

let noPagesNode = null;
function noPages() {
  noPagesNode ??= h("p", { class: "muted" }, "No pages in the scenario.");
  return noPagesNode;
}

/**
 * Make `parent`'s children exactly `nodes`, in order. The child holding the focus is never
 * moved (moving a node blurs it): the others are moved around it.
 */
function placeChildren(parent, nodes) {
  const wanted = new Set(nodes);
  for (const child of [...parent.children]) if (!wanted.has(child)) child.remove();
  const anchor = nodes.findIndex((node) => node.contains(document.activeElement) && node.parentNode === parent);
  if (anchor < 0) {
    let previous = null;
    for (const node of nodes) {
      const expected = previous ? previous.nextSibling : parent.firstChild;
      if (expected !== node) parent.insertBefore(node, expected);
      previous = node;
    }
    return;
  }
  let next = nodes[anchor];
  for (let i = anchor - 1; i >= 0; i -= 1) {
    if (nodes[i].nextSibling !== next) parent.insertBefore(nodes[i], next);
    next = nodes[i];
  }
  let previous = nodes[anchor];
  for (let i = anchor + 1; i < nodes.length; i += 1) {
    if (previous.nextSibling !== nodes[i]) previous.after(nodes[i]);
    previous = nodes[i];
  }
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function pageSection(page) {
  const headingId = `page-${page.id}`;
  const name = h("span", {});
  const platform = h("span", { class: "badge", hidden: true });
  const list = h("ul", { class: "people-list", "aria-labelledby": headingId });
  const empty = h("p", { class: "muted" }, "No people yet.");
  const node = h("section", { class: "page", "data-testid": "page", dataset: { pageId: page.id } },
    h("h2", { id: headingId, class: "page-name" }, name, platform),
    h("p", { class: "page-id muted" }, str(page.id)),
    list,
    empty);
  return {
    node,
    update(p, rows) {
      setText(name, str(p.name) || str(p.id));
      const other = p.platform && p.platform !== "messenger" ? str(p.platform) : "";
      setText(platform, other);
      platform.hidden = !other;
      placeChildren(list, rows);
      list.hidden = !rows.length;
      empty.hidden = rows.length > 0;
    },
  };
}

const BLOCKED_TITLE = "This person blocked the page: the page's messages to them are refused";

function personRow(page, person) {
  const avatar = h("span", { class: "avatar", "aria-hidden": "true" });
  const nameText = h("span", {});
  const blocked = h("span", { class: "badge blocked", "data-testid": "blocked-badge", hidden: true, title: BLOCKED_TITLE }, "blocked \u00b7 unreachable");
  const owner = h("span", { class: "badge owner", "data-testid": "owner-badge", hidden: true });
  const psidNode = h("span", { class: "psid muted" }, str(person.psid));
  const preview = h("span", { class: "preview muted", "data-testid": "person-preview" });
  const refused = h("span", { class: "badge refused", "data-testid": "refused-mark", hidden: true });
  const standard = windowNode(person, "standard");
  const humanAgent = windowNode(person, "human_agent");
  const button = h("button", {
    type: "button",
    class: "person",
    "data-testid": "person-item",
    dataset: { psid: person.psid, pageId: page.id, key: `${page.id}/${person.psid}` },
    on: { click: () => select(page.id, person.psid, { focus: true }) },
  },
  avatar,
  h("span", { class: "person-text" },
    h("span", { class: "person-name" }, nameText, blocked, owner, refused),
    psidNode,
    preview,
    standard,
    humanAgent));
  return {
    node: h("li", {}, button),
    update(p, who) {
      const name = personName(who);
      setText(avatar, initials(name));
      setText(nameText, name);
      blocked.hidden = !who.blocked;
      button.dataset.blocked = String(Boolean(who.blocked));
      // a person who blocked the page cannot be reached: no window to count down
      standard.hidden = Boolean(who.blocked);
      humanAgent.hidden = Boolean(who.blocked);
      // the handover protocol: a thread another app owns (or an idle one) says whose it is
      const taken = who.thread_owner !== undefined && !who.thread_owner?.own_app;
      setText(owner, taken ? `with ${ownerName(who.thread_owner)}` : "");
      owner.hidden = !taken;
      psidNode.hidden = !who.name; // the PSID is the name when there is none
      // one line of the last message, as Messenger's chat list shows it
      const last = obj(who.preview);
      const line = last.text === undefined ? "" : `${last.from === "page" ? "Page: " : ""}${str(last.text)}`;
      setText(preview, line);
      preview.hidden = !line;
      preview.title = line;
      const count = Number(who.refused) || 0;
      setText(refused, count ? `\u26a0 ${count} refused` : "");
      refused.title = count ? `${count} send${count === 1 ? "" : "s"} to this person refused` : "";
      refused.hidden = !count;
      setWindow(standard, who, "standard");
      setWindow(humanAgent, who, "human_agent");
      const selected = state.selected && state.selected.pageId === p.id && state.selected.psid === who.psid;
      if (selected) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    },
  };
}

function initials(name) {
  const words = name.split(/\s+/).filter(Boolean);
  if (!words.length) return "?";
  if (/^\d+$/.test(words[0])) return "#";
  return words.slice(0, 2).map((w) => w[0].toUpperCase()).join("");
}

function findPerson(pageId, psid) {
  const page = state.pages.find((p) => p.id === pageId);
  return { page, person: arr(page?.people).find((p) => p.psid === psid) };
}

function selectFromHash() {
  const match = /^#\/?([^/]+)\/([^/]+)$/.exec(location.hash);
  if (!match) return false;
  let pageId;
  let psid;
  try {
    [pageId, psid] = [decodeURIComponent(match[1]), decodeURIComponent(match[2])];
  } catch {
    return false;
  }
  if (!findPerson(pageId, psid).person) return false; // not (or no longer) in the scenario
  select(pageId, psid);
  return true;
}

function selectFirst() {
  const page = state.pages.find((p) => arr(p.people).length);
  if (page) select(page.id, page.people[0].psid, { replace: true });
}

function select(pageId, psid, { focus = false, replace = false } = {}) {
  const same = state.selected && state.selected.pageId === pageId && state.selected.psid === psid;
  state.selected = { pageId, psid };
  const hash = `#/${encodeURIComponent(pageId)}/${encodeURIComponent(psid)}`;
  // an automatic choice keeps a link to an inspector row (#call-12) in the address bar
  const linkedRow = /^#(call|delivery)-\d+$/.test(location.hash);
  if (location.hash !== hash && !(replace && linkedRow)) {
    if (replace) history.replaceState(null, "", hash);
    else history.pushState(null, "", hash);
  }
  for (const item of els.people.querySelectorAll("[data-testid='person-item']")) {
    if (item.dataset.pageId === pageId && item.dataset.psid === psid) item.setAttribute("aria-current", "true");
    else item.removeAttribute("aria-current");
  }
  if (!same) {
    forgetConversation();
    clearLog();
    const { page, person } = findPerson(pageId, psid);
    renderHeader(page, person ?? { psid });
    setComposerEnabled(true);
  }
  setDrawer("nav", false);
  inspector.render();
  refreshConversation.now();
  if (focus) els.input.focus();
}

// --- the conversation (paged: the newest items, then only what is new) ----------------------

const PAGE_SIZE = 500; // items loaded when a conversation opens, and per "Show earlier"
const NEWER_LIMIT = 1000; // items per incremental fetch (more: fetched again at once)

/**
 * The open conversation: its loaded items (oldest first), their keys, `after` (the order up to
 * which everything is loaded; null: fetch it whole) and whether older items exist.
 */
let conv = null;
let convGeneration = 0; // bumped when the conversation is forgotten: late answers are dropped

function selectedKey() {
  return state.selected ? `${state.selected.pageId}/${state.selected.psid}` : null;
}

function forgetConversation() {
  convGeneration += 1;
  conv = null;
  updateShowEarlier();
}

function maxOrder(items) {
  let max = 0;
  for (const item of items) if (typeof item.seq === "number" && item.seq > max) max = item.seq;
  return max;
}

/** Bring the open conversation up to date: whole when just opened, else only what is new. */
async function syncConversation() {
  const selected = state.selected;
  if (!selected) return;
  const generation = convGeneration;
  if (!conv || conv.key !== selectedKey() || conv.after === null) {
    await loadConversation(selected, generation);
    return;
  }
  const current = conv;
  for (let round = 0; round < 50; round += 1) {
    let view;
    try {
      view = await api.conversation(selected.pageId, selected.psid, { after: current.after, limit: NEWER_LIMIT });
    } catch (error) {
      if (generation === convGeneration) fail(error, "Conversation");
      return;
    }
    if (generation !== convGeneration || conv !== current) return;
    const data = arr(view?.data);
    if (typeof view?.last_order !== "number" || view.last_order < current.after) {
      // a server without paging, or the world was reset meanwhile: load it whole again
      forgetConversation();
      await loadConversation(selected, convGeneration);
      return;
    }
    let added = 0;
    for (const item of data) {
      const key = itemKey(item);
      if (current.keys.has(key)) continue;
      current.keys.add(key);
      current.items.push(item);
      added += 1;
    }
    current.after = view.has_more ? Math.max(current.after, maxOrder(data)) : Math.max(current.after, view.last_order, maxOrder(data));
    renderHeader(view.page, view.person);
    if (added) renderConversation();
    if (!view.has_more || !data.length) return;
  }
}

async function loadConversation({ pageId, psid }, generation) {
  let view;
  try {
    view = await api.conversation(pageId, psid, { limit: PAGE_SIZE });
  } catch (error) {
    if (generation !== convGeneration) return;
    if (error.status === 404 && !conv) {
      // a person the page does not know yet: they appear once they act
      renderHeader(findPerson(pageId, psid).page, { psid });
      conversationLog.render([]);
      return;
    }
    fail(error, "Conversation");
    return;
  }
  if (generation !== convGeneration || selectedKey() !== `${pageId}/${psid}`) return;
  const items = arr(view?.data);
  conv = {
    key: `${pageId}/${psid}`,
    items,
    keys: new Set(items.map(itemKey)),
    after: typeof view?.last_order === "number" ? Math.max(view.last_order, maxOrder(items)) : null,
    hasEarlier: Boolean(view?.has_earlier),
    loadingEarlier: false,
  };
  renderHeader(view.page, view.person);
  renderConversation();
}

function renderConversation(options) {
  conversationLog.render(conv.items, options);
  updateShowEarlier();
  applyPersonBusy();
}

function updateShowEarlier() {
  const show = Boolean(conv?.hasEarlier);
  els.showEarlier.hidden = !show;
  els.showEarlier.disabled = false;
  els.showEarlier.textContent = "Show earlier messages";
}

els.showEarlier.addEventListener("click", async () => {
  const current = conv;
  if (!current || !current.hasEarlier || current.loadingEarlier || !state.selected) return;
  const { pageId, psid } = state.selected;
  const first = current.items.find((item) => typeof item.seq === "number" && item.seq > 0);
  if (!first) return;
  const hadFocus = document.activeElement === els.showEarlier;
  current.loadingEarlier = true;
  els.showEarlier.textContent = "Loading\u2026";
  els.showEarlier.setAttribute("aria-disabled", "true");
  let view;
  try {
    view = await api.conversation(pageId, psid, { before: first.seq, limit: PAGE_SIZE });
  } catch (error) {
    fail(error, "Earlier messages");
    view = null;
  } finally {
    current.loadingEarlier = false;
    els.showEarlier.removeAttribute("aria-disabled");
  }
  if (conv !== current) return;
  if (view) {
    const older = arr(view.data).filter((item) => !current.keys.has(itemKey(item)));
    for (const item of older) current.keys.add(itemKey(item));
    current.items = [...older, ...current.items];
    current.hasEarlier = Boolean(view.has_earlier) && older.length > 0;
    renderConversation({ keepPosition: true });
  } else updateShowEarlier();
  // the button goes once everything is shown: focus moves to the log, not to the page's top
  if (hadFocus && els.showEarlier.hidden) els.log.focus({ preventScroll: true });
});

const header = {
  you: h("span", { class: "you-are", "data-testid": "you-are" }),
  ids: h("span", { class: "muted" }),
  blocked: h("span", { class: "badge blocked", "data-testid": "blocked-badge", hidden: true, title: "This person blocked the page: the page's messages to them are refused" }, "blocked \u00b7 unreachable"),
  owner: h("span", { class: "muted", "data-testid": "thread-owner" }),
  standard: h("span", { class: "window", "data-testid": "window-standard" }),
  humanAgent: h("span", { class: "window", "data-testid": "window-human-agent" }),
};

/** The app owning a thread (handover protocol), as the UI names it. */
function ownerName(owner) {
  if (!owner) return "nobody (idle)";
  if (owner.own_app) return "this app";
  return str(owner.name) || str(owner.app_id);
}

let blockedNoteNode = null;
function blockedNote() {
  if (!blockedNoteNode) {
    blockedNoteNode = h("p", { class: "composer-note", "data-testid": "blocked-note", role: "note", hidden: true });
    els.composer.before(blockedNoteNode);
  }
  return blockedNoteNode;
}

function renderHeader(page, person) {
  if (!person) {
    if (blockedNoteNode) blockedNoteNode.hidden = true;
    els.title.textContent = "No conversation selected";
    els.info.replaceChildren();
    return;
  }
  if (!page) page = findPerson(state.selected?.pageId, person.psid).page;
  const name = personName(person);
  const pageName = str(page?.name) || str(page?.id) || "the page";
  setText(els.title, name);
  header.you.replaceChildren("You are ", h("strong", {}, name), ` \u00b7 writing to ${pageName}`);
  setText(header.ids, `PSID ${str(person.psid)}`);
  header.blocked.hidden = !person.blocked;
  const parts = [header.you, header.ids, header.blocked];
  if (person.thread_owner !== undefined) {
    setText(header.owner, `Thread owner: ${ownerName(person.thread_owner)}`);
    parts.push(header.owner);
  }
  // writing as a person who blocked the page: say what becomes of the page's answers
  const note = blockedNote();
  note.hidden = !person.blocked;
  setText(note, person.blocked ? `${name} blocked ${pageName}: they can write, but its answers will be refused (they are unreachable).` : "");
  if (person.blocked) {
    // unreachable: no window counts down
  } else if (person.standard_window) {
    setWindow(header.standard, person, "standard");
    parts.push(header.standard);
  }
  if (person.human_agent_window && !person.blocked) {
    setWindow(header.humanAgent, person, "human_agent");
    parts.push(header.humanAgent);
  }
  placeChildren(els.info, parts);
  els.composerLabel.textContent = `Message as ${name}`;
  els.input.placeholder = `Write as ${name}\u2026`;
  els.typingText.textContent = `${pageName === "the page" ? "The page" : pageName} is typing\u2026`;
}

function setComposerEnabled(enabled) {
  for (const control of [els.input, els.attachToggle, els.markRead, els.referralToggle, els.optIn]) control.disabled = !enabled;
  updateSend();
  // the skip link goes where there is something to do: the composer, else the people list
  els.skipLink.textContent = enabled ? "Skip to the composer" : "Skip to the people list";
  els.skipLink.setAttribute("href", enabled ? "#composer-input" : "#people-sections");
}

function clearLog() {
  conversationLog.clear(state.selected
    ? "Loading\u2026"
    : "Pick a person on the left to see what the bot sent them and to write as them.");
  updateShowEarlier();
}

const attachmentCache = new Map(); // attachment id -> Promise<{src, url, filename, download} | null>

/**
 * A saved attachment as shown: its uploaded bytes (same origin, downloadable under its file
 * name) or its URL (http(s) only).
 */
function resolveAttachment(id) {
  if (!attachmentCache.has(id)) {
    attachmentCache.set(id, api.attachment(id).then((meta) => {
      const data = meta.has_data ? new URL(api.attachmentDataUrl(id), location.href).href : null;
      const url = safeUrl(meta.url);
      return {
        src: data ?? url,
        url,
        filename: str(meta.filename),
        download: data,
      };
    }, () => null));
  }
  return attachmentCache.get(id);
}

// --- playing the person ---------------------------------------------------------------------

// One person action at a time: until it settles, the composer's Send, the chips, the postback
// and reaction buttons are disabled and further taps (or Enter) do nothing: no double webhooks.
let personBusy = false;

/** Send is offered only when there is something to send (as in Messenger's composer). */
function updateSend() {
  els.send.disabled = personBusy || els.input.disabled || !els.input.value.trim();
}

function setPersonBusy(busy) {
  personBusy = busy;
  updateSend();
  els.attachSend.disabled = busy;
  els.referralSend.disabled = busy;
  els.composer.setAttribute("aria-busy", String(busy));
  els.log.classList.toggle("person-busy", busy);
  applyPersonBusy();
}

/** Mark the log's tappable controls disabled while a person action is in flight. Focus stays
 * on them (aria-disabled, not disabled): a keyboard user does not lose their place. */
function applyPersonBusy() {
  const selector = "[data-testid='quick-reply']:not(:disabled), [data-testid='postback-button']:not(:disabled), [data-testid='react-button'], [data-testid='edit-button'], [data-testid='unsend-button']";
  for (const control of els.log.querySelectorAll(selector)) {
    if (personBusy) control.setAttribute("aria-disabled", "true");
    else control.removeAttribute("aria-disabled");
  }
  if (personBusy) els.markRead.setAttribute("aria-disabled", "true");
  else els.markRead.removeAttribute("aria-disabled");
}

async function personActs(action, what) {
  if (!state.selected || personBusy) return false;
  const { pageId, psid } = state.selected;
  setPersonBusy(true);
  let result;
  try {
    result = await act(what, () => api.act(pageId, psid, action));
  } finally {
    setPersonBusy(false);
  }
  if (result === undefined) return false;
  conversationLog.pin();
  refreshConversation.now();
  refreshPeople();
  return true;
}

els.composer.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (personBusy) return; // Enter (requestSubmit) while the last message is on its way
  const text = els.input.value;
  if (!text.trim()) {
    els.input.focus();
    return;
  }
  const ok = await personActs({ text }, "Send");
  if (ok && els.input.value === text) {
    els.input.value = "";
    autosize();
  }
  updateSend();
  els.input.focus();
});

els.input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    if (!personBusy) els.composer.requestSubmit();
  }
});

function autosize() {
  els.input.style.height = "auto";
  els.input.style.height = `${Math.min(els.input.scrollHeight, 160)}px`;
}
els.input.addEventListener("input", () => {
  autosize();
  updateSend();
});

// a tap on a bubble shows its reaction (and edit) buttons, as a hover does with a mouse: on a
// touch screen only the bubble tapped shows them
els.log.addEventListener("click", (event) => {
  const item = event.target.closest?.("[data-testid='bubble']");
  if (!item || event.target.closest("button, a")) return;
  for (const open of els.log.querySelectorAll("[data-tools='open']")) if (open !== item) delete open.dataset.tools;
  item.dataset.tools = "open";
});

// arrow keys move between the active quick-reply chips (one group, as a toolbar)
els.log.addEventListener("keydown", (event) => {
  if (!["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"].includes(event.key)) return;
  const chip = event.target.closest?.("[data-testid='quick-reply']");
  const group = chip?.closest(".quick-replies");
  if (!group) return;
  const chips = [...group.querySelectorAll("[data-testid='quick-reply']:not(:disabled)")];
  const at = chips.indexOf(chip);
  if (at < 0) return;
  const next = event.key === "Home" ? 0
    : event.key === "End" ? chips.length - 1
    : event.key === "ArrowLeft" || event.key === "ArrowUp" ? (at - 1 + chips.length) % chips.length
    : (at + 1) % chips.length;
  event.preventDefault();
  chips[next].focus();
});

els.attachToggle.addEventListener("click", () => {
  const open = els.attachForm.hidden;
  els.attachForm.hidden = !open;
  els.attachToggle.setAttribute("aria-expanded", String(open));
  if (open) els.attachUrl.focus();
});

els.attachForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (personBusy) return;
  const ok = await personActs({ attachment: { type: els.attachType.value, url: els.attachUrl.value.trim() } }, "Attachment");
  if (ok) {
    els.attachUrl.value = "";
    els.attachForm.hidden = true;
    els.attachToggle.setAttribute("aria-expanded", "false");
    els.input.focus();
  }
});

els.markRead.addEventListener("click", () => personActs({ read: true }, "Mark as read"));
// the person answers the page's latest opt-in request (control/optin.py): messaging_optins
els.optIn.addEventListener("click", () => personActs({ optin: true }, "Opt in"));

// Arriving by a referral (control/referral.py): an m.me link's ref, an ad's id, the chat
// plugin's page URL. The second field is shown for the sources that need it.
const REFERRAL_EXTRA = {
  ADS: { label: "Ad id", key: "ad_id", placeholder: "6045246247433", type: "text" },
  CUSTOMER_CHAT_PLUGIN: { label: "Page URL", key: "referer_uri", placeholder: "https://shop.example/", type: "url" },
};

function showReferralExtra() {
  const extra = REFERRAL_EXTRA[els.referralSource.value];
  els.referralExtra.hidden = els.referralExtraLabel.hidden = !extra;
  els.referralExtra.required = Boolean(extra);
  els.referralRef.required = !extra; // an m.me link needs its ref
  if (extra) {
    els.referralExtraLabel.textContent = extra.label;
    els.referralExtra.placeholder = extra.placeholder;
    els.referralExtra.type = extra.type;
  }
}
els.referralSource.addEventListener("change", showReferralExtra);
showReferralExtra();

els.referralToggle.addEventListener("click", () => {
  const open = els.referralForm.hidden;
  els.referralForm.hidden = !open;
  els.referralToggle.setAttribute("aria-expanded", String(open));
  if (open) els.referralSource.focus();
});

els.referralForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (personBusy) return;
  const source = els.referralSource.value;
  const referral = { source };
  const ref = els.referralRef.value.trim();
  if (ref) referral.ref = ref;
  const extra = REFERRAL_EXTRA[source];
  if (extra) referral[extra.key] = els.referralExtra.value.trim();
  const ok = await personActs({ referral }, "Referral");
  if (ok) {
    els.referralForm.hidden = true;
    els.referralToggle.setAttribute("aria-expanded", "false");
    els.input.focus();
  }
});

// The skip link moves focus without following its href, which would replace the
// conversation's #/page/psid deep link in the address bar.
els.skipLink.addEventListener("click", (event) => {
  event.preventDefault();
  if (!els.input.disabled) {
    els.input.focus();
    return;
  }
  if (NARROW.matches) setDrawer("nav", true);
  (els.people.querySelector("[data-testid='person-item']") || els.peopleSections).focus();
});

// --- controls: clock, reset, scenario ---------------------------------------------------------

async function afterClock(result) {
  if (!result) return;
  setClock(result.now, result.frozen ?? state.clock.frozen);
  refreshPeople();
  refreshConversation();
}

for (const button of document.querySelectorAll("[data-advance]")) {
  button.addEventListener("click", async () => afterClock(await act("Clock", () => api.advance(button.dataset.advance))));
}

els.advanceForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = els.advanceInput.value.trim();
  const result = await act("Clock", () => api.advance(value));
  if (result) els.advanceInput.value = "";
  afterClock(result);
});

els.setForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  // "2026-01-05 09:00" or with seconds (a "T" instead of the space too): taken as UTC
  const value = els.setInput.value.trim().replace(" ", "T");
  if (!value) return;
  const iso = `${value.length === 16 ? `${value}:00` : value}Z`;
  afterClock(await act("Clock", () => api.setClock(iso)));
});

els.reset.addEventListener("click", async () => {
  if (!window.confirm("Reset the emulator to the scenario's initial state? Messages, the journal and the clock start again.")) return;
  const result = await act("Reset", () => api.reset());
  if (result) {
    notify("The emulator was reset.");
    // a live stream brings the reset event, which reloads; without one, reload here
    if (state.liveMode !== "live") reloadAll();
  }
});

els.scenarioInput.addEventListener("change", async () => {
  const file = els.scenarioInput.files?.[0];
  if (!file) return;
  const text = await file.text();
  const isJson = /\.json$/i.test(file.name) || file.type.includes("json");
  const result = await act(`Scenario ${file.name}`, async () => {
    try {
      return await api.loadScenario(text, isJson);
    } catch (error) {
      // the control API names the text it was sent ("request body"): here it is this file
      const problems = error.details?.problems;
      if (Array.isArray(problems)) {
        error.details.problems = problems.map((p) => (typeof p === "string" ? p.replace(/^request body\b/, file.name) : p));
      }
      throw error;
    }
  });
  els.scenarioInput.value = "";
  if (result) {
    notify(`Scenario \u201c${str(result.name) || file.name}\u201d loaded; the emulator was reset.`);
    if (state.liveMode !== "live") reloadAll();
  }
});

// --- drawers (people on a phone, the inspector on narrower screens) ---------------------------

const WIDE = window.matchMedia("(min-width: 1100px)");
const NARROW = window.matchMedia("(max-width: 640px)");
let isolated = []; // what was made inert while a drawer is open over the page

/**
 * While a drawer covers the page, everything but it is inert: no focus, no clicks, hidden from
 * screen readers (the scrim stays clickable: it closes the drawer).
 */
function isolate(panel) {
  for (const node of isolated) node.inert = false;
  isolated = [];
  if (!panel) return;
  for (let node = panel; node && node !== document.body; node = node.parentElement) {
    for (const sibling of node.parentElement.children) {
      if (sibling === node || sibling === els.scrim || sibling.inert || sibling.tagName === "SCRIPT") continue;
      sibling.inert = true;
      isolated.push(sibling);
    }
  }
}

function setDrawer(which, open) {
  if (which === "nav") {
    els.navToggle.setAttribute("aria-expanded", String(open));
    document.body.classList.toggle("nav-open", open);
  } else {
    els.inspector.hidden = !open;
    els.inspectorToggle.setAttribute("aria-expanded", String(open));
    document.body.classList.toggle("inspector-open", open);
    inspector.setVisible(open);
    try {
      localStorage.setItem("emulator-ui-inspector", open ? "open" : "closed");
    } catch {
      /* storage may be unavailable */
    }
  }
  const navOver = document.body.classList.contains("nav-open") && NARROW.matches;
  const inspectorOver = document.body.classList.contains("inspector-open") && !WIDE.matches;
  els.scrim.hidden = !(navOver || inspectorOver);
  isolate(navOver ? els.people : inspectorOver ? els.inspector : null);
}

els.navToggle.addEventListener("click", () => {
  const open = els.navToggle.getAttribute("aria-expanded") !== "true";
  setDrawer("nav", open);
  if (open) (els.people.querySelector("[aria-current='true']") || els.people.querySelector("[data-testid='person-item']") || els.peopleClose)?.focus();
});

els.peopleClose.addEventListener("click", () => {
  setDrawer("nav", false);
  els.navToggle.focus();
});

els.toolbarToggle.addEventListener("click", () => {
  const open = els.toolbarToggle.getAttribute("aria-expanded") !== "true";
  els.toolbarToggle.setAttribute("aria-expanded", String(open));
  els.toolbar.classList.toggle("open", open);
});

els.inspectorToggle.addEventListener("click", () => {
  const open = els.inspector.hidden;
  setDrawer("inspector", open);
  if (open) els.inspector.querySelector("[role='tab'][aria-selected='true']")?.focus();
});

els.inspectorClose.addEventListener("click", () => {
  setDrawer("inspector", false);
  els.inspectorToggle.focus();
});

els.scrim.addEventListener("click", () => {
  const navWasOpen = document.body.classList.contains("nav-open") && NARROW.matches;
  setDrawer("nav", false);
  if (!WIDE.matches) setDrawer("inspector", false);
  (navWasOpen ? els.navToggle : els.inspectorToggle).focus();
});

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  if (document.body.classList.contains("nav-open") && NARROW.matches) {
    setDrawer("nav", false);
    els.navToggle.focus();
  } else if (!els.inspector.hidden && !WIDE.matches) {
    setDrawer("inspector", false);
    els.inspectorToggle.focus();
  }
});

window.addEventListener("hashchange", () => selectFromHash());

// --- live updates ----------------------------------------------------------------------------

function concernsSelected(pageId, psid) {
  const s = state.selected;
  return s !== null && (pageId === undefined || pageId === null || s.pageId === pageId) && (psid === undefined || psid === null || s.psid === psid);
}

const handlers = {
  sent(entry) {
    refreshPeople();
    if (concernsSelected(entry.page_id, entry.recipient_id)) refreshConversation();
  },
  inbound(event) {
    refreshPeople();
    if (concernsSelected(event.page_id, event.psid)) refreshConversation();
  },
  request(entry) {
    inspector.addRequest(entry);
    if (entry.outcome === "rejected") {
      refreshPeople();
      if (concernsSelected(entry.page_id, typeof entry.recipient === "string" ? entry.recipient : undefined)) refreshConversation();
    }
  },
  webhook(record) {
    inspector.upsertWebhook(record);
  },
  handover(change) {
    // thread control changed: the owner shown in the list and the header
    refreshPeople();
    if (concernsSelected(change.page_id, change.psid)) refreshConversation();
  },
  clock(data) {
    setClock(data.now, data.frozen);
    refreshPeople();
    refreshConversation();
  },
  reset() {
    reloadAll();
  },
};

/** After a reset or a new scenario: everything again, from scratch (once per burst). */
const reloadAll = coalesced(async () => {
  attachmentCache.clear();
  forgetConversation();
  clearLog();
  inspector.clear();
  if (!els.inspector.hidden) inspector.load();
  // the webhook handshake runs again after a reset, in the background: show its outcome
  setTimeout(() => inspector.refreshWebhookView(), 1500);
  await loadPeople();
  if (!state.selected) return;
  const { page, person } = findPerson(state.selected.pageId, state.selected.psid);
  if (!person) {
    state.selected = null;
    renderHeader(null, null);
    selectFirst();
    if (!state.selected) {
      setComposerEnabled(false);
      clearLog();
    }
    return;
  }
  renderHeader(page, person);
  refreshConversation.now();
}, 0, 200);

/** Each time the stream opens and on each poll: what was missed is fetched (only what is new). */
function resync() {
  refreshPeople();
  refreshConversation();
  inspector.resync();
}

function setLiveMode(mode) {
  state.liveMode = mode;
  const text = { live: "live", polling: "polling every 2 s", connecting: "connecting\u2026", paused: "paused (tab hidden)" }[mode] || mode;
  els.liveStatus.textContent = text;
  els.liveStatus.dataset.mode = mode;
  if (mode === "live") {
    clearConnectionNotices();
    wasLive = true;
    reachable = true;
  }
  updateAwayBanner();
}

// --- start -------------------------------------------------------------------------------------

const conversationLog = createConversationLog(
  { log: els.log, scroll: els.logScroll, typing: els.typing, empty: els.empty, newMessages: document.getElementById("new-messages") },
  { act: personActs, resolveAttachment, focusFallback: els.input, now: emulatedNow },
);

const inspector = createInspector(els.inspector, {
  api,
  notify: (message, options) => notify(message, options),
  fail,
  selection: () => state.selected,
});

function start() {
  document.documentElement.dataset.base = BASE;
  els.namespace.hidden = true;
  let inspectorOpen = WIDE.matches && window.innerWidth >= 1200;
  try {
    const saved = localStorage.getItem("emulator-ui-inspector");
    if (saved) inspectorOpen = saved === "open";
  } catch {
    /* storage may be unavailable */
  }
  // a link to one call or delivery (#call-12, #delivery-3) opens the inspector on it
  if (/^#(call|delivery)-\d+$/.test(location.hash)) inspectorOpen = true;
  setDrawer("inspector", inspectorOpen);
  setComposerEnabled(false);
  clearLog();
  api.clock().then((c) => setClock(c.now, c.frozen), () => {});
  refreshPeople.now();
  live = connectLive({ handlers, onResync: resync, onMode: setLiveMode });
  setInterval(tick, 1000);
  WIDE.addEventListener("change", () => setDrawer("inspector", !els.inspector.hidden));
  NARROW.addEventListener("change", () => setDrawer("nav", false));
}

start();
