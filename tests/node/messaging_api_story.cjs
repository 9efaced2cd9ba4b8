// The handover story and the Personas API through a real client, messaging-api-messenger
// (Bottender's), pointed at the emulator with its `origin` option. Run by
// tests/test_node_clients.py with NODE_PATH naming where the package was installed.
// Prints one JSON object of what each call answered.
const { MessengerClient } = require("messaging-api-messenger");

const base = process.env.EMULATOR_URL;
const psid = process.env.PSID;
const client = new MessengerClient({
  accessToken: process.env.PAGE_TOKEN,
  version: "21.0",
  origin: base,
});

async function control(method, path, body) {
  const response = await fetch(`${base}/_emulator${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json();
}

async function refused(call) {
  try {
    await call();
    return null;
  } catch (error) {
    const graph = error.response && error.response.data && error.response.data.error;
    return graph ? { code: graph.code, subcode: graph.errorSubcode, message: graph.message } : String(error);
  }
}

(async () => {
  const out = {};
  const persona = await client.createPersona({
    name: "Ann from support",
    profilePictureUrl: "https://acme.test/ann.png",
  });
  out.persona = await client.getPersona(persona.id);
  out.personas = await client.getAllPersonas();
  out.asPersona = await client.sendText(psid, "Hello, Ann here", { personaId: persona.id });
  out.typing = await client.typingOn(psid, { personaId: persona.id });
  out.receivers = await client.getSecondaryReceivers();
  out.pass = await client.passThreadControlToPageInbox(psid, "to a human");
  out.ownerAfterPass = await client.getThreadOwner(psid);
  out.refusedWhileInbox = await refused(() => client.sendText(psid, "still there?"));
  out.passedBack = await control("POST", `/pages/${process.env.PAGE_ID}/threads/${psid}/pass`, {
    metadata: "back to the bot",
  });
  out.ownerAfterPassBack = await client.getThreadOwner(psid);
  out.again = await client.sendText(psid, "I'm back");
  out.deleted = await client.deletePersona(persona.id);
  out.refusedPersona = await refused(() => client.sendText(psid, "x", { personaId: persona.id }));
  console.log(JSON.stringify(out));
})().catch((error) => {
  console.error(error && error.stack ? error.stack : error);
  process.exit(1);
});
