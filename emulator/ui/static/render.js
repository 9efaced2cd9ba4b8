// Messenger-like rendering of message payloads: text, attachments, templates, buttons and
// quick replies. Pure DOM building with textContent; messages may be invalid (a refused send is
// rendered too), so every field is read defensively.

import { h, icon, ICONS, safeUrl, extLink, str, arr, obj, linkify } from "./dom.js";
import { renderNewerTemplate, renderOptin, renderSticker } from "./newer.js";

const REACTION_EMOJI = {
  love: "\u2764\ufe0f", like: "\ud83d\udc4d", dislike: "\ud83d\udc4e", smile: "\ud83d\ude06",
  wow: "\ud83d\ude2e", sad: "\ud83d\ude22", angry: "\ud83d\ude20", other: "\u2753",
};

/** The emoji for a reaction name ("love"), or the value itself when it already is one. */
export function reactionEmoji(reaction, emoji) {
  if (typeof emoji === "string" && emoji) return emoji;
  return REACTION_EMOJI[String(reaction).toLowerCase()] || str(reaction) || "\u2753";
}

/**
 * What the page sent, as bubbles.
 * ctx: {interactive: bool, onPostback(button),
 *       resolveAttachment(id) -> Promise<{src, url, filename, download}>,
 *       attachmentId: the send's saved attachment id (is_reusable), if any}
 * Returns {type, template, nodes}.
 */
export function renderMessage(message, ctx) {
  message = obj(message);
  const nodes = [];
  let type = "text";
  let template = null;
  const text = str(message.text);
  if (text) nodes.push(h("p", { class: "bubble text" }, linkify(text)));
  const utility = obj(message.template);
  if (Object.keys(utility).length) {  // a utility message (messaging_type UTILITY)
    type = "utility";
    template = str(utility.name);
    nodes.push(utilityCard(utility, obj(ctx && ctx.utility), ctx));
  }
  if (message.sticker_id !== undefined && message.sticker_id !== null) {  // June 2026
    type = "sticker";
    nodes.push(renderSticker(message.sticker_id));
  }
  const attachment = obj(message.attachment);
  if (Object.keys(attachment).length) {
    type = str(attachment.type).toLowerCase() || "attachment";
    const payload = obj(attachment.payload);
    if (type === "template") {
      template = str(payload.template_type).toLowerCase() || "unknown";
      nodes.push(...renderTemplate(template, payload, ctx));
    } else {
      nodes.push(renderMedia(type, payload, ctx, "page"));
    }
  }
  if (!nodes.length) nodes.push(h("p", { class: "bubble text empty" }, "(empty message)"));
  return { type, template, nodes };
}

const REFERRAL_SOURCES = { SHORTLINK: "an m.me link", ADS: "an ad", CUSTOMER_CHAT_PLUGIN: "the chat plugin" };

/** How the person arrived: "Arrived by an m.me link · ref summer". */
export function referralText(referral) {
  const source = str(referral.source);
  const parts = [`Arrived by ${REFERRAL_SOURCES[source] ?? source}`];
  if (referral.ref !== undefined) parts.push(`ref ${str(referral.ref)}`);
  if (referral.ad_id !== undefined) parts.push(`ad ${str(referral.ad_id)}`);
  if (referral.referer_uri !== undefined) parts.push(str(referral.referer_uri));
  return parts.join(" \u00b7 ");
}

