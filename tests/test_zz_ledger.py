"""The rule ledger's promise: every rule the emulator enforces is triggered by some test.

Runs last (file order) and only with the whole suite: conftest records every catalog error
raised in-process and every rule the live server's journal shows.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TRIGGERED_RULES

from emulator.wire import catalog


def test_every_ledger_rule_is_triggered_by_a_test(request: pytest.FixtureRequest) -> None:
    ran = {item.module.__name__ for item in request.session.items}  # type: ignore[attr-defined]
    suite = {path.stem for path in Path(__file__).parent.glob("test_*.py")}
    if ran != suite:
        pytest.skip("needs the whole suite: it checks what the other tests triggered")
    missing = sorted(set(catalog.BY_KEY) - TRIGGERED_RULES)
    assert not missing, f"ledger rules no test triggers: {missing}"
