// Message content the platform added or retired on a date (issue 13), as Messenger shows it:
// stickers (June 2026), the image grid template (June 2026), the opt-in requests (marketing
// messages until 10 February 2026, the one-time notification) and the airline templates.
// Every field is read defensively: a refused send is rendered too.

import { h, icon, ICONS, safeUrl, extLink, str, arr, obj } from "./dom.js";
import { renderButtons } from "./render.js";

/** A sticker: its id (the emulator has no sticker catalog to draw it from). */
export function renderSticker(stickerId) {
  return h("figure", { class: "bubble sticker", "data-testid": "sticker" },
    h("span", { class: "sticker-face", "aria-hidden": "true" }, "\ud83d\ude42"),
    h("figcaption", { class: "muted" }, `Sticker ${str(stickerId)}`));
}

/** The nodes of a newer template, or null when `template` is not one of them. */
export function renderNewerTemplate(template, payload, ctx) {
  switch (template) {
    case "image_grid": return [imageGrid(payload, ctx)];
    case "notification_messages": return [optinRequest(payload, str(payload.title) || "Updates and promotions",
      str(payload.notification_messages_cta_text).replaceAll("_", " ").toLowerCase() || "get messages",
      str(payload.notification_messages_frequency).toLowerCase())];
    case "one_time_notif_req": return [optinRequest(payload, str(payload.title), "notify me", "")];
    case "airline_boardingpass": return arr(payload.boarding_pass).map((b) => airlineCard(payload, obj(b).flight_info, "Boarding pass", obj(b)));
    case "airline_checkin": return [airlineCard(payload, arr(payload.flight_info)[0], "Check-in", { checkin_url: payload.checkin_url })];
    case "airline_itinerary": return [airlineCard(payload, arr(payload.flight_info)[0], "Itinerary", { total: `${str(payload.total_price)} ${str(payload.currency)}` })];
    case "airline_update": return [airlineCard(payload, payload.update_flight_info, `Flight update: ${str(payload.update_type).replaceAll("_", " ")}`, {})];
    default: return null;
  }
}

function gridImage(image) {
  const src = safeUrl(image.url);
  const action = obj(image.action);
  const hero = image.is_hero_image === true || str(image.is_hero_image).toLowerCase() === "true";
  const picture = src
    ? h("img", { src, alt: "", loading: "lazy", decoding: "async" })
    : h("div", { class: "placeholder" }, icon(ICONS.image));
  const tap = str(action.type) === "postback" ? `tap: postback ${str(action.payload)}`
    : safeUrl(action.url) ? `tap: ${action.url}` : "";
  return h("div", { class: `grid-image${hero ? " hero" : ""}`, title: tap || null }, picture);
}

function imageGrid(payload, ctx) {
  const element = obj(arr(payload.elements)[0]);
  const images = arr(element.images).map((i) => gridImage(obj(i)));
  return h("article", { class: "bubble card image-grid", "data-testid": "image-grid" },
    h("div", { class: `grid grid-${images.length}` }, images),
    str(element.title) || str(element.subtitle)
      ? h("div", { class: "card-body" },
        str(element.title) ? h("p", { class: "card-title" }, str(element.title)) : null,
        str(element.subtitle) ? h("p", { class: "card-subtitle" }, str(element.subtitle)) : null)
      : null,
    renderButtons(element.buttons, ctx));
}

function optinRequest(payload, title, action, frequency) {
  const image = safeUrl(payload.image_url);
  return h("article", { class: "bubble card optin-request", "data-testid": "optin-request" },
    image ? h("img", { src: image, alt: "", class: "card-image horizontal", loading: "lazy" }) : null,
    h("div", { class: "card-body" },
      h("p", { class: "card-title" }, icon(ICONS.mail), " ", title),
      frequency ? h("p", { class: "card-subtitle" }, `Messages ${frequency}`) : null,
      h("p", { class: "muted" }, `payload ${str(payload.payload)}`)),
    h("div", { class: "buttons" }, h("span", { class: "tbutton static", title: "the person answers with the composer's Opt in" }, action)));
}

function airport(value) {
  const a = obj(value);
  return [str(a.airport_code), str(a.city)].filter(Boolean).join(" ");
}

function airlineCard(payload, flight, heading, extra) {
  const f = obj(flight);
  const schedule = obj(f.flight_schedule);
  const checkin = safeUrl(extra.checkin_url);
  return h("article", { class: "bubble card airline", "data-testid": "airline" },
    h("div", { class: "card-body" },
      h("p", { class: "receipt-heading" }, heading),
      str(payload.intro_message) ? h("p", { class: "card-subtitle" }, str(payload.intro_message)) : null,
      h("p", { class: "card-title" }, `${str(f.flight_number)} \u00b7 ${airport(f.departure_airport)} \u2192 ${airport(f.arrival_airport)}`),
      str(schedule.departure_time) ? h("p", { class: "muted" }, `Departs ${str(schedule.departure_time)}`) : null,
      extra.passenger_name ? h("p", { class: "muted" }, `${str(extra.passenger_name)} \u00b7 seat ${str(extra.seat) || "\u2014"}`) : null,
      str(payload.pnr_number) || extra.pnr_number ? h("p", { class: "muted" }, `PNR ${str(payload.pnr_number) || str(extra.pnr_number)}`) : null,
      extra.total ? h("p", { class: "muted" }, `Total ${extra.total}`) : null),
    checkin ? h("div", { class: "buttons" }, extLink(checkin, "Check in")) : null);
}

/** The person's answer to an opt-in request: which one, and the token the page now holds. */
export function renderOptin(optin) {
  const token = str(optin.notification_messages_token) || str(optin.one_time_notif_token);
  const what = str(optin.type) === "one_time_notif_req" ? "Notify me" : `Get messages (${str(optin.notification_messages_frequency).toLowerCase()})`;
  return h("p", { class: "bubble text optin", "data-testid": "optin" },
    icon(ICONS.mail), ` ${what} \u00b7 payload ${str(optin.payload)} \u00b7 token ${token}`);
}
