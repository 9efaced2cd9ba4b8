// A bot whose Graph URL is fixed to https://graph.facebook.com, as Botkit's Facebook adapter
// builds it, run unmodified against the emulator through its proxy:
//
//   send-api-emulator serve --proxy-port 8790 &
//   HTTPS_PROXY=http://127.0.0.1:8790 NODE_EXTRA_CA_CERTS=$(send-api-emulator ca) \
//     PAGE_TOKEN=ACME_PAGE_TOKEN node examples/node/https_bot.mjs 2000000000000001 "Hello"
//
// Node's own https module does not read HTTPS_PROXY (Node 24+ does with NODE_USE_ENV_PROXY=1);
// the libraries bots use do, the way `request` (Botkit's adapter) and `tunnel-agent` do it: a
// CONNECT to the proxy, then TLS over that tunnel. This file does the same with Node's own
// modules, so it runs with nothing installed. NODE_EXTRA_CA_CERTS makes Node trust the
// emulator's local authority, so the certificate for graph.facebook.com checks out.
import http from "node:http";
import https from "node:https";
import tls from "node:tls";

const GRAPH = "https://graph.facebook.com/v21.0/me/messages"; // fixed, as in the adapter

function tunnelAgent(proxyUrl) {
  const proxy = new URL(proxyUrl);
  const agent = new https.Agent({ keepAlive: false });
  agent.createConnection = (options, callback) => {
    const connect = http.request({
      host: proxy.hostname,
      port: proxy.port,
      method: "CONNECT",
      path: `${options.host}:${options.port}`,
      headers: { host: `${options.host}:${options.port}` },
    });
    connect.once("connect", (response, socket) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        callback(new Error(`proxy refused CONNECT: ${response.statusCode}`));
        return;
      }
      callback(null, tls.connect({ socket, servername: options.host }));
    });
    connect.once("error", callback);
    connect.end();
  };
  return agent;
}

function send(recipient, text) {
  const proxy = process.env.HTTPS_PROXY || process.env.https_proxy;
  const url = new URL(GRAPH);
  url.searchParams.set("access_token", process.env.PAGE_TOKEN);
  const body = JSON.stringify({
    recipient: { id: recipient },
    messaging_type: "RESPONSE",
    message: { text },
  });
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        agent: proxy ? tunnelAgent(proxy) : undefined,
      },
      (response) => {
        let data = "";
        response.on("data", (chunk) => (data += chunk));
        response.on("end", () => resolve({ status: response.statusCode, body: JSON.parse(data) }));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

const [recipient, text] = process.argv.slice(2);
const answer = await send(recipient, text);
console.log(JSON.stringify(answer));
process.exit(answer.status === 200 ? 0 : 1);