/** What the person did (an inbound message or postback), as bubbles: {type, nodes}. */
export function renderInbound(event) {
  const nodes = [];
  let type = "text";
  if (event.kind === "referral") {
    nodes.push(h("p", { class: "bubble text referral" }, referralText(obj(event.referral))));
    return { type: "referral", nodes };
  }
  if (event.kind === "optin") {  // the person answered an opt-in request (newer.js)
    nodes.push(renderOptin(obj(event.optin)));
    return { type: "optin", nodes };
  }
  if (event.kind === "postback") {
    type = "postback";
    nodes.push(h("p", { class: "bubble text postback-tap" }, str(event.title) || str(event.payload)));
    return { type, nodes };
  }
  if (event.quick_reply !== undefined && event.quick_reply !== null) type = "quick_reply";
  const text = str(event.text);
  if (text) nodes.push(h("p", { class: "bubble text" }, linkify(text)));
  for (const attachment of arr(event.attachments)) {
    const a = obj(attachment);
    type = str(a.type) || "attachment";
    nodes.push(renderMedia(type, obj(a.payload), {}, "person"));
  }
  if (!nodes.length) nodes.push(h("p", { class: "bubble text empty" }, "(empty message)"));
  return { type, nodes };
}

// --- attachments ------------------------------------------------------------------------------

const MEDIA_LABEL = { image: "Image", video: "Video", audio: "Audio", file: "File" };

function fileName(url) {
  try {
    const name = new URL(url).pathname.split("/").filter(Boolean).pop();
    return name ? decodeURIComponent(name) : url;
  } catch {
    return url;
  }
}

/** An audio, file, image or video attachment, by URL or by saved attachment id. */
function renderMedia(type, payload, ctx, who) {
  const label = MEDIA_LABEL[type] || type;
  const url = str(payload.url);
  const attachmentId = str(payload.attachment_id) || (url ? "" : str(ctx.attachmentId));
  const figure = h("figure", { class: `bubble media media-${type}`, dataset: { media: type } });
  const caption = h("figcaption", { class: "media-caption" });
  const owner = who === "page" ? "sent by the page" : "sent by the person";

  function show(src, name) {
    figure.querySelector(".media-body")?.remove();
    const body = mediaElement(type, src, name, `${label} ${owner}`, figure);
    figure.prepend(body);
  }

  if (url) {
    show(safeUrl(url), fileName(url));
    caption.append(extLink(url, url));
  } else if (attachmentId) {
    caption.title = `attachment ${attachmentId}`;
    caption.append(`${label} \u00b7 attachment ${attachmentId}`);
    show(null, "");
    ctx.resolveAttachment?.(attachmentId).then(
      (found) => {
        if (!found) return;
        // its uploaded file's name (or the name in its URL), never the emulator's data path
        const name = found.filename || (found.url ? fileName(found.url) : "");
        show(found.src, name);
        const shown = name || `attachment ${attachmentId}`;
        let link = shown;
        if (found.download) {
          link = h("a", { href: found.download, download: name || true, "data-testid": "attachment-link" }, shown);
        } else if (found.url) link = extLink(found.url, shown, { "data-testid": "attachment-link" });
        caption.replaceChildren(`${label} \u00b7 `, link);
      },
      () => {},
    );
  } else {
    caption.append(`${label} \u00b7 uploaded file`);
    show(null, "");
  }
  figure.append(caption);
  return figure;
}

function placeholder(type, text) {
  return h("div", { class: "media-body media-placeholder" }, icon(ICONS[type] || ICONS.file), h("span", {}, text));
}

/** The media itself: src is an http(s) URL (already checked) or null; name is what to call it. */
function mediaElement(type, src, name, alt, figure) {
  if (!src) return placeholder(type, type === "file" ? "File" : `${MEDIA_LABEL[type] || type} (no preview)`);
  if (type === "image") {
    const img = h("img", { class: "media-body", src, alt: name ? `${alt}: ${name}` : alt, loading: "lazy", decoding: "async" });
    img.addEventListener("error", () => {
      img.replaceWith(placeholder("image", "Image not loaded (offline or unreachable)"));
      figure.classList.add("broken");
    }, { once: true });
    return img;
  }
  if (type === "video") return h("video", { class: "media-body", src, controls: true, preload: "none", "aria-label": alt });
  if (type === "audio") return h("audio", { class: "media-body", src, controls: true, preload: "none", "aria-label": alt });
  return h("div", { class: "media-body file-card" }, icon(ICONS.file), h("span", {}, name || fileName(src)));
}

