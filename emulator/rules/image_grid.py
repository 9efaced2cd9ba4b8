"""The image grid template (`template_type: image_grid`, Meta's changelog of 30 June 2026):
one element of 2 to 6 images, each with an optional tap action, an optional title, subtitle
and up to three URL or postback buttons. policy/dated.py refuses it before that date.

Source: https://developers.facebook.com/documentation/business-messaging/messenger-platform/
send-messages/template/image-grid (the image's `action` object is cut short in the copy at
hand: a URL or a postback, shaped as those buttons without a title, is inferred).
"""

from __future__ import annotations

from typing import Any

from emulator.rules import limits
from emulator.rules.buttons import URL, buttons, typed_check
from emulator.rules.fields import Field, Where, as_bool, raises
from emulator.wire import catalog

D_IMAGE_GRID = (
    "https://developers.facebook.com/documentation/business-messaging/messenger-platform/"
    "send-messages/template/image-grid"
)
# what tapping one image does: open a URL, or send a postback (inferred shapes)
ACTIONS: dict[str, Field] = {
    "web_url": Field("web_url", "obj", fields=(Field("type"), URL)),
    "postback": Field(
        "postback",
        "obj",
        fields=(
            Field("type"),
            Field("title", max_len=limits.BUTTON_TITLE_MAX),
            Field("payload", required=True, max_len=limits.POSTBACK_PAYLOAD_MAX),
        ),
    ),
}


@raises(catalog.IMAGE_GRID_TOO_FEW, catalog.IMAGE_GRID_HERO)
def _grid(value: Any, where: Where) -> None:
    """At least 2 images, at most one of them the hero."""
    images = value.get("images")
    if not isinstance(images, list):
        return
    if len(images) < limits.IMAGE_GRID_IMAGES[0]:
        raise (where / "images").fail(catalog.IMAGE_GRID_TOO_FEW)
    heroes = [i for i in images if isinstance(i, dict) and as_bool(i.get("is_hero_image"))]
    if len(heroes) > 1:
        raise (where / "images").fail(catalog.IMAGE_GRID_HERO)


IMAGE = Field(
    "images",
    "arr",
    required=True,
    min_items=limits.IMAGE_GRID_IMAGES[0],
    max_items=limits.IMAGE_GRID_IMAGES[1],
    fields=(
        Field("url", "url", required=True),
        Field("is_hero_image", "bool"),
        Field("action", "any", check=typed_check(ACTIONS, tuple(ACTIONS))),
    ),
)

IMAGE_GRID = Field(
    "image_grid",
    "obj",
    fields=(
        Field("template_type", required=True),
        Field(
            "elements",
            "arr",
            required=True,
            min_items=1,
            max_items=limits.IMAGE_GRID_ELEMENTS_MAX,
            fields=(
                IMAGE,
                Field("title", max_len=limits.IMAGE_GRID_TITLE_MAX),
                Field("subtitle", max_len=limits.IMAGE_GRID_SUBTITLE_MAX),
                buttons(limits.IMAGE_GRID_BUTTON_TYPES),
            ),
            check=_grid,
        ),
    ),
    source=D_IMAGE_GRID,
)
