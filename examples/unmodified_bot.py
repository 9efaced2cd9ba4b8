"""A bot with Graph's URL written into its code, as pymessenger and Ampalibe have it: nothing
here knows about the emulator. Standard library only, so it runs in any Python image.

    python examples/unmodified_bot.py 2000000000000001 "Hello"

Against the emulator it needs only what the environment gives it (see
examples/docker-compose.unmodified-bot.yml): either `graph.facebook.com` resolving to the
emulator's HTTPS port 443 (a network alias) and the emulator's authority trusted
(`SSL_CERT_FILE=/tls/ca.pem`), or `HTTPS_PROXY` naming the emulator's proxy (urllib reads it)
with the same trust. Exits 0 when Graph (or the emulator) accepted the message.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

GRAPH = "https://graph.facebook.com/v21.0/me/messages"


def send(recipient: str, text: str) -> tuple[int, dict[str, object]]:
    token = urllib.parse.quote(os.environ.get("PAGE_TOKEN", ""))
    body = {"recipient": {"id": recipient}, "messaging_type": "RESPONSE", "message": {"text": text}}
    request = urllib.request.Request(
        f"{GRAPH}?access_token={token}",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:  # Graph's refusals carry a JSON body too
        return error.code, json.load(error)


if __name__ == "__main__":
    status, answer = send(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "Hello")
    print(status, json.dumps(answer))
    sys.exit(0 if status == 200 else 1)
