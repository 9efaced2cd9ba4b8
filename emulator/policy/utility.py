"""May this page send this utility message? The permission, then the page's template, then
whether the send's parameters fit it. Pure: the page's templates and the grant are passed in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.rules import limits
from emulator.rules.utility import UtilityCall, fill_template, find_template
from emulator.state import Grant
from emulator.wire import catalog

if TYPE_CHECKING:
    from emulator.scenario.model import UtilityTemplateSpec


def check_utility(
    call: UtilityCall, templates: list[UtilityTemplateSpec], grant: Grant
) -> dict[str, Any]:
    """The message as the person sees it (the filled template), or the refusal."""
    if limits.PERMISSION_UTILITY_MESSAGING not in grant.permissions:
        raise catalog.UTILITY_PERMISSION(path="access_token")
    template = find_template(templates, call)
    if template is None:
        raise catalog.UTILITY_TEMPLATE_NOT_FOUND(path="message.template.name")
    return fill_template(template, call)