// --- buttons ----------------------------------------------------------------------------------

/** A template's buttons: postback (taps send the webhook), web_url (a new tab), the others shown. */
export function renderButtons(buttons, ctx) {
  const list = arr(buttons);
  if (!list.length) return null;
  return h("div", { class: "buttons", role: "group", "aria-label": "Buttons" }, list.map((b) => renderButton(obj(b), ctx)));
}

function renderButton(button, ctx) {
  const type = str(button.type).toLowerCase();
  const title = str(button.title) || type || "button";
  if (type === "postback") {
    const payload = str(button.payload);
    return h("button", {
      type: "button",
      class: "tbutton",
      "data-testid": "postback-button",
      dataset: { payload },
      disabled: !ctx.interactive,
      title: `postback \u00b7 ${payload}`,
      on: { click: () => ctx.onPostback?.(button) },
    }, title);
  }
  if (type === "web_url") {
    const href = safeUrl(button.url);
    if (!href) return h("span", { class: "tbutton static", "data-testid": "url-button" }, title, h("small", {}, ` (${str(button.url) || "no URL"})`));
    return h("a", {
      class: "tbutton",
      "data-testid": "url-button",
      href,
      target: "_blank",
      rel: "noopener noreferrer",
      title: href,
    }, title, h("span", { class: "visually-hidden" }, " (opens in a new tab)"), icon(ICONS.link));
  }
  if (type === "phone_number") {
    const number = str(button.payload);
    return h("span", { class: "tbutton static", "data-testid": "call-button", title: `Call ${number}` },
      icon(ICONS.phone), title, h("small", {}, ` ${number}`));
  }
  return h("span", { class: "tbutton static", "data-testid": `${type || "unknown"}-button`, title: type }, title,
    type && title !== type ? h("small", {}, ` (${type})`) : null);
}

// --- quick replies ------------------------------------------------------------------------------

/**
 * Quick reply chips. active: the page's latest message (taps send the webhook); else shown
 * as a muted reminder of what was offered.
 */
export function renderQuickReplies(quickReplies, { active, onQuickReply }) {
  const list = arr(quickReplies);
  if (!list.length) return null;
  const chips = list.map((reply) => {
    const r = obj(reply);
    const kind = str(r.content_type).toLowerCase() || "text";
    if (kind === "text") {
      const image = safeUrl(r.image_url);
      const title = str(r.title);
      return h("button", {
        type: "button",
        class: "chip",
        "data-testid": "quick-reply",
        dataset: { payload: str(r.payload), active },
        disabled: !active,
        title: `quick reply \u00b7 ${str(r.payload)}`,
        on: { click: () => onQuickReply?.(r) },
      }, image ? chipImage(image) : null, title || str(r.payload));
    }
    const label = kind === "user_phone_number" ? "Phone number" : kind === "user_email" ? "Email" : kind;
    return h("button", {
      type: "button",
      class: "chip",
      "data-testid": "quick-reply",
      dataset: { contentType: kind, active: false },
      disabled: true,
      title: `${kind}: Messenger fills in the person's own; not played by the emulator`,
    }, icon(kind === "user_email" ? ICONS.mail : ICONS.phone), label);
  });
  return h("div", {
    class: `quick-replies${active ? "" : " stale"}`,
    role: "group",
    "aria-label": active ? "Quick replies" : "Quick replies (no longer active)",
  }, chips);
}

function chipImage(src) {
  const img = h("img", { src, alt: "", loading: "lazy", class: "chip-image" });
  img.addEventListener("error", () => img.remove(), { once: true });
  return img;
}

// --- utility messages -----------------------------------------------------------------------

/**
 * A utility message as the person sees it: the template filled in (`filled`, the emulator's
 * record of an accepted send), or, for a refused send, its name and the parameters it carried.
 */
