// The request inspector: the newest Graph calls (the journal) and webhook deliveries, newest
// first, each row expandable to its request, response and body. Rows are built once per record
// version and their details only when opened, and at most MAX_RECORDS of each are kept, so a
// long journal stays cheap.

import { h, clockTime, dayKey, prettyJson, str, obj, arr } from "./dom.js";

const PAGE_SIZE = 200; // rows shown, and per "Show older"
const MAX_RECORDS = 2000; // records kept of each kind (the newest)

export function createInspector(root, { api, fail, selection }) {
  const els = {
    tabs: root.querySelectorAll('[role="tab"]'),
    requestsPanel: root.querySelector("#inspector-requests"),
    webhooksPanel: root.querySelector("#inspector-webhooks"),
    requestList: root.querySelector("#request-list"),
    webhookList: root.querySelector("#webhook-list"),
    outcome: root.querySelector("#request-outcome"),
    deliveryStatus: root.querySelector("#webhook-status"),
    onlyConversation: root.querySelector("#inspector-only-conversation"),
    handshake: root.querySelector("#webhook-handshake"),
    requestCount: root.querySelector("#request-count"),
    webhookCount: root.querySelector("#webhook-count"),
    search: root.querySelector("#inspector-search"),
  };
  // id -> record, in ascending id order (the order ids are given in): newest last, no sorting
  const requests = new Map();
  const deliveries = new Map();
  const newest = new Map(); // map -> its newest id
  const rows = { requests: new Map(), webhooks: new Map() }; // id -> {node, version}
  const limits = { requests: PAGE_SIZE, webhooks: PAGE_SIZE };
  let webhookView = null;
  let loaded = false;
  let dirty = true;
  let visible = false;
  let loading = null;

  // --- tabs (arrow keys move between them, as the ARIA tabs pattern) -------------------------
  els.tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (event) => {
      const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      const next = els.tabs[(index + step + els.tabs.length) % els.tabs.length];
      next.focus();
      selectTab(next);
    });
  });

  function selectTab(tab) {
    for (const t of els.tabs) {
      const selected = t === tab;
      t.setAttribute("aria-selected", String(selected));
      t.tabIndex = selected ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !selected;
    }
  }

  for (const control of [els.outcome, els.deliveryStatus, els.onlyConversation, els.search]) {
    control.addEventListener(control === els.search ? "input" : "change", () => {
      limits.requests = limits.webhooks = PAGE_SIZE;
      render();
    });
  }

  // --- data ------------------------------------------------------------------------------------

  let buffered = []; // [kind, record] that came while a load was in flight

  async function load() {
    if (loading) return loading;
    buffered = [];
    loading = (async () => {
      try {
        const [journal, hooks] = await Promise.all([api.requests(), api.webhooks()]);
        fill(requests, arr(journal?.data));
        webhookView = hooks;
        fill(deliveries, arr(hooks?.data));
        loaded = true;
        // what happened while the answers were on their way: not lost, applied on top
        for (const [kind, record] of buffered) (kind === "request" ? putRequest : putWebhook)(record);
        dirty = true;
        render();
        revealFromHash();
      } catch (error) {
        fail(error, "Inspector");
      } finally {
        buffered = [];
        loading = null;
      }
    })();
    return loading;
  }

  /** The newest MAX_RECORDS records, by ascending id. */
  function fill(map, records) {
    map.clear();
    const sorted = records.every((r, i) => i === 0 || records[i - 1].id < r.id)
      ? records
      : [...records].sort((a, b) => a.id - b.id);
    for (const record of sorted.slice(-MAX_RECORDS)) map.set(record.id, record);
    newest.set(map, sorted.length ? sorted[sorted.length - 1].id : -Infinity);
  }

  /** Add or replace one record, keeping ascending ids and at most MAX_RECORDS. */
  function put(map, record) {
    if (map.has(record.id)) {
      map.set(record.id, record); // in place
      return;
    }
    if (record.id > (newest.get(map) ?? -Infinity)) {
      map.set(record.id, record);
      newest.set(map, record.id);
    } else {
      // older than the newest kept: too old to keep, or out of order (rare): re-sort once
      if (map.size >= MAX_RECORDS && record.id < map.keys().next().value) return;
      fill(map, [...map.values(), record]);
    }
    while (map.size > MAX_RECORDS) map.delete(map.keys().next().value);
  }

  function putRequest(entry) {
    put(requests, entry);
  }

  /** A delivery as it changes: never replaced by an older version of itself. */
  function putWebhook(record) {
    const known = deliveries.get(record.id);
    if (known && arr(known.attempts).length > arr(record.attempts).length) return;
    put(deliveries, record);
  }

  function addRequest(entry) {
    if (!entry || entry.id === undefined) return;
    if (loading) buffered.push(["request", entry]);
    if (!loaded) return;
    putRequest(entry);
    changed();
  }

  function upsertWebhook(record) {
    if (!record || record.id === undefined) return;
    if (loading) buffered.push(["webhook", record]);
    if (!loaded) return;
    putWebhook(record);
    changed();
  }

  /** Events may have been missed (the stream reopened): load again, now or when shown. */
  function resync() {
    if (visible) load();
    else loaded = false;
  }

  function clear() {
    fill(requests, []);
    fill(deliveries, []);
    rows.requests.clear();
    rows.webhooks.clear();
    els.requestList.replaceChildren();
    els.webhookList.replaceChildren();
    loaded = false;
  }

  let frame = null;
  function changed() {
    dirty = true;
    if (!visible || frame !== null) return;
    frame = setTimeout(() => {
      frame = null;
      render();
    }, 100);
  }

  function setVisible(value) {
    visible = value;
    if (visible && !loaded) load();
    else if (visible && dirty) render();
  }

  // --- rendering ------------------------------------------------------------------------------

  // --- search (as Mailpit's): the words typed, anywhere in a record (text, recipient, rule...) --
  const searchText = new WeakMap(); // record -> its text, lower case

  function matches(record) {
    const words = els.search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) return true;
    let text = searchText.get(record);
    if (text === undefined) {
      text = JSON.stringify(record).toLowerCase();
      searchText.set(record, text);
    }
    return words.every((word) => text.includes(word));
  }

  // --- links of their own: #call-<id>, #delivery-<id> ------------------------------------------
  function rowLink(kind, id) {
    return h("p", { class: "row-link" },
      h("a", { href: `#${kind}-${id}`, "data-testid": "row-link" }, `Link to this ${kind === "call" ? "call" : "delivery"}`));
  }

  /** Open (and show) the call or delivery the URL's fragment names; false if not here (yet). */
  function revealFromHash() {
    const match = /^#(call|delivery)-(\d+)$/.exec(location.hash);
    if (!match || !loaded) return false;
    const [, kind, id] = match;
    const map = kind === "call" ? requests : deliveries;
    const record = [...map.values()].find((r) => String(r.id) === id);
    if (!record) return false;
    selectTab(els.tabs[kind === "call" ? 0 : 1]);
    // whatever hides it goes: the search, the filters, the page of rows
    els.search.value = "";
    els.onlyConversation.checked = false;
    (kind === "call" ? els.outcome : els.deliveryStatus).value = "";
    const which = kind === "call" ? "requests" : "webhooks";
    limits[which] = Math.max(limits[which], [...map.values()].filter((r) => r.id >= record.id).length);
    render();
    const row = rows[which].get(record.id);
    if (!row) return false;
    row.node.open = true;
    row.node.scrollIntoView({ block: "nearest" });
    row.node.querySelector("summary").focus({ preventScroll: true });
    return true;
  }
  window.addEventListener("hashchange", () => revealFromHash());

  function inConversation(pageId, psid) {
    if (!els.onlyConversation.checked) return true;
    const selected = selection();
    return selected !== null && selected.pageId === pageId && selected.psid === psid;
  }

  /** The records that pass `keep`, newest first, and how many passed. Walks the id-ordered map
   * from its newest end; no sorting. Only the first `limit` are returned. */
  function newestFirst(map, keep, limit) {
    const values = [...map.values()];
    const shown = [];
    let count = 0;
    for (let i = values.length - 1; i >= 0; i -= 1) {
      if (!keep(values[i])) continue;
      count += 1;
      if (shown.length < limit) shown.push(values[i]);
    }
    return { shown, count };
  }

  function render() {
    if (!visible) return;
    dirty = false;
    const outcome = els.outcome.value;
    const calls = newestFirst(requests,
      (e) => (!outcome || e.outcome === outcome) && inConversation(e.page_id, recipientOf(e)) && matches(e), limits.requests);
    reconcile(els.requestList, rows.requests, calls, "requests", requestRow, (e) =>
      [e.status, e.outcome, e.duration_ms].join("|"));
    els.requestCount.textContent = countText(calls.count, requests.size, "call");

    renderHandshake();
    const status = els.deliveryStatus.value;
    const hooks = newestFirst(deliveries,
      (r) => (!status || r.status === status) && inConversation(r.page_id, r.psid) && matches(r), limits.webhooks);
    reconcile(els.webhookList, rows.webhooks, hooks, "webhooks", webhookRow, (r) =>
      [r.status, arr(r.attempts).length, r.signature_valid].join("|"));
    els.webhookCount.textContent = countText(hooks.count, deliveries.size, "delivery", "deliveries");
  }

  function countText(shown, total, one, many = `${one}s`) {
    const text = shown === total ? `${total} ${total === 1 ? one : many}` : `${shown} of ${total} ${many}`;
    return total >= MAX_RECORDS ? `${text} (the newest ${MAX_RECORDS} kept)` : text;
  }

  /** Keep the list's rows in order, reusing each record's row while its version is the same. */
  function reconcile(list, cache, { shown, count }, which, build, version) {
    const wanted = new Set();
    let previous = null;
    for (const record of shown) {
      wanted.add(record.id);
      const v = version(record);
      let row = cache.get(record.id);
      if (!row || row.version !== v) {
        const node = build(record);
        if (row) {
          node.open = row.node.open; // keep an opened row open, and the focus in it
          if (node.open) node.dispatchEvent(new Event("toggle"));
          const focused = row.node.contains(document.activeElement);
          row.node.replaceWith(node);
          if (focused) node.querySelector("summary").focus();
        }
        row = { node, version: v };
        cache.set(record.id, row);
      }
      const expected = previous ? previous.nextSibling : list.firstChild;
      if (expected !== row.node) list.insertBefore(row.node, expected);
      previous = row.node;
    }
    for (const [id, row] of cache) {
      if (!wanted.has(id)) {
        row.node.remove();
        cache.delete(id);
      }
    }
    let more = list.parentElement.querySelector(`.show-more[data-list="${which}"]`);
    if (count > shown.length) {
      if (!more) {
        more = h("button", {
          type: "button",
          class: "show-more",
          dataset: { list: which },
          on: { click: () => { limits[which] += PAGE_SIZE; render(); } },
        });
        list.after(more);
      }
      more.textContent = `Show ${Math.min(PAGE_SIZE, count - shown.length)} older`;
    } else more?.remove();
  }

  /** A <details> row whose body is built when first opened. */
  function lazyRow(attrs, summary, body) {
    const details = h("details", attrs, h("summary", {}, summary));
    let built = false;
    details.addEventListener("toggle", () => {
      if (!details.open || built) return;
      built = true;
      details.append(h("div", { class: "row-body" }, body()));
    });
    return details;
  }

  function section(title, value) {
    return h("section", { class: "json-section" },
      h("h4", {}, title),
      h("pre", { class: "json", tabindex: "0" }, h("code", {}, prettyJson(value))));
  }

  function facts(pairs) {
    return h("dl", { class: "facts" }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== "")
      .flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
  }

  function when(iso) {
    return h("time", { datetime: str(iso), title: str(iso) }, `${dayKey(iso).slice(5)} ${clockTime(iso, true)}`);
  }

  /** The PSID a call was for: as resolved, else as the client sent it (refused early). */
  function recipientOf(e) {
    if (typeof e.recipient === "string") return e.recipient;
    const sent = obj(obj(e.params).recipient).id;
    return typeof sent === "string" || typeof sent === "number" ? String(sent) : "";
  }

  /** What a send carried, in a word: text, image, template generic, typing_on... */
  function what(params) {
    if (typeof params.sender_action === "string") return params.sender_action;
    const message = typeof params.message === "string" ? null : obj(params.message);
    if (!message) return "";
    const attachment = obj(message.attachment);
    if (attachment.type === "template") return `template ${str(obj(attachment.payload).template_type)}`;
    if (attachment.type) return str(attachment.type);
    return message.text !== undefined ? "text" : "";
  }

  function requestRow(e) {
    const error = obj(obj(e.response).error);
    const ms = typeof e.duration_ms === "number" ? `${e.duration_ms.toFixed(e.duration_ms < 10 ? 1 : 0)} ms` : "";
    return lazyRow({
      class: `row request ${e.outcome}`,
      "data-testid": "request-row",
      id: `call-${e.id}`,
      dataset: { id: e.id, outcome: e.outcome, status: e.status, rule: e.rule || "" },
    }, [
      when(e.timestamp),
      h("span", { class: "method" }, str(e.method)),
      h("span", { class: "path", title: str(e.path) }, str(e.path)),
      recipientOf(e) ? h("span", { class: "recipient", title: "recipient" }, `\u2192 ${recipientOf(e)}`) : null,
      what(obj(e.params)) ? h("span", { class: "what" }, what(obj(e.params))) : null,
      h("span", { class: `status s${String(e.status)[0]}xx` }, String(e.status)),
      h("span", { class: `outcome ${e.outcome}` }, e.outcome === "accepted" ? "accepted" : "rejected"),
      e.rule ? h("span", { class: "rule", title: "rule" }, e.rule) : null,
      e.in_batch ? h("span", { class: "badge" }, "batch") : null,
      e.fault ? h("span", { class: "badge warn" }, "fault") : null,
      ms ? h("span", { class: "duration" }, ms) : null,
    ], () => [
      rowLink("call", e.id),
      facts([
        ["Page", str(e.page_id)],
        ["Recipient", typeof e.recipient === "object" && e.recipient ? JSON.stringify(e.recipient) : str(e.recipient)],
        ["Status", String(e.status)],
        ["Rule", str(e.rule)],
        ["JSON path", str(e.json_path)],
        ["Error", str(error.message)],
        ["Code", error.code !== undefined ? `${error.code}${error.error_subcode ? ` / ${error.error_subcode}` : ""}` : ""],
        ["Duration", ms],
        ["appsecret_proof", obj(e.params).appsecret_proof ? "sent" : ""],
        ["Notes", arr(e.notes).join("; ")],
        ["Fault", e.fault ? JSON.stringify(e.fault) : ""],
      ]),
      section("Request parameters", e.params ?? {}),
      section("Response body", e.response ?? null),
    ]);
  }

  /** ✓ / ✗ for the delivery's X-Hub-Signature-256, as the emulator checks it (null: unknown). */
  function signatureNode(r) {
    if (typeof r.signature_valid !== "boolean") return null;
    return h("span", {
      class: `signature-state ${r.signature_valid ? "valid" : "invalid"}`,
      "data-testid": "webhook-signature-valid",
      dataset: { valid: String(r.signature_valid) },
      title: r.signature_valid
        ? "X-Hub-Signature-256 matches the body with the app secret"
        : "X-Hub-Signature-256 does not match the body with the app secret (did the secret change?)",
    }, r.signature_valid ? "\u2713 signature valid" : "\u2717 signature invalid");
  }

  function webhookRow(r) {
    const attempts = arr(r.attempts);
    const last = obj(attempts[attempts.length - 1]);
    const latency = typeof last.latency_ms === "number" ? `${last.latency_ms} ms` : "";
    const refused = last.status === 401 || last.status === 403;
    const hint = refused ? `the bot answered ${last.status}: did it refuse the signature?` : "";
    return lazyRow({
      class: `row webhook ${r.status}`,
      "data-testid": "webhook-row",
      id: `delivery-${r.id}`,
      dataset: { id: r.id, field: r.field, status: r.status, signatureValid: typeof r.signature_valid === "boolean" ? r.signature_valid : null },
    }, [
      when(r.created),
      h("span", { class: "field" }, str(r.field)),
      h("span", { class: `delivery ${r.status}` }, str(r.status)),
      last.status !== undefined && last.status !== null ? h("span", { class: `status s${String(last.status)[0]}xx` }, String(last.status)) : null,
      h("span", { class: "attempts" }, `${attempts.length} attempt${attempts.length === 1 ? "" : "s"}`),
      latency ? h("span", { class: "duration" }, latency) : null,
      signatureNode(r),
      hint ? h("span", { class: "hint", "data-testid": "webhook-signature-hint" }, hint) : null,
    ], () => [
      rowLink("delivery", r.id),
      facts([
        ["URL", str(r.url)],
        ["Page / PSID", `${str(r.page_id)} / ${str(r.psid)}`],
        ["X-Hub-Signature-256", h("code", { class: "signature", "data-testid": "webhook-signature" }, str(r.signature))],
        ["X-Hub-Signature", r.signature_sha1 ? h("code", { class: "signature", "data-testid": "webhook-signature-sha1" }, str(r.signature_sha1)) : ""],
        ["Signature", "HMAC-SHA256 (and the legacy HMAC-SHA1) of the exact body with the app secret"],
        ["Checked", typeof r.signature_valid === "boolean"
          ? (r.signature_valid ? "\u2713 valid with the app secret" : "\u2717 invalid with the app secret (did it change?)")
          : ""],
        ["Hint", hint ? `${hint} Compare the bot's app secret with the scenario's.` : ""],
      ]),
      attempts.length
        ? h("table", { class: "attempts-table" },
          h("caption", {}, "Attempts"),
          h("thead", {}, h("tr", {}, ["#", "At", "Status", "Error", "Latency"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, attempts.map((a, i) => h("tr", {},
            h("td", {}, String(i + 1)),
            h("td", {}, clockTime(a.at, true)),
            h("td", {}, a.status === null || a.status === undefined ? "\u2014" : String(a.status)),
            h("td", {}, str(a.error) || "\u2014"),
            h("td", {}, typeof a.latency_ms === "number" ? `${a.latency_ms} ms` : "")))))
        : h("p", { class: "muted" }, "Not attempted yet."),
      section("Body", r.body),
    ]);
  }

  function renderHandshake() {
    const view = obj(webhookView);
    if (!view.configured) {
      els.handshake.replaceChildren(h("p", { class: "muted" },
        "No webhook in the scenario: the person's actions are recorded but not delivered to a bot."));
      return;
    }
    const shake = view.handshake ? obj(view.handshake) : null;
    els.handshake.replaceChildren(
      h("p", {}, h("strong", {}, "Webhook "), h("code", {}, str(view.url))),
      h("p", { class: shake?.ok ? "ok" : "bad", "data-testid": "webhook-handshake-state" },
        !shake ? "Handshake: not run yet"
          : shake.ok ? `Handshake: ok (${str(shake.status)}, ${str(shake.latency_ms)} ms)`
            : `Handshake failed: ${str(shake.error) || str(shake.status)}`),
      arr(view.fields).length ? h("p", { class: "muted" }, `Fields: ${arr(view.fields).join(", ")}`) : null,
    );
  }

  /** After a person action (which may change the handshake view) the config is re-read lazily. */
  async function refreshWebhookView() {
    try {
      const hooks = await api.webhooks();
      webhookView = hooks;
      if (visible) renderHandshake();
    } catch {
      /* the next load shows it */
    }
  }

  selectTab(els.tabs[0]);
  return { load, resync, addRequest, upsertWebhook, clear, setVisible, render, refreshWebhookView, get loaded() { return loaded; } };
}
