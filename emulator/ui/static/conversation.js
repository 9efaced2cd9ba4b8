// The conversation log: what the person did, what the page sent and what Graph refused, as
// Messenger shows it to the person the developer plays: their own messages on the right in blue,
// the page's on the left in grey (refused sends too, with a red border). Rows are built once per
// item (keyed) and reused, so a re-render after each event moves no bubble and loses no focus;
// what depends on later items (reactions, the quick replies, "Seen" marks, typing) is updated
// on each render.

import { h, icon, ICONS, str, obj, arr, linkify, clockTime, dayKey, dayLabel, prettyJson, parseTime } from "./dom.js";
import { renderMessage, renderInbound, renderQuickReplies, reactionEmoji, referralText } from "./render.js";

/** Messenger drops a typing indicator after 20 s without typing_off (on the emulated clock). */
export const TYPING_TIMEOUT_MS = 20_000;

/**
 * els: {log, scroll, typing, empty}. ctx: {act(action, what) -> Promise (the person acts),
 * resolveAttachment(id) -> Promise<{src, url, filename, download}>, focusFallback: where focus
 * goes when a focused chip goes away, now() -> the emulated time in ms (or null)}.
 * Returns {render(items, {keepPosition}), clear(text), pin(), updateTyping()}.
 */
export function createConversationLog(els, ctx) {
  const rowCache = new Map(); // key -> {node, decorate(facts, index)}
  let fresh = true; // nothing rendered since the last clear
  let typingSince = null; // the emulated time (ms) of the typing_on still in force, if any
  // The log stays pinned to its newest message until the user scrolls up (and again once they
  // scroll back down): bubbles laid out late (images, off-screen rows) do not move it.
  let pinned = true;

  function scrollToBottom() {
    els.scroll.scrollTop = els.scroll.scrollHeight;
  }

  els.scroll.addEventListener("scroll", () => {
    pinned = els.scroll.scrollHeight - els.scroll.scrollTop - els.scroll.clientHeight < 80;
    if (pinned && els.newMessages) els.newMessages.hidden = true;
  }, { passive: true });

  els.newMessages?.addEventListener("click", () => {
    pin();
    els.log.focus({ preventScroll: true });
  });

  new ResizeObserver(() => {
    if (pinned) scrollToBottom();
  }).observe(els.log);

  function clear(text) {
    rowCache.clear();
    fresh = true;
    typingSince = null;
    els.log.replaceChildren();
    els.typing.hidden = true;
    if (els.newMessages) els.newMessages.hidden = true;
    els.empty.hidden = false;
    els.empty.textContent = text;
  }

  /** After the person acted: show the newest messages. */
  function pin() {
    pinned = true;
    if (els.newMessages) els.newMessages.hidden = true;
    scrollToBottom();
  }

  /** The typing dots: shown while a typing_on is younger than 20 s of emulated time. */
  function updateTyping() {
    let on = typingSince !== null;
    const now = ctx.now?.();
    if (on && typeof now === "number" && Number.isFinite(typingSince)) on = now - typingSince < TYPING_TIMEOUT_MS;
    if (els.typing.hidden !== !on) {
      els.typing.hidden = !on;
      if (on && pinned) scrollToBottom();
    }
  }

  /**
   * Show `items` (the loaded timeline, oldest first). keepPosition: older items were put
   * before the ones shown; the rows in view stay where they are.
   */
  function render(items, { keepPosition = false } = {}) {
    const first = fresh; // a conversation just opened: its history is not news
    fresh = false;
    if (first || keepPosition) els.log.setAttribute("aria-live", "off");
    const fromBottom = els.scroll.scrollHeight - els.scroll.scrollTop;
    const facts = analyse(items);
    const wanted = [];
    let day = null;
    items.forEach((item, index) => {
      if (!isBubble(item)) return;
      const key = itemKey(item);
      const itemDay = dayKey(item.at);
      if (itemDay && itemDay !== day) {
        day = itemDay;
        wanted.push(cachedRow(`day:${itemDay}`, () => ({
          node: h("li", { class: "day-separator", "data-testid": "day-separator" }, h("span", {}, dayLabel(item.at))),
        })));
      }
      const row = cachedRow(key, () => buildRow(item, ctx));
      row.decorate?.(facts, index);
      wanted.push(row);
      if (index === facts.seenByPage) wanted.push(seenRow("page"));
      if (index === facts.seenByPerson) wanted.push(seenRow("person"));
    });
    // reconcile the list with the wanted rows, moving as few nodes as possible
    const keep = new Set(wanted.map((row) => row.node));
    // a bubble after the last one shown, while scrolled up: the "new messages" pill
    const lastShown = [...els.log.children].reverse().find((n) => n.dataset?.testid === "bubble");
    const lastWanted = [...wanted].reverse().find((row) => row.node.dataset?.testid === "bubble");
    const arrived = !first && !keepPosition && lastWanted && lastWanted.node !== lastShown;
    for (const child of [...els.log.children]) if (!keep.has(child)) child.remove();
    let previous = null;
    for (const row of wanted) {
      const expected = previous ? previous.nextSibling : els.log.firstChild;
      if (expected !== row.node) els.log.insertBefore(row.node, expected);
      previous = row.node;
    }
    for (const [key, row] of rowCache) if (!keep.has(row.node)) rowCache.delete(key);

    els.empty.hidden = wanted.length > 0;
    els.empty.textContent = "No messages yet. Write as the person below, or let the bot speak first.";
    typingSince = facts.typing ? (facts.typingAt ?? Number.NaN) : null;
    updateTyping();
    if (first) pinned = true;
    if (els.newMessages && first) els.newMessages.hidden = true;
    if (els.newMessages && arrived && !pinned) els.newMessages.hidden = false;
    if (keepPosition && !pinned) els.scroll.scrollTop = els.scroll.scrollHeight - fromBottom;
    else if (pinned) scrollToBottom();
    if (first || keepPosition) requestAnimationFrame(() => els.log.setAttribute("aria-live", "polite"));
  }

  function cachedRow(key, build) {
    let row = rowCache.get(key);
    if (!row) {
      row = build();
      rowCache.set(key, row);
    }
    return row;
  }

  function seenRow(by) {
    return cachedRow(`seen:${by}`, () => ({
      node: h("li", { class: `seen by-${by}`, "data-testid": "read-mark", dataset: { by } },
        by === "page" ? "Seen by the page" : "Seen"),
    }));
  }

  return { render, clear, pin, updateTyping };
}

