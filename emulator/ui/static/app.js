// The emulator's web UI: pages and people, a conversation rendered as Messenger shows it, the
// person's composer, the clock and scenario controls, and the request inspector. Everything goes
// through the same control API the tests use; live updates come from ${BASE}/events.

import { api, connectLive, BASE } from "./api.js";
import { h, icon, ICONS, str, obj, arr, fullTime, localInputValue, duration, parseTime } from "./dom.js";
import { createConversationLog } from "./conversation.js";
import { createInspector } from "./inspector.js";

const $ = (id) => document.getElementById(id);
const els = {
  people: $("people"),
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
  markRead: $("mark-read"),
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
  conversation: null, // {page, person, data}
};

// --- notices (a polite live region) --------------------------------------------------------------

function notify(message, { level = "info", problems = [], timeout } = {}) {
  const notice = h("div", { class: `notice ${level}`, "data-testid": "notice", dataset: { level } },
    level === "error" ? icon(ICONS.warn) : null,
    h("div", { class: "notice-text" },
      h("p", {}, message),
      problems.length ? h("ul", { class: "problems", "data-testid": "notice-problems" }, problems.map((p) => h("li", {}, str(p) || JSON.stringify(p)))) : null),
    h("button", {
      type: "button",
      class: "icon-button",
      "aria-label": "Dismiss",
      on: { click: () => notice.remove() },
    }, "\u00d7"));
  els.notices.append(notice);
  while (els.notices.children.length > 4) els.notices.firstElementChild.remove();
  const delay = timeout ?? (level === "error" ? 0 : 5000);
  if (delay) setTimeout(() => notice.remove(), delay);
  return notice;
}

function fail(error, what) {
  notify(what ? `${what}: ${error.message}` : error.message, {
    level: "error",
    problems: arr(error.details?.problems),
  });
}

/** Run a control call with the busy state shown; report its error. */
async function act(what, work) {
  document.body.classList.add("busy");
  try {
    return await work();
  } catch (error) {
    fail(error, what);
    return undefined;
  } finally {
    document.body.classList.remove("busy");
  }
}

// --- refreshing, coalesced ------------------------------------------------------------------

/**
 * fn() at most once at a time and at most every `spacing` ms; requests during a run make one
 * more run after it. A burst of events (a load test) costs a few re-fetches, not one each.
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
  return request;
}

const refreshPeople = coalesced(loadPeople);
const refreshConversation = coalesced(loadConversation);

// --- the clock ----------------------------------------------------------------------------------

function setClock(nowIso, frozen) {
  const now = parseTime(nowIso);
  if (now === null) return;
  state.clock = { now, frozen: Boolean(frozen), at: performance.now() };
  renderClock();
}

function emulatedNow() {
  const { now, frozen, at } = state.clock;
  if (now === null) return null;
  return frozen ? now : now + (performance.now() - at);
}

function renderClock() {
  const now = emulatedNow();
  if (now === null) return;
  els.clockNow.textContent = fullTime(now);
  els.clockNow.dateTime = new Date(now).toISOString();
  els.clockState.textContent = state.clock.frozen ? "frozen" : "real time";
  els.clockState.dataset.frozen = String(state.clock.frozen);
  els.clockState.title = state.clock.frozen
    ? "the emulated clock only moves when told"
    : "the emulated clock follows real time";
  if (document.activeElement !== els.setInput) els.setInput.value = localInputValue(now);
}

// --- windows (the 24-hour and 7-day messaging windows) ----------------------------------------

const WINDOWS = {
  standard: { key: "standard_window", label: "24 h window", testid: "window-standard" },
  human_agent: { key: "human_agent_window", label: "7-day (human agent)", testid: "window-human-agent" },
};

function windowNode(person, which) {
  const spec = WINDOWS[which];
  const w = obj(person[spec.key]);
  const node = h("span", {
    class: "window",
    "data-testid": spec.testid,
    dataset: { window: which, open: Boolean(w.open), secondsLeft: w.open && typeof w.seconds_left === "number" ? w.seconds_left : null, fetchedAt: performance.now(), label: spec.label },
  });
  updateWindow(node);
  return node;
}

/** The text of a window, from its seconds left when fetched, ticking with a real-time clock. */
function updateWindow(node) {
  const { label, open, secondsLeft, fetchedAt } = node.dataset;
  let left = open === "true" && secondsLeft !== undefined ? Number(secondsLeft) : null;
  if (left !== null && !state.clock.frozen) left -= (performance.now() - Number(fetchedAt)) / 1000;
  const isOpen = open === "true" && (left === null || left >= 0); // the end is included
  const text = !isOpen ? `${label}: closed` : left === null ? `${label}: open` : `${label}: ${duration(left)} left`;
  if (node.textContent !== text) node.textContent = text;
  node.dataset.state = !isOpen ? "closed" : left !== null && left < 3600 ? "closing" : "open";
  return open === "true" && !isOpen; // closed since fetched
}

