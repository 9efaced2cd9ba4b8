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