function utilityCard(sent, filled, ctx) {
  const label = h("p", { class: "card-label", "data-testid": "utility-label" },
    `Utility \u00b7 ${str(sent.name)} (${str(obj(sent.language).code)})`);
  if (!Object.keys(filled).length) {
    const values = arr(sent.components).flatMap((c) => arr(obj(c).parameters))
      .map((p) => str(obj(p).text || obj(p).payload || obj(p).url)).filter(Boolean);
    return h("div", { class: "bubble card utility" }, h("div", { class: "card-body" }, label,
      values.length ? h("p", { class: "card-subtitle" }, values.join(" \u00b7 ")) : null));
  }
  const buttons = arr(filled.buttons).map((b) => {
    b = obj(b);
    return str(b.type).toUpperCase() === "URL"
      ? { type: "web_url", title: str(b.title), url: str(b.url) }
      : { type: "postback", title: str(b.title), payload: str(b.payload) };
  });
  return h("div", { class: "bubble card utility", "data-testid": "utility" },
    h("div", { class: "card-body" }, label,
      str(filled.header) ? h("p", { class: "card-title" }, str(filled.header)) : null,
      h("p", { class: "card-text" }, linkify(str(filled.body)))),
    buttons.length ? renderButtons(buttons, ctx) : null);
}

// --- templates ------------------------------------------------------------------------------

function renderTemplate(template, payload, ctx) {
  switch (template) {
    case "generic": return [carousel(arr(payload.elements).map((e) => genericCard(obj(e), payload, ctx)))];
    case "button": return [buttonTemplate(payload, ctx)];
    case "media": return [mediaTemplate(payload, ctx)];
    case "receipt": return [receipt(payload)];
    case "customer_feedback": return [feedback(payload)];
    case "coupon": return coupon(payload, ctx);
    case "product": return [carousel(arr(payload.elements).map((e) => productCard(obj(e))))];
    default:
      return renderNewerTemplate(template, payload, ctx) || [h("div", { class: "bubble card unknown-template" },
        h("p", { class: "card-title" }, `Template \u201c${template}\u201d`),
        h("pre", { class: "json" }, JSON.stringify(payload, null, 2)))];
  }
}

function carousel(cards) {
  if (cards.length <= 1) return cards[0] || h("div", { class: "bubble card" }, "(no elements)");
  const track = h("div", {
    class: "carousel",
    role: "group",
    "aria-roledescription": "carousel",
    "aria-label": `${cards.length} cards, scroll sideways`,
    tabindex: "0",
  }, cards);
  // previous / next arrows, as Messenger's web client shows beside a carousel
  const step = (direction) => {
    const card = track.querySelector(".card");
    const width = card ? card.getBoundingClientRect().width + 8 : track.clientWidth;
    track.scrollBy({ left: direction * width, behavior: "smooth" });
  };
  const prev = h("button", { type: "button", class: "carousel-arrow prev", "data-testid": "carousel-prev", "aria-label": "Previous card", on: { click: () => step(-1) } }, "\u2039");
  const next = h("button", { type: "button", class: "carousel-arrow next", "data-testid": "carousel-next", "aria-label": "Next card", on: { click: () => step(1) } }, "\u203a");
  const update = () => {
    prev.disabled = track.scrollLeft <= 2;
    next.disabled = track.scrollLeft + track.clientWidth >= track.scrollWidth - 2;
  };
  track.addEventListener("scroll", update, { passive: true });
  track.addEventListener("scrollend", update, { passive: true });
  new ResizeObserver(update).observe(track);
  prev.disabled = true;
  return h("div", { class: "carousel-wrap" }, prev, track, next);
}

function cardImage(url, ratio) {
  const src = safeUrl(url);
  if (!src) return url ? h("p", { class: "card-url" }, str(url)) : null;
  const img = h("img", { src, alt: "", loading: "lazy", decoding: "async", class: `card-image ${ratio === "square" ? "square" : "horizontal"}` });
  img.addEventListener("error", () => img.replaceWith(h("div", { class: `card-image placeholder ${ratio === "square" ? "square" : "horizontal"}` }, icon(ICONS.image), h("span", {}, fileName(src)))), { once: true });
  return img;
}