function tick() {
  if (!state.clock.frozen) renderClock();
  if (state.clock.frozen) return;
  let closed = false;
  for (const node of document.querySelectorAll("[data-window]")) closed = updateWindow(node) || closed;
  if (closed) {
    refreshPeople();
    refreshConversation();
  }
}

// --- pages and people (the side list) ---------------------------------------------------------

async function loadPeople() {
  let view;
  try {
    view = await api.conversations();
  } catch (error) {
    if (!state.pages.length) {
      els.people.replaceChildren(h("p", { class: "muted" }, `Cannot list the conversations: ${error.message}`));
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

function renderPeople() {
  const focused = document.activeElement?.closest?.("[data-testid='person-item']");
  const focusKey = focused ? `${focused.dataset.pageId}/${focused.dataset.psid}` : null;
  const sections = state.pages.map((page) => {
    const people = arr(page.people);
    const headingId = `page-${page.id}`;
    return h("section", { class: "page", "data-testid": "page", dataset: { pageId: page.id } },
      h("h2", { id: headingId, class: "page-name" },
        str(page.name) || str(page.id),
        page.platform && page.platform !== "messenger" ? h("span", { class: "badge" }, str(page.platform)) : null),
      h("p", { class: "page-id muted" }, str(page.id)),
      people.length
        ? h("ul", { class: "people-list", "aria-labelledby": headingId }, people.map((person) => personItem(page, person)))
        : h("p", { class: "muted" }, "No people yet."));
  });
  els.people.replaceChildren(...(sections.length ? sections : [h("p", { class: "muted" }, "No pages in the scenario.")]));
  if (focusKey) els.people.querySelector(`[data-key="${CSS.escape(focusKey)}"]`)?.focus();
}

function personItem(page, person) {
  const selected = state.selected && state.selected.pageId === page.id && state.selected.psid === person.psid;
  const name = personName(person);
  return h("li", {},
    h("button", {
      type: "button",
      class: "person",
      "data-testid": "person-item",
      dataset: { psid: person.psid, pageId: page.id, key: `${page.id}/${person.psid}`, blocked: Boolean(person.blocked) },
      "aria-current": selected ? "true" : false,
      on: { click: () => select(page.id, person.psid, { focus: true }) },
    },
    h("span", { class: "avatar", "aria-hidden": "true" }, initials(name)),
    h("span", { class: "person-text" },
      h("span", { class: "person-name" }, name,
        person.blocked ? h("span", { class: "badge blocked", "data-testid": "blocked-badge" }, "blocked") : null),
      person.name ? h("span", { class: "psid muted" }, str(person.psid)) : null,
      windowNode(person, "standard"),
      windowNode(person, "human_agent"))));
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
  const [pageId, psid] = [decodeURIComponent(match[1]), decodeURIComponent(match[2])];
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
  if (location.hash !== hash) {
    if (replace) history.replaceState(null, "", hash);
    else history.pushState(null, "", hash);
  }
  for (const item of els.people.querySelectorAll("[data-testid='person-item']")) {
    if (item.dataset.pageId === pageId && item.dataset.psid === psid) item.setAttribute("aria-current", "true");
    else item.removeAttribute("aria-current");
  }
  if (!same) {
    state.conversation = null;
    clearLog();
    const { page, person } = findPerson(pageId, psid);
    renderHeader(page, person ?? { psid });
    setComposerEnabled(true);
  }
  setDrawer("nav", false);
  inspector.render();
  loadConversation();
  if (focus) els.input.focus();
}

// --- the conversation -----------------------------------------------------------------------

let conversationRequest = 0;

async function loadConversation() {
  if (!state.selected) return;
  const { pageId, psid } = state.selected;
  const ticket = ++conversationRequest;
  let view;
  try {
    view = await api.conversation(pageId, psid);
  } catch (error) {
    if (ticket !== conversationRequest) return;
    if (error.status === 404 && !state.conversation) {
      // a person the page does not know yet: they appear once they act
      renderHeader(findPerson(pageId, psid).page, { psid });
      conversationLog.render([]);
      return;
    }
    fail(error, "Conversation");
    return;
  }
  if (ticket !== conversationRequest || !state.selected || state.selected.pageId !== pageId || state.selected.psid !== psid) return;
  state.conversation = view;
  renderHeader(view.page, view.person);
  conversationLog.render(arr(view.data));
}

function renderHeader(page, person) {
  if (!person) {
    els.title.textContent = "No conversation selected";
    els.info.replaceChildren();
    return;
  }
  const name = personName(person);
  els.title.textContent = name;
  els.info.replaceChildren(...[
    h("span", { class: "muted" }, `PSID ${str(person.psid)}`, page ? ` \u00b7 ${str(page.name) || str(page.id)}` : ""),
    person.blocked ? h("span", { class: "badge blocked", "data-testid": "blocked-badge" }, "blocked") : null,
    person.standard_window ? windowNode(person, "standard") : null,
    person.human_agent_window ? windowNode(person, "human_agent") : null,
  ].filter(Boolean));
  els.composerLabel.textContent = `Message as ${name}`;
  els.input.placeholder = `Write as ${name}\u2026`;
  els.typingText.textContent = `${str(page?.name) || "The page"} is typing\u2026`;
}

function setComposerEnabled(enabled) {
  for (const control of [els.input, els.send, els.attachToggle, els.markRead]) control.disabled = !enabled;
}

function clearLog() {
  conversationLog.clear(state.selected
    ? "Loading\u2026"
    : "Pick a person on the left to see what the bot sent them and to write as them.");
}

const attachmentCache = new Map(); // attachment id -> Promise<{src, url} | null>

/** A saved attachment's picture: its uploaded bytes (same origin) or its URL. */
function resolveAttachment(id) {
  if (!attachmentCache.has(id)) {
    attachmentCache.set(id, api.attachment(id).then((meta) => ({
      src: meta.has_data ? api.attachmentDataUrl(id) : meta.url,
      url: meta.url,
    }), () => null));
  }
  return attachmentCache.get(id);
}

// --- playing the person ---------------------------------------------------------------------

async function personActs(action, what) {
  if (!state.selected) return false;
  const { pageId, psid } = state.selected;
  const result = await act(what, () => api.act(pageId, psid, action));
  if (result === undefined) return false;
  conversationLog.pin();
  refreshConversation();
  refreshPeople();
  return true;
}

els.composer.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = els.input.value;
  if (!text.trim()) {
    els.input.focus();
    return;
  }
  els.send.disabled = true;
  const ok = await personActs({ text }, "Send");
  els.send.disabled = false;
  if (ok) {
    els.input.value = "";
    autosize();
  }
  els.input.focus();
});

els.input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    els.composer.requestSubmit();
  }
});