function buildRow(item, ctx) {
  if (item.kind === "sent") return sentRow(item, ctx);
  if (item.kind === "inbound") return inboundRow(item, ctx);
  return rejectedRow(item, ctx);
}

/** A timeline item's identity (the same item fetched twice has the same key). */
export function itemKey(item) {
  const id = item.kind === "sent" ? item.entry?.message_id : item.kind === "inbound" ? item.event?.mid : item.request?.id;
  return `${item.kind}:${item.seq}:${item.at}:${id ?? ""}`;
}

/** What later items say about earlier ones. */
function analyse(items) {
  const facts = {
    reactions: new Map(), // mid -> {person: emoji, page: emoji}
    quickReplies: -1, // index of the page's newest message with quick replies: the only chips shown
    quickRepliesActive: false, // ...tappable while it is the page's latest message and the person
    // has not written or tapped a postback since (as the control API takes them)
    typing: false,
    typingAt: null, // emulated ms of the typing_on in force
    seenByPage: -1, // index of the person's message the page marked seen
    seenByPerson: -1, // index of the page's message the person read
    revisions: new Map(), // mid -> {text, edits, unsent}: the person's edits and unsends
  };
  let lastInbound = -1;
  let lastSent = -1;
  items.forEach((item, index) => {
    if (item.kind === "sent") {
      const entry = obj(item.entry);
      const action = str(entry.sender_action).toLowerCase();
      if (action === "typing_on") {
        facts.typing = true;
        facts.typingAt = parseTime(item.at);
      } else if (action === "typing_off") facts.typing = false;
      else if (action === "mark_seen") facts.seenByPage = lastInbound;
      else if (action === "react" || action === "unreact") {
        const payload = obj(entry.payload);
        const mid = str(payload.message_id);
        const r = facts.reactions.get(mid) || {};
        if (action === "react") r.page = reactionEmoji(payload.reaction, payload.emoji);
        else delete r.page;
        facts.reactions.set(mid, r);
      } else if (entry.message) {
        facts.typing = false;
        lastSent = index;
        // quick replies work on the page's latest message only (a later one takes them away)
        const hasReplies = arr(obj(entry.message).quick_replies).length > 0;
        if (hasReplies) facts.quickReplies = index;
        facts.quickRepliesActive = hasReplies;
      }
    } else if (item.kind === "inbound") {
      const event = obj(item.event);
      if (event.kind === "message" || event.kind === "postback") {
        lastInbound = index;
        facts.quickRepliesActive = false; // the person answered: Messenger takes the chips away
      } else if (event.kind === "read") facts.seenByPerson = lastSent;
      else if (event.kind === "edit" || event.kind === "unsend") {
        const r = facts.revisions.get(str(event.mid)) || {};
        if (event.kind === "edit") Object.assign(r, { text: str(event.text), edits: event.num_edit });
        else r.unsent = true;
        facts.revisions.set(str(event.mid), r);
      }
      else if (event.kind === "reaction") {
        const mid = str(event.mid);
        const r = facts.reactions.get(mid) || {};
        if (event.action === "unreact") delete r.person;
        else r.person = reactionEmoji(event.reaction, event.emoji);
        facts.reactions.set(mid, r);
      }
    }
  });
  return facts;
}

