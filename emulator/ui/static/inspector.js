// The request inspector: every Graph call (the journal) and every webhook delivery, newest
// first, each row expandable to its request, response and body. Rows are built once per record
// version and their details only when opened, so a long journal stays cheap.

import { h, clockTime, dayKey, prettyJson, str, obj, arr } from "./dom.js";

const PAGE_SIZE = 200;

export function createInspector(root, { api, notify, selection }) {
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
  };
  const requests = new Map(); // id -> journal entry
  const deliveries = new Map(); // id -> delivery record
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

  for (const control of [els.outcome, els.deliveryStatus, els.onlyConversation]) {
    control.addEventListener("change", () => {
      limits.requests = limits.webhooks = PAGE_SIZE;
      render();
    });
  }

  // --- data ------------------------------------------------------------------------------------

  async function load() {
    if (loading) return loading;
    loading = (async () => {
      try {
        const [journal, hooks] = await Promise.all([api.requests(), api.webhooks()]);
        requests.clear();
        for (const entry of arr(journal?.data)) requests.set(entry.id, entry);
        webhookView = hooks;
        deliveries.clear();
        for (const record of arr(hooks?.data)) deliveries.set(record.id, record);
        loaded = true;
        dirty = true;
        render();
      } catch (error) {
        notify(`Inspector: ${error.message}`, { level: "error" });
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  function addRequest(entry) {
    if (!loaded || !entry || entry.id === undefined) return;
    requests.set(entry.id, entry);
    changed();
  }

  function upsertWebhook(record) {
    if (!loaded || !record || record.id === undefined) return;
    deliveries.set(record.id, record);
    changed();
  }

  function clear() {
    requests.clear();
    deliveries.clear();
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

  function inConversation(pageId, psid) {
    if (!els.onlyConversation.checked) return true;
    const selected = selection();
    return selected !== null && selected.pageId === pageId && selected.psid === psid;
  }

  function render() {
    if (!visible) return;
    dirty = false;
    const outcome = els.outcome.value;
    const entries = [...requests.values()]
      .filter((e) => (!outcome || e.outcome === outcome) && inConversation(e.page_id, recipientOf(e)))
      .sort((a, b) => b.id - a.id);
    reconcile(els.requestList, rows.requests, entries, "requests", requestRow, (e) =>
      [e.status, e.outcome, e.duration_ms].join("|"));
    els.requestCount.textContent = countText(entries.length, requests.size, "call");

    renderHandshake();
    const status = els.deliveryStatus.value;
    const records = [...deliveries.values()]
      .filter((r) => (!status || r.status === status) && inConversation(r.page_id, r.psid))
      .sort((a, b) => b.id - a.id);
    reconcile(els.webhookList, rows.webhooks, records, "webhooks", webhookRow, (r) =>
      [r.status, arr(r.attempts).length].join("|"));
    els.webhookCount.textContent = countText(records.length, deliveries.size, "delivery", "deliveries");
  }

  function countText(shown, total, one, many = `${one}s`) {
    return shown === total ? `${total} ${total === 1 ? one : many}` : `${shown} of ${total} ${many}`;
  }

  /** Keep the list's rows in order, reusing each record's row while its version is the same. */
  function reconcile(list, cache, records, which, build, version) {
    const shown = records.slice(0, limits[which]);
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
    if (records.length > shown.length) {
      if (!more) {
        more = h("button", {
          type: "button",
          class: "show-more",
          dataset: { list: which },
          on: { click: () => { limits[which] += PAGE_SIZE; render(); } },
        });
        list.after(more);
      }
      more.textContent = `Show ${Math.min(PAGE_SIZE, records.length - shown.length)} older`;
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

  function webhookRow(r) {
    const attempts = arr(r.attempts);
    const last = obj(attempts[attempts.length - 1]);
    const latency = typeof last.latency_ms === "number" ? `${last.latency_ms} ms` : "";
    return lazyRow({
      class: `row webhook ${r.status}`,
      "data-testid": "webhook-row",
      dataset: { id: r.id, field: r.field, status: r.status },
    }, [
      when(r.created),
      h("span", { class: "field" }, str(r.field)),
      h("span", { class: `delivery ${r.status}` }, str(r.status)),
      last.status !== undefined && last.status !== null ? h("span", { class: `status s${String(last.status)[0]}xx` }, String(last.status)) : null,
      h("span", { class: "attempts" }, `${attempts.length} attempt${attempts.length === 1 ? "" : "s"}`),
      latency ? h("span", { class: "duration" }, latency) : null,
    ], () => [
      facts([
        ["URL", str(r.url)],
        ["Page / PSID", `${str(r.page_id)} / ${str(r.psid)}`],
        ["X-Hub-Signature-256", h("code", { class: "signature", "data-testid": "webhook-signature" }, str(r.signature))],
        ["Signature", "HMAC-SHA256 of the exact body with the app secret"],
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
  return { load, addRequest, upsertWebhook, clear, setVisible, render, refreshWebhookView, get loaded() { return loaded; } };
}
