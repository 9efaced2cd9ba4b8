"""A small Messenger bot to run against the emulator (or the real platform).

It verifies the webhook handshake and every delivery's X-Hub-Signature-256, and answers each
message through the Send API: text with two quick replies, and a button template with a
postback button. Settings come from the environment:

    GRAPH_URL     http://127.0.0.1:8787 (the emulator; https://graph.facebook.com in production)
    PAGE_TOKEN    ACME_PAGE_TOKEN (the default scenario's token)
    APP_SECRET    dev-app-secret
    VERIFY_TOKEN  verify-me
    PORT          3000

Run:  python examples/echo_bot.py   (needs starlette, uvicorn and httpx)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

log = logging.getLogger("echo_bot")


def create_bot(graph_url: str, page_token: str, app_secret: str, verify_token: str) -> Starlette:
    """The bot as an ASGI app, so tests can run it on any port."""
    send_url = f"{graph_url.rstrip('/')}/v21.0/me/messages"
    seen: list[dict[str, Any]] = []  # every verified event, for whoever runs the bot

    async def handshake(request: Request) -> Response:
        query = request.query_params
        if query.get("hub.mode") == "subscribe" and query.get("hub.verify_token") == verify_token:
            return PlainTextResponse(query.get("hub.challenge", ""))
        return Response(status_code=403)

    async def receive(request: Request) -> Response:
        body = await request.body()
        signature = request.headers.get("x-hub-signature-256", "")
        expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature, expected):
            log.warning("rejected a delivery with a bad signature")
            return Response(status_code=403)
        replies = []
        for entry in json.loads(body).get("entry", []):
            for event in entry.get("messaging", []):
                seen.append(event)
                reply = answer(event)
                if reply is not None:
                    replies.append(reply)
        # Answer the platform at once; talk back through the Send API afterwards.
        return Response(status_code=200, background=BackgroundTask(send_all, replies))

    async def send_all(replies: list[dict[str, Any]]) -> None:
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            for reply in replies:
                response = await client.post(
                    send_url, params={"access_token": page_token}, json=reply
                )
                if response.status_code != 200:
                    log.warning("the Send API refused a reply: %s", response.text)

    app = Starlette(
        routes=[
            Route("/webhook", handshake, methods=["GET"]),
            Route("/webhook", receive, methods=["POST"]),
        ]
    )
    app.state.seen = seen
    return app


def answer(event: dict[str, Any]) -> dict[str, Any] | None:
    """What the bot says back to one event (None: nothing)."""
    psid = event["sender"]["id"]
    message = event.get("message")
    if event.get("postback"):
        text = f"You tapped {event['postback']['title']}. Thanks!"
        return {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": text}}
    if not message or message.get("is_echo"):
        return None
    if "quick_reply" in message:
        return {
            "recipient": {"id": psid},
            "messaging_type": "RESPONSE",
            "message": {
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": "button",
                        "text": f"You picked {message['quick_reply']['payload']}. Anything else?",
                        "buttons": [
                            {"type": "postback", "title": "Talk to us", "payload": "HUMAN"}
                        ],
                    },
                }
            },
        }
    return {
        "recipient": {"id": psid},
        "messaging_type": "RESPONSE",
        "message": {
            "text": f"You said: {message.get('text', '(an attachment)')}",
            "quick_replies": [
                {"content_type": "text", "title": "Shoes", "payload": "SHOES"},
                {"content_type": "text", "title": "Socks", "payload": "SOCKS"},
            ],
        },
    }


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    bot = create_bot(
        os.environ.get("GRAPH_URL", "http://127.0.0.1:8787"),
        os.environ.get("PAGE_TOKEN", "ACME_PAGE_TOKEN"),
        os.environ.get("APP_SECRET", "dev-app-secret"),
        os.environ.get("VERIFY_TOKEN", "verify-me"),
    )
    uvicorn.run(bot, host="127.0.0.1", port=int(os.environ.get("PORT", "3000")))