function isBubble(item) {
  if (item.kind === "rejected") return true;
  if (item.kind === "sent") return Boolean(item.entry?.message);
  if (item.kind === "inbound") return ["message", "postback", "referral", "optin"].includes(item.event?.kind);
  return false;
}

function meta(parts, title) {
  return h("p", { class: "meta", title }, parts.filter(Boolean).join(" \u00b7 "));
}

function sentMeta(entry, at) {
  const message = obj(entry.message);
  return meta([
    clockTime(at),
    str(entry.messaging_type),
    entry.tag ? `tag ${str(entry.tag)}` : "",
    entry.notification_type && entry.notification_type !== "REGULAR" ? str(entry.notification_type).toLowerCase().replace("_", " ") : "",
    entry.persona_id ? `persona ${str(obj(entry.persona).name || entry.persona_id)}` : "",
    entry.reply_to ? `reply to ${str(obj(entry.reply_to).mid)}` : "",
    message.metadata ? `metadata \u201c${str(message.metadata)}\u201d` : "",
  ], [str(entry.message_id), entry.api_version ? `Graph ${str(entry.api_version)}` : "", str(entry.notification_type)].filter(Boolean).join(" \u00b7 "));
}

function reactionBadges(container, reaction, label) {
  const r = reaction || {};
  const signature = `${r.person || ""}|${r.page || ""}`;
  if (container.dataset.signature === signature) return;
  container.dataset.signature = signature;
  container.replaceChildren(...["person", "page"].filter((by) => r[by]).map((by) =>
    h("span", { class: "reaction", "data-testid": "reaction", dataset: { by }, title: `${label(by)} reacted`, role: "img", "aria-label": `${label(by)} reacted ${r[by]}` }, r[by])));
}

// Who spoke: the persona a send named (its name and picture as they were then), or nothing.
function speaker(entry) {
  const persona = obj(entry.persona);
  if (!persona.name) return null;
  const picture = str(persona.profile_picture_url);
  return h("p", { class: "persona", "data-testid": "persona", title: `persona ${str(persona.id)}` },
    /^https?:\/\//i.test(picture) ? h("img", { class: "persona-pic", src: picture, alt: "", referrerpolicy: "no-referrer" }) : null,
    str(persona.name));
}

