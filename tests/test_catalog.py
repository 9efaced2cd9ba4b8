"""The error catalog is the rule ledger: well-formed, unique, sourced."""

from __future__ import annotations

import string

import pytest

from emulator.wire import catalog
from emulator.wire.errors import ErrorSpec


@pytest.mark.parametrize("spec", catalog.ALL, ids=lambda s: s.key)
def test_entry_is_complete_and_formats_cleanly(spec: ErrorSpec) -> None:
    fields = {name for _, name, _, _ in string.Formatter().parse(spec.message) if name}
    message = spec(**dict.fromkeys(fields, "X")).message
    assert "{{" not in message
    assert "}}" not in message
    assert spec.rule
    assert spec.source
    assert spec.confidence in ("D", "O", "I")
    assert 400 <= spec.status < 600


def test_keys_are_unique() -> None:
    assert len(catalog.BY_KEY) == len(catalog.ALL)


def test_a_bug_answers_in_graphs_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected failure inside the emulator is Graph's code 1, HTTP 500, never a trace."""
    import sys

    from conftest import IN_WINDOW, graph_error, make_client, send, text_to

    messages = sys.modules["emulator.edges.messages"]  # the package re-exports the function

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(messages, "parse_send", broken)
    with make_client() as client:
        response = send(client, text_to(IN_WINDOW))
        error = graph_error(response)
        assert (response.status_code, error["code"], error["error_subcode"]) == (500, 1, 99)
        assert error["message"] == "An unknown error occurred"
        assert client.get("/_emulator/requests").json()["data"][-1]["rule"] == "unknown_error"