function autosize() {
  els.input.style.height = "auto";
  els.input.style.height = `${Math.min(els.input.scrollHeight, 160)}px`;
}
els.input.addEventListener("input", autosize);

els.attachToggle.addEventListener("click", () => {
  const open = els.attachForm.hidden;
  els.attachForm.hidden = !open;
  els.attachToggle.setAttribute("aria-expanded", String(open));
  if (open) els.attachUrl.focus();
});

els.attachForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const ok = await personActs({ attachment: { type: els.attachType.value, url: els.attachUrl.value.trim() } }, "Attachment");
  if (ok) {
    els.attachUrl.value = "";
    els.attachForm.hidden = true;
    els.attachToggle.setAttribute("aria-expanded", "false");
    els.input.focus();
  }
});

els.markRead.addEventListener("click", () => personActs({ read: true }, "Mark as read"));

// The skip link moves focus without following its #composer-input href, which would replace
// the conversation's #/page/psid deep link in the address bar.
document.querySelector(".skip-link")?.addEventListener("click", (event) => {
  event.preventDefault();
  (els.input.disabled ? els.people.querySelector("button") : els.input)?.focus();
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
  const value = els.setInput.value; // "2026-01-05T09:00" or with seconds: taken as UTC
  if (!value) return;
  const iso = `${value.length === 16 ? `${value}:00` : value}Z`;
  afterClock(await act("Clock", () => api.setClock(iso)));
});