function genericCard(element, payload, ctx) {
  const action = obj(element.default_action);
  const title = str(element.title);
  const titleNode = safeUrl(action.url)
    ? extLink(action.url, title, { title: `default action: ${action.url}` })
    : title;
  return h("article", { class: "bubble card", "data-testid": "card" },
    cardImage(element.image_url, str(payload.image_aspect_ratio).toLowerCase()),
    h("div", { class: "card-body" },
      h("p", { class: "card-title" }, titleNode),
      str(element.subtitle) ? h("p", { class: "card-subtitle" }, str(element.subtitle)) : null),
    renderButtons(element.buttons, ctx));
}

function productCard(element) {
  const id = str(element.id);
  return h("article", { class: "bubble card product", "data-testid": "card" },
    h("div", { class: "card-image placeholder horizontal" }, icon(ICONS.box), h("span", {}, "Catalog product")),
    h("div", { class: "card-body" },
      h("p", { class: "card-title" }, `Product ${id}`),
      h("p", { class: "card-subtitle" }, "Shown from the page's catalog")));
}

function buttonTemplate(payload, ctx) {
  return h("div", { class: "bubble card button-template" },
    h("div", { class: "card-body" }, h("p", { class: "card-text" }, linkify(str(payload.text)))),
    renderButtons(payload.buttons, ctx));
}

function mediaTemplate(payload, ctx) {
  const element = obj(arr(payload.elements)[0]);
  const type = str(element.media_type).toLowerCase() || "image";
  const url = str(element.url);
  // a Facebook URL is a page, not a media file: it cannot be shown here
  const media = url
    ? h("figure", { class: `media media-${type}`, dataset: { media: type } },
      placeholder(type, `Facebook ${type}`),
      h("figcaption", { class: "media-caption" }, extLink(url, url)))
    : renderMedia(type, { attachment_id: element.attachment_id }, { ...ctx, attachmentId: null }, "page");
  media.classList.remove("bubble");
  return h("div", { class: "bubble card media-template" }, media, renderButtons(element.buttons, ctx));
}

function money(amount, currency) {
  if (typeof amount !== "number" && typeof amount !== "string") return "";
  const value = Number(amount);
  if (Number.isNaN(value)) return str(amount);
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency: str(currency) || "USD" }).format(value);
  } catch {
    return `${value} ${str(currency)}`.trim();
  }
}

function receipt(p) {
  const currency = str(p.currency);
  const address = obj(p.address);
  const summary = obj(p.summary);
  const rows = (pairs) => pairs.filter(([, v]) => v !== "" && v !== null && v !== undefined)
    .map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, v)));
  const stamp = Number(str(p.timestamp));
  const when = str(p.timestamp) && !Number.isNaN(stamp)
    ? new Date(stamp * 1000).toISOString().replace("T", " ").slice(0, 16) + " UTC"
    : str(p.timestamp);
  const items = arr(p.elements).map((e) => {
    const el = obj(e);
    return h("li", { class: "receipt-item" },
      cardImage(el.image_url, "square"),
      h("div", { class: "receipt-item-text" },
        h("p", { class: "card-title" }, str(el.title)),
        str(el.subtitle) ? h("p", { class: "card-subtitle" }, str(el.subtitle)) : null,
        el.quantity !== undefined ? h("p", { class: "card-subtitle" }, `Qty ${str(el.quantity)}`) : null),
      h("p", { class: "receipt-price" }, money(el.price, str(el.currency) || currency)));
  });
  const addressText = [address.street_1, address.street_2, [address.city, address.state, address.postal_code].map(str).filter(Boolean).join(", "), address.country]
    .map(str).filter(Boolean).join("\n");
  return h("article", { class: "bubble card receipt", "data-testid": "receipt" },
    h("div", { class: "card-body" },
      h("p", { class: "receipt-heading" }, "Order confirmation"),
      h("p", { class: "card-title" }, str(p.recipient_name)),
      str(p.merchant_name) ? h("p", { class: "card-subtitle" }, str(p.merchant_name)) : null),
    items.length ? h("ul", { class: "receipt-items" }, items) : null,
    h("table", { class: "receipt-table" },
      h("caption", { class: "visually-hidden" }, "Order details"),
      h("tbody", {}, rows([
        ["Order number", str(p.order_number)],
        ["Order date", when],
        ["Paid with", str(p.payment_method)],
        ["Ship to", addressText ? h("span", { class: "pre" }, addressText) : ""],
        ...arr(p.adjustments).map((a) => [str(obj(a).name) || "Adjustment", `\u2212${money(obj(a).amount, currency)}`]),
        ["Subtotal", money(summary.subtotal, currency)],
        ["Shipping", money(summary.shipping_cost, currency)],
        ["Tax", money(summary.total_tax, currency)],
      ])),
      h("tfoot", {}, h("tr", { class: "receipt-total" }, h("th", { scope: "row" }, "Total"), h("td", {}, money(summary.total_cost, currency))))),
    safeUrl(p.order_url) ? h("div", { class: "buttons" }, h("a", { class: "tbutton", href: safeUrl(p.order_url), target: "_blank", rel: "noopener noreferrer" }, "View order", icon(ICONS.link))) : null);
}