function sentRow(item, { act, resolveAttachment, focusFallback }) {
  const entry = obj(item.entry);
  const message = obj(entry.message);
  const mid = str(entry.message_id);
  const rendered = renderMessage(message, {
    interactive: true,
    // the object form names the exact button: two buttons may share a payload
    onPostback: (button) => act({ postback: { payload: str(button.payload), title: str(button.title) } }, `Postback \u201c${str(button.title)}\u201d`),
    resolveAttachment,
    attachmentId: entry.attachment_id,
    utility: entry.utility,  // a utility message's filled template
  });
  const reactions = h("div", { class: "reactions" });
  const replies = h("div", { class: "qr-slot" });
  const reactButton = h("button", {
    type: "button",
    class: "react-button",
    "data-testid": "react-button",
    on: {
      click: () => (reactButton.dataset.reacted === "true"
        ? act({ unreact: { mid } }, "Unreact")
        : act({ reaction: { mid, reaction: "love" } }, "Reaction")),
    },
  });
  const node = h("li", {
    class: "item sent",
    "data-testid": "bubble",
    dataset: { kind: "sent", type: rendered.type, template: rendered.template, messageId: mid, seq: item.seq },
  },
  speaker(entry),
  h("div", { class: "bubble-row" }, h("div", { class: "bubbles" }, rendered.nodes), mid ? reactButton : null),
  reactions,
  sentMeta(entry, item.at),
  replies);
  return {
    node,
    decorate(facts, index) {
      const r = facts.reactions.get(mid);
      reactionBadges(reactions, r, (by) => (by === "page" ? "The page" : "The person"));
      const reacted = Boolean(r?.person);
      if (reactButton.dataset.reacted !== String(reacted)) {
        reactButton.dataset.reacted = String(reacted);
        reactButton.replaceChildren(reacted ? "Remove reaction" : "\u2764\ufe0f", h("span", { class: "visually-hidden" }, reacted ? "" : " React as the person"));
        reactButton.title = reacted ? "Take the person's reaction back" : "React \u2764\ufe0f as the person";
      }
      // chips only under the page's newest message with quick replies: tappable until the
      // person writes or taps something, then shown muted as what was offered
      const shown = index === facts.quickReplies;
      const mode = !shown ? "none" : facts.quickRepliesActive ? "active" : "stale";
      if (replies.dataset.mode !== mode) {
        replies.dataset.mode = mode;
        const focused = replies.contains(document.activeElement) ? document.activeElement : null;
        const chips = mode === "none" ? null : renderQuickReplies(message.quick_replies, {
          active: mode === "active",
          // the object form names the exact chip: two chips may share a payload
          onQuickReply: (reply) => act({ quick_reply: { payload: str(reply.payload), title: str(reply.title) } }, `Quick reply \u201c${str(reply.title)}\u201d`),
        });
        if (chips) replies.replaceChildren(chips);
        else replies.replaceChildren();
        if (focused) {
          const same = [...replies.querySelectorAll("[data-testid='quick-reply']:not(:disabled)")]
            .find((chip) => chip.dataset.payload === focused.dataset.payload && chip.textContent === focused.textContent);
          (same || focusFallback).focus();
        }
      }
    },
  };
}

function inboundRow(item, { act }) {
  const event = obj(item.event);
  const rendered = renderInbound(event);
  const reactions = h("div", { class: "reactions" });
  const mid = str(event.mid);
  const bubbles = h("div", { class: "bubbles" }, rendered.nodes);
  const edited = h("span", { class: "edited muted", "data-testid": "edited" });
  // the person's own message: they may edit its text (at most 5 times) or unsend it
  let currentText = str(event.text);
  const own = event.kind === "message" && mid;
  const ownButton = (label, testid, title, click) => h("button", { type: "button", class: "react-button own-button", "data-testid": testid, title, on: { click } }, label);
  const tools = own ? h("div", { class: "own-tools" },
    typeof event.text === "string" ? ownButton("Edit", "edit-button", "Edit this message as the person", () => {
      const text = window.prompt("Edit the message", currentText);
      if (text && text !== currentText) act({ edit: { mid, text } }, "Edit");
    }) : null,
    ownButton("Unsend", "unsend-button", "Unsend this message as the person", () => act({ unsend: { mid } }, "Unsend"))) : null;
  let detail = "";
  if (event.kind === "postback") detail = `postback ${str(event.payload)}`;
  if (event.kind === "postback" && event.referral) detail = [detail, referralText(obj(event.referral))].filter(Boolean).join(" \u00b7 ");
  else if (event.quick_reply !== undefined && event.quick_reply !== null) detail = `quick reply ${str(event.quick_reply)}`;
  const node = h("li", {
    class: "item inbound",
    "data-testid": "bubble",
    dataset: { kind: "inbound", type: rendered.type, messageId: str(event.mid), seq: item.seq, payload: event.payload ?? event.quick_reply ?? null },
  },
  h("div", { class: "bubble-row" }, tools, bubbles),
  reactions,
  meta([clockTime(item.at), detail], str(event.mid)),
  edited);
  return {
    node,
    decorate(facts) {
      reactionBadges(reactions, facts.reactions.get(str(event.mid)), (by) => (by === "page" ? "The page" : "The person"));
      // an edit shows the new text, marked "Edited"; an unsent message leaves a placeholder
      const r = facts.revisions.get(mid) || {};
      const unsent = Boolean(r.unsent || event.is_deleted);
      const edits = r.edits ?? event.num_edit ?? 0;
      const text = r.text ?? str(event.text);
      const signature = `${unsent}|${edits}|${text}`;
      if (node.dataset.revision === signature) return;
      node.dataset.revision = signature;
      if (unsent) {
        bubbles.replaceChildren(h("p", { class: "bubble text unsent", "data-testid": "unsent" }, "Unsent a message"));
        tools?.remove();
        edited.textContent = "";
      } else if (edits) {
        currentText = text;
        bubbles.replaceChildren(...renderInbound({ ...event, text }).nodes);
        edited.textContent = `Edited${edits > 1 ? ` ${edits} times` : ""}`;
      }
    },
  };
}

