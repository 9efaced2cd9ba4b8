"""Fault injection: fail or slow down the sends that match, in Graph's own dialect.

Off unless asked for (scenario `faults:`, or POST /_emulator/faults). The messages edge asks
`Faults.apply` about each send that would be accepted; the first active fault that matches
(page, recipient, kind) and, given a `probability`, wins its draw, is applied: the journal
entry names it, the answer is delayed by its latency, and its error is raised. Draws come
from `random.Random(seed)`, so a seeded fault fails the same calls after every reset.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, replace
from typing import Any

from emulator.rules import limits
from emulator.rules.request import SendRequest
from emulator.scenario.model import FaultSpec, latency_seconds
from emulator.wire import catalog
from emulator.wire.errors import ErrorSpec, GraphError, RawReply

PRESETS: dict[str, ErrorSpec | None] = {
    "temporary_send_failure": catalog.TEMPORARY_SEND_FAILURE,
    "service_unavailable": catalog.SERVICE_UNAVAILABLE,
    "app_rate_limit": catalog.APP_RATE_LIMIT,
    "rate_limit": catalog.RATE_LIMIT,
    "page_rate_limit": catalog.PAGE_RATE_LIMIT,
    "user_unavailable": catalog.PERSON_UNAVAILABLE,
    "html_error": None,  # not Graph JSON: the edge's own error page
}
CUSTOM_KEY = "injected_error"  # the journal's `rule` for an error given field by field
HTML_KEY = "edge_failure_html"  # ... and for the HTML page
HTML_STATUS = 502  # as observed (maiha/facebook.cr#1); a fault may give another `status`
HTML_TYPE = "text/html; charset=utf-8"
HTML_BODY = b"""<!DOCTYPE html>
<html lang="en" id="facebook">
  <head>
    <title>Facebook | Error</title>
    <meta charset="utf-8">
    <meta http-equiv="cache-control" content="no-cache">
    <meta name="robots" content="noindex,nofollow">
  </head>
  <body>
    <div id="core">
      <h1 id="sorry">Sorry, something went wrong.</h1>
      <p id="promise">
        We're working on it and we'll get it fixed as soon as we can.
      </p>
      <p id="back-link">
        <a id="back" href="//www.facebook.com/">Go Back</a>
      </p>
    </div>
  </body>
</html>
"""


@dataclass(slots=True)
class Fault:
    """One fault as it runs: its spec, the error it raises, and what it has done so far."""

    id: str
    spec: FaultSpec
    origin: str  # scenario | control
    error: ErrorSpec | None  # None: latency only, or the HTML page
    html_status: int | None
    delay: float  # seconds
    remaining: int | None  # None: every time
    rng: random.Random | None
    matched: int = 0  # calls that matched while active (applied or spared by the draw)
    applied: int = 0

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "origin": self.origin,
            **self.spec.model_dump(mode="json", exclude_none=True),
            "remaining": self.remaining,
            "matched": self.matched,
            "applied": self.applied,
        }


def build(fault_id: str, spec: FaultSpec, origin: str) -> Fault:
    error: ErrorSpec | None = None
    html_status: int | None = None
    label = spec.error
    if label is not None and label.preset is not None:
        preset = PRESETS[label.preset]
        if preset is None:
            html_status = label.status or HTML_STATUS
        else:
            error = preset if label.status is None else replace(preset, status=label.status)
    elif label is not None:
        assert label.code is not None  # the model requires code and message
        assert label.message is not None
        error = ErrorSpec(
            CUSTOM_KEY,
            label.code,
            label.message,
            "an injected fault with an error given field by field",
            "scenario `faults` / POST /_emulator/faults",
            "I",
            subcode=label.error_subcode,
            type=label.type or "OAuthException",
            status=label.status or 400,
            is_transient=label.is_transient,
        )
    rng = None
    if spec.probability is not None:
        rng = random.Random(spec.seed) if spec.seed is not None else random.Random()
    return Fault(
        fault_id,
        spec,
        origin,
        error,
        html_status,
        latency_seconds(spec.latency) if spec.latency else 0.0,
        spec.times,
        rng,
    )


def send_kinds(request: SendRequest) -> tuple[str, ...]:
    """What a send is, broad to narrow: ("text",), ("attachment", "image"),
    ("template", "generic"), ("sender_action", "typing_on")."""
    if request.sender_action is not None:
        return ("sender_action", request.sender_action)
    kind = request.attachment_type
    if kind == "template":
        return ("template", request.template_type or "")
    if kind is not None:
        return ("attachment", kind)
    return ("text",)


class Faults:
    """The faults of one world, in order: the scenario's, then those added by the control API."""

    def __init__(self, specs: list[FaultSpec]) -> None:
        self._ids = itertools.count(1)
        self._faults: list[Fault] = [self._build(spec, "scenario") for spec in specs]

    def __bool__(self) -> bool:
        return bool(self._faults)

    def _build(self, spec: FaultSpec, origin: str) -> Fault:
        return build(f"f{next(self._ids)}", spec, origin)

    def add(self, spec: FaultSpec) -> Fault:
        """Add a fault after the others; ValueError (and no change) when FAULTS_MAX are set."""
        if len(self._faults) >= limits.FAULTS_MAX:
            raise ValueError(f"at most {limits.FAULTS_MAX} faults; delete some first")
        fault = self._build(spec, "control")
        self._faults.append(fault)
        return fault

    def remove(self, fault_id: str) -> Fault | None:
        for index, fault in enumerate(self._faults):
            if fault.id == fault_id:
                return self._faults.pop(index)
        return None

    def clear(self) -> int:
        count = len(self._faults)
        self._faults = []
        return count

    def view(self) -> list[dict[str, Any]]:
        return [fault.view() for fault in self._faults]

    def apply(
        self,
        journal: dict[str, Any],
        page_id: str,
        request: SendRequest,
        recipient_id: str | None,
    ) -> None:
        """Apply the first fault that takes this send, if any: mark the journal, set the
        delay, raise its error (a GraphError, or RawReply for the HTML page)."""
        kinds: tuple[str, ...] | None = None
        for fault in self._faults:
            if fault.remaining == 0:
                continue
            match = fault.spec.match
            if match.page_id is not None and match.page_id != page_id:
                continue
            if match.recipient_id is not None and match.recipient_id not in (
                request.recipient.value,
                recipient_id,
            ):
                continue
            if match.kind != "any":
                kinds = kinds or send_kinds(request)
                if match.kind not in kinds:
                    continue
            fault.matched += 1
            probability = fault.spec.probability
            if (
                fault.rng is not None
                and probability is not None
                and fault.rng.random() >= probability
            ):
                continue  # spared this time; a later fault may still apply
            _strike(fault, journal)
            return


def _strike(fault: Fault, journal: dict[str, Any]) -> None:
    fault.applied += 1
    if fault.remaining is not None:
        fault.remaining -= 1
    label = fault.spec.error
    mark: dict[str, Any] = {
        "id": fault.id,
        "error": None if label is None else (label.preset or CUSTOM_KEY),
        "delay": fault.delay,
    }
    if fault.spec.name is not None:
        mark["name"] = fault.spec.name
    journal["fault"] = mark
    if fault.delay:
        journal["delay"] = fault.delay
    if fault.html_status is not None:
        if journal.get("batch"):
            # a batch entry answers in JSON: the nearest Graph error (docs/deviations.md)
            raise catalog.SERVICE_UNAVAILABLE()
        raise RawReply(fault.html_status, HTML_BODY, HTML_TYPE, HTML_KEY)
    if fault.error is not None:
        raise GraphError(fault.error, fault.error.message)
