// A test suite in another language against the emulator as a sidecar: plain HTTP, nothing
// but Node's own test runner, assertions and fetch (Node 18 or newer, no npm packages).
//
//   send-api-emulator serve &                       # the bundled default scenario
//   send-api-emulator ready --wait 30
//   EMULATOR_URL=http://127.0.0.1:8787 node --test examples/node/send_api.test.mjs
//
// Every test starts from the scenario's initial state (POST /_emulator/reset). Your bot's
// tests look the same: point the bot's Graph base URL at EMULATOR_URL, make it act, then read
// what it sent from GET /_emulator/messages.

import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";

const BASE = (process.env.EMULATOR_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");

// From the bundled default scenario (emulator/scenario/default.yaml).
const TOKEN = "ACME_PAGE_TOKEN";
const PAGE = "110000000000001";
const ADA = "2000000000000001"; // wrote 1 hour ago: inside the 24-hour window
const GRACE = "2000000000000002"; // wrote 3 days ago: outside it

const OUTSIDE_WINDOW =
  "(#10) This message is sent outside of allowed window. Learn more about the new policy " +
  "here: https://developers.facebook.com/docs/messenger-platform/policy-overview";

async function call(method, path, body) {
  const response = await fetch(BASE + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

// A text message through the Send API, exactly as a bot sends it to graph.facebook.com.
function sendText(psid, text) {
  const query = new URLSearchParams({ access_token: TOKEN });
  return call("POST", `/v21.0/me/messages?${query}`, {
    recipient: { id: psid },
    messaging_type: "RESPONSE",
    message: { text },
  });
}

before(async () => {
  try {
    const health = await call("GET", "/_emulator/health");
    assert.equal(health.status, 200);
  } catch (error) {
    throw new Error(
      `no emulator answers at ${BASE} (start one: send-api-emulator serve): ${error.message}`,
    );
  }
});

beforeEach(async () => {
  const reset = await call("POST", "/_emulator/reset");
  assert.equal(reset.status, 200);
});

after(async () => {
  await call("POST", "/_emulator/reset"); // leave the sidecar clean
});

test("a send inside the window answers recipient_id and message_id", async () => {
  const sent = await sendText(ADA, "Your order has shipped");
  assert.equal(sent.status, 200);
  assert.deepEqual(Object.keys(sent.body).sort(), ["message_id", "recipient_id"]);
  assert.equal(sent.body.recipient_id, ADA);
  assert.match(sent.body.message_id, /^m_[A-Za-z0-9_-]+$/);

  // what the emulator accepted, as the bot sent it
  const { body } = await call("GET", `/_emulator/messages?recipient_id=${ADA}`);
  assert.equal(body.data.length, 1);
  const [message] = body.data;
  assert.equal(message.message_id, sent.body.message_id);
  assert.equal(message.page_id, PAGE);
  assert.equal(message.messaging_type, "RESPONSE");
  assert.deepEqual(message.message, { text: "Your order has shipped" });
});

test("a send outside the window is refused in Graph's words", async () => {
  const refused = await sendText(GRACE, "Still there?");
  assert.equal(refused.status, 400);
  const { error } = refused.body;
  assert.equal(error.code, 10);
  assert.equal(error.error_subcode, 2018278);
  assert.equal(error.type, "OAuthException");
  assert.equal(error.message, OUTSIDE_WINDOW);
  assert.equal(typeof error.fbtrace_id, "string");

  // nothing was sent; the journal says which rule refused it
  const messages = await call("GET", "/_emulator/messages");
  assert.deepEqual(messages.body.data, []);
  const requests = await call("GET", "/_emulator/requests?outcome=rejected");
  assert.equal(requests.body.data.at(-1).rule, "outside_window");
  assert.notEqual(requests.body.data.at(-1).params.access_token, TOKEN); // masked
});

test("the person writes, which opens the window", async () => {
  const wrote = await call("POST", `/_emulator/pages/${PAGE}/users/${GRACE}/messages`, {
    text: "hi again",
  });
  assert.equal(wrote.status, 200); // 201 would mean a person the scenario did not know
  assert.match(wrote.body.mid, /^m_/);

  const sent = await sendText(GRACE, "Welcome back!");
  assert.equal(sent.status, 200);
  assert.equal(sent.body.recipient_id, GRACE);
});

test("moving the clock 25 hours closes the window", async () => {
  const start = await call("GET", "/_emulator/clock");
  const moved = await call("POST", "/_emulator/clock", { advance: "25h" });
  assert.equal(moved.status, 200);
  const hours = (Date.parse(moved.body.now) - Date.parse(start.body.now)) / 3_600_000;
  assert.ok(hours >= 25, `the clock moved ${hours} h`);

  const refused = await sendText(ADA, "Too late");
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error.code, 10);
  assert.equal(refused.body.error.error_subcode, 2018278);
});