function rejectedRow(item, { resolveAttachment }) {
  const request = obj(item.request);
  const params = obj(request.params);
  const error = obj(obj(request.response).error);
  const code = error.code !== undefined ? `code ${str(error.code)}${error.error_subcode !== undefined ? `, subcode ${str(error.error_subcode)}` : ""}` : "";
  let attempted = null;
  let template = null;
  let type = "error";
  const message = typeof params.message === "string" ? tryJson(params.message) : params.message;
  if (message && typeof message === "object") {
    try {
      const rendered = renderMessage(message, { interactive: false, resolveAttachment });
      ({ template, type } = rendered);
      attempted = h("div", { class: "attempted", "aria-label": "The refused message" }, rendered.nodes);
    } catch {
      attempted = null;
    }
  } else if (params.sender_action) {
    attempted = h("p", { class: "attempted muted" }, `sender_action ${str(params.sender_action)}`);
    type = "sender_action";
  }
  const fact = (label, value, testid) => (value ? [h("dt", {}, label), h("dd", { "data-testid": testid }, value)] : []);
  const node = h("li", {
    class: "item rejected",
    "data-testid": "bubble",
    dataset: { kind: "rejected", type, template, rule: str(request.rule), seq: item.seq },
  },
  h("div", { class: "bubble-row" },
    h("div", { class: "bubbles" },
      h("div", { class: "bubble rejected-box", role: "group", "aria-label": "Refused send" },
        h("p", { class: "rejected-title" }, icon(ICONS.warn), ` Refused \u00b7 HTTP ${str(request.status)}`),
        h("p", { class: "error-message", "data-testid": "error-message" }, linkify(str(error.message) || "(no error message)")),
        h("dl", { class: "error-facts" },
          fact("Error", [code, str(error.type)].filter(Boolean).join(" \u00b7 "), "error-code"),
          fact("Rule", str(request.rule), "error-rule"),
          fact("JSON path", str(request.json_path), "error-path"),
          fact("fbtrace_id", str(error.fbtrace_id), "error-trace")),
        attempted,
        attempted ? expandButton(attempted) : null,
        h("details", { class: "raw" },
          h("summary", {}, "Request and response"),
          h("pre", { class: "json", tabindex: "0" }, h("code", {}, prettyJson({ params, response: request.response }))))))),
  meta([clockTime(item.at), str(params.messaging_type), params.tag ? `tag ${str(params.tag)}` : ""]));
  return { node };
}

/** "Show all" under a refused send's preview (cut at a height): the whole of it, or less. */
function expandButton(preview) {
  const button = h("button", {
    type: "button",
    class: "expand-preview",
    "data-testid": "expand-preview",
    "aria-expanded": "false",
  }, "Show all");
  button.addEventListener("click", () => {
    const open = !preview.classList.contains("expanded");
    preview.classList.toggle("expanded", open);
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "Show less" : "Show all";
  });
  // offered only when something is cut: measured again as pictures load and the log resizes
  button.hidden = true;
  const measure = () => {
    if (!preview.classList.contains("expanded")) button.hidden = preview.scrollHeight <= preview.clientHeight + 1;
  };
  const observer = new ResizeObserver(measure);
  observer.observe(preview);
  for (const child of preview.children) observer.observe(child);
  return button;
}

function tryJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
