"""Real Node clients against a real server: messaging-api-messenger (Bottender's client) runs
the handover story and the Personas API (tests/node/messaging_api_story.cjs).

The package comes from the npm registry into a cache directory once per machine; without node,
npm or the registry the test is skipped, saying which was missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, LiveServer

NODE = shutil.which("node")
NPM = shutil.which("npm")
PACKAGE = "messaging-api-messenger@1.1.0"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "send-api-emulator-tests"
DEFAULT_SCENARIO = ROOT / "emulator" / "scenario" / "default.yaml"
PSID = "2000000000000001"
PAGE_ID = "110000000000001"
PAGE_INBOX = "263902037430900"

pytestmark = pytest.mark.skipif(NODE is None or NPM is None, reason="node or npm is not on PATH")


def installed(package: str) -> Path:
    """node_modules holding `package`, installed into the cache on first use."""
    assert NPM is not None
    prefix = CACHE / package.replace("@", "-").replace("/", "_")
    modules = prefix / "node_modules"
    if not (modules / package.rsplit("@", 1)[0]).is_dir():
        prefix.mkdir(parents=True, exist_ok=True)
        try:
            result = subprocess.run(
                [NPM, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", package],
                capture_output=True,
                text=True,
                timeout=300,
            )
        except subprocess.TimeoutExpired:
            pytest.skip(f"npm did not install {package} within 300 s (no registry?)")
        if result.returncode != 0:
            pytest.skip(f"npm could not install {package}: {result.stderr.strip()[-300:]}")
    return modules


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    live = LiveServer(DEFAULT_SCENARIO, tmp_path_factory.mktemp("node-clients") / "emulator.log")
    yield live.url
    live.stop()


def test_messaging_api_messenger_runs_the_handover_story_and_personas(server: str) -> None:
    assert NODE is not None
    modules = installed(PACKAGE)
    result = subprocess.run(
        [NODE, str(ROOT / "tests" / "node" / "messaging_api_story.cjs")],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "NODE_PATH": str(modules),
            "EMULATOR_URL": server,
            "PAGE_TOKEN": "ACME_PAGE_TOKEN",
            "PAGE_ID": PAGE_ID,
            "PSID": PSID,
        },
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    # Personas: created, read, listed (the client follows Graph's paging), spoken as
    assert out["persona"]["name"] == "Ann from support"
    assert [persona["id"] for persona in out["personas"]] == [out["persona"]["id"]]
    assert out["asPersona"]["recipientId"] == PSID
    assert out["typing"]["recipientId"] == PSID
    # Handover: the Page Inbox is a secondary receiver; the thread passes to it and back
    assert PAGE_INBOX in [receiver["id"] for receiver in out["receivers"]]
    assert out["pass"] == {"success": True}
    assert out["ownerAfterPass"]["appId"] == PAGE_INBOX
    assert out["refusedWhileInbox"] == {
        "code": 10,
        "subcode": 2018300,
        "message": "(#10) Message failed to send because another app is controlling this "
        "thread now.",
    }
    assert out["ownerAfterPassBack"]["appId"] != PAGE_INBOX
    assert out["again"]["recipientId"] == PSID
    # A deleted persona can no longer speak
    assert out["deleted"] == {"success": True}
    assert out["refusedPersona"]["code"] == 100