function feedback(p) {
  const screen = obj(arr(p.feedback_screens)[0]);
  const question = obj(arr(screen.questions)[0]);
  const followUp = obj(question.follow_up);
  const scale = str(question.score_option) || str(question.type);
  return h("article", { class: "bubble card feedback", "data-testid": "customer-feedback" },
    h("div", { class: "card-body" },
      h("p", { class: "card-title" }, str(p.title)),
      str(p.subtitle) ? h("p", { class: "card-subtitle" }, str(p.subtitle)) : null,
      h("div", { class: "feedback-question" },
        h("p", {}, icon(ICONS.star), " ", str(question.title)),
        h("p", { class: "muted" },
          [str(question.type).toUpperCase(), scale.replaceAll("_", " "), str(question.score_label).replaceAll("_", " ")].filter(Boolean).join(" \u00b7 ")),
        str(followUp.placeholder) ? h("p", { class: "muted" }, `Follow-up: \u201c${str(followUp.placeholder)}\u201d`) : null),
      p.expires_in_days !== undefined ? h("p", { class: "muted" }, `Expires in ${str(p.expires_in_days)} day(s)`) : null,
      safeUrl(obj(p.business_privacy).url) ? h("p", { class: "muted" }, extLink(obj(p.business_privacy).url, "Privacy policy")) : null),
    h("div", { class: "buttons" }, h("span", { class: "tbutton static", title: "opens the feedback form in Messenger" }, str(p.button_title) || "Give feedback")));
}

function coupon(p, ctx) {
  const nodes = [];
  if (str(p.coupon_pre_message)) nodes.push(h("p", { class: "bubble text" }, str(p.coupon_pre_message)));
  const code = str(p.coupon_code);
  const link = safeUrl(p.coupon_url);
  nodes.push(h("article", { class: "bubble card coupon", "data-testid": "coupon" },
    cardImage(p.image_url, "horizontal"),
    h("div", { class: "card-body" },
      h("p", { class: "card-title" }, icon(ICONS.tag), " ", str(p.title)),
      str(p.subtitle) ? h("p", { class: "card-subtitle" }, str(p.subtitle)) : null,
      code ? h("p", { class: "coupon-code" }, h("span", { class: "visually-hidden" }, "Coupon code: "), h("code", {}, code)) : null,
      str(p.payload) ? h("p", { class: "muted" }, `payload ${str(p.payload)}`) : null),
    link ? h("div", { class: "buttons" }, h("a", { class: "tbutton", href: link, target: "_blank", rel: "noopener noreferrer" },
      str(p.coupon_url_button_title) || "Shop now", icon(ICONS.link))) : null));
  return nodes;
}