els.reset.addEventListener("click", async () => {
  if (!window.confirm("Reset the emulator to the scenario's initial state? Messages, the journal and the clock start again.")) return;
  const result = await act("Reset", () => api.reset());
  if (result) {
    notify("The emulator was reset.");
    reloadAll();
  }
});

els.scenarioInput.addEventListener("change", async () => {
  const file = els.scenarioInput.files?.[0];
  if (!file) return;
  const text = await file.text();
  const isJson = /\.json$/i.test(file.name) || file.type.includes("json");
  const result = await act(`Scenario ${file.name}`, () => api.loadScenario(text, isJson));
  els.scenarioInput.value = "";
  if (result) {
    notify(`Scenario \u201c${str(result.name) || file.name}\u201d loaded; the emulator was reset.`);
    state.selected = null;
    reloadAll();
  }
});

// --- drawers (people on a phone, the inspector on narrower screens) ---------------------------

const WIDE = window.matchMedia("(min-width: 1100px)");
const NARROW = window.matchMedia("(max-width: 640px)");

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
  const overlay = (document.body.classList.contains("nav-open") && NARROW.matches)
    || (document.body.classList.contains("inspector-open") && !WIDE.matches);
  els.scrim.hidden = !overlay;
}

els.navToggle.addEventListener("click", () => {
  const open = els.navToggle.getAttribute("aria-expanded") !== "true";
  setDrawer("nav", open);
  if (open) (els.people.querySelector("[aria-current='true']") || els.people.querySelector("button"))?.focus();
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
  setDrawer("nav", false);
  if (!WIDE.matches) setDrawer("inspector", false);
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
  clock(data) {
    setClock(data.now, data.frozen);
    refreshPeople();
    refreshConversation();
  },
  reset() {
    reloadAll();
  },
};

function reloadAll() {
  attachmentCache.clear();
  clearLog();
  state.conversation = null;
  inspector.clear();
  if (!els.inspector.hidden) inspector.load();
  // the webhook handshake runs again after a reset, in the background: show its outcome
  setTimeout(() => inspector.refreshWebhookView(), 1500);
  loadPeople().then(() => {
    if (state.selected) {
      const { page, person } = findPerson(state.selected.pageId, state.selected.psid);
      if (!person) {
        state.selected = null;
        renderHeader(null, null);
        selectFirst();
        if (!state.selected) setComposerEnabled(false);
        return;
      }
      renderHeader(page, person);
      loadConversation();
    }
  });
}

/** After a reconnection or on each poll: everything may have changed. */
function resync() {
  refreshPeople();
  refreshConversation();
  if (!els.inspector.hidden) inspector.load();
}

function setLiveMode(mode) {
  const text = { live: "live", polling: "polling every 2 s", connecting: "connecting\u2026" }[mode] || mode;
  els.liveStatus.textContent = text;
  els.liveStatus.dataset.mode = mode;
}

// --- start -------------------------------------------------------------------------------------

const conversationLog = createConversationLog(
  { log: els.log, scroll: els.logScroll, typing: els.typing, empty: els.empty },
  { act: personActs, resolveAttachment, focusFallback: els.input },
);

const inspector = createInspector(els.inspector, {
  api,
  notify: (message, options) => notify(message, options),
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
  setDrawer("inspector", inspectorOpen);
  setComposerEnabled(false);
  clearLog();
  api.clock().then((c) => setClock(c.now, c.frozen), () => {});
  loadPeople();
  connectLive({ handlers, onResync: resync, onMode: setLiveMode });
  setInterval(tick, 1000);
  WIDE.addEventListener("change", () => setDrawer("inspector", !els.inspector.hidden));
  NARROW.addEventListener("change", () => setDrawer("nav", false));
}

start();
