"""Every template, button and media payload: valid in full, and each documented rule broken
once. The rows are generated from the same field specs the emulator enforces, so every
required field is tried missing and every limit on both sides (10 generic elements pass, 11
fail; a 20-character button title passes, 21 fails)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import IN_WINDOW, assert_refused, graph_error, send
from samples import CALL_BUTTON, MESSAGES, POSTBACK_BUTTON, SEED_RECEIPT_JSON, sample
from starlette.testclient import TestClient

from emulator.rules.buttons import BUTTONS
from emulator.rules.fields import Field
from emulator.rules.templates import TEMPLATES
from emulator.wire import catalog

Path = tuple[str | int, ...]


def body(message: dict[str, Any]) -> dict[str, Any]:
    return {"recipient": {"id": IN_WINDOW}, "messaging_type": "RESPONSE", "message": message}


def walk(spec: Field, value: Any, path: Path) -> Iterator[tuple[Field, Path]]:
    """Each field of `spec` (and, where the sample has them, of nested objects and buttons)."""
    for field in spec.fields:
        here = (*path, field.name)
        yield field, here
        child = value.get(field.name) if isinstance(value, dict) else None
        if field.kind == "obj" and isinstance(child, dict):
            yield from walk(field, child, here)
        elif field.kind == "arr" and isinstance(child, list) and child:
            if field.item == "obj":
                yield from walk(field, child[0], (*here, 0))
            elif field.name == "buttons":
                for index, button in enumerate(child):
                    yield from walk(BUTTONS[button["type"]], button, (*here, index))


def param(path: Path) -> str:
    return "name_placeholder" + "".join(f"[{step}]" for step in path)


def payload_of(message: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = message["attachment"]["payload"]
    return payload


def container(payload: dict[str, Any], path: Path) -> Any:
    node: Any = payload
    for step in path[:-1]:
        node = node[step]
    return node


Case = tuple[str, str, Path, Any, str | None, dict[str, object]]  # template, id, path, value...
DELETE = object()


def cases(
    templates: dict[str, Field] = TEMPLATES, messages: dict[str, dict[str, Any]] = MESSAGES
) -> Iterator[Any]:
    """Every field rule of `templates` on both sides; templates dated by the emulated clock
    (samples.DATED_MESSAGES) run in the tests of their era."""
    for name, spec in templates.items():
        if name not in messages:
            continue
        sample_payload = payload_of(messages[name])
        for field, path in walk(spec, sample_payload, ()):
            where = param(path)
            label = f"{name}: {where.removeprefix('name_placeholder')}"
            present = container(sample_payload, path)
            if field.required and path != ("template_type",):
                rule = (field.missing_error or catalog.FIELD_REQUIRED).key
                yield pytest.param(name, path, DELETE, rule, id=f"{label} missing")
            if field.kind == "str" and field.max_len is not None:
                at, over = "x" * field.max_len, "x" * (field.max_len + 1)
                yield pytest.param(name, path, at, None, id=f"{label} {field.max_len} chars")
                yield pytest.param(
                    name, path, over, "field_too_long", id=f"{label} {field.max_len + 1} chars"
                )
            if field.kind == "str" and field.min_len is not None:
                short = "x" * (field.min_len - 1)
                yield pytest.param(name, path, short, "field_too_short", id=f"{label} too short")
            if field.kind == "arr" and field.max_items is not None and present.get(field.name):
                first = present[field.name][0]
                full = [copy.deepcopy(first) for _ in range(field.max_items)]
                yield pytest.param(name, path, full, None, id=f"{label} {field.max_items} items")
                more = [*full, copy.deepcopy(first)]
                yield pytest.param(
                    name, path, more, "array_too_many", id=f"{label} {field.max_items + 1} items"
                )
            if field.kind == "arr" and field.min_items:
                yield pytest.param(name, path, [], field.empty_error.key, id=f"{label} empty")
            bad = {
                "enum": ("bogus", "field_enum"),
                "bool": ("maybe", "field_not_boolean"),
                "num": ("twelve", "field_not_number"),
                "url": ("not a url", "field_url"),
                "obj": ("text", "field_not_object"),
                "arr": ("text", "field_not_array"),
                "id": ("abc", "field_id_invalid"),
            }.get(field.kind)
            if bad is not None and path[-1] != "type":
                yield pytest.param(name, path, bad[0], bad[1], id=f"{label} {field.kind} invalid")


@pytest.mark.parametrize(("name", "path", "value", "rule"), list(cases()))
def test_field_rule(
    client: TestClient, name: str, path: Path, value: Any, rule: str | None
) -> None:
    message = sample(name)
    node = container(payload_of(message), path)
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    response = send(client, body(message))
    if rule is None:
        assert response.status_code == 200, response.text
        return
    error = assert_refused(client, response, rule)
    spec = catalog.BY_KEY[rule]
    if "{param}" in spec.message:
        assert param(path) in error["message"], error["message"]


@pytest.mark.parametrize("name", sorted(MESSAGES), ids=str)
def test_every_kind_is_accepted_and_recorded_as_sent(client: TestClient, name: str) -> None:
    message = sample(name)
    response = send(client, body(message))
    assert response.status_code == 200, response.text
    assert client.get("/_emulator/messages").json()["data"][-1]["message"] == message


def test_the_seed_receipt_verbatim(client: TestClient) -> None:
    """The receipt reference's own curl example, byte for byte (only the PSID filled in)."""
    raw = SEED_RECEIPT_JSON.replace("<PSID>", IN_WINDOW).encode()
    response = client.post(
        "/v2.6/me/messages",
        params={"access_token": "PAGE_TOKEN"},
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    # The seed predates messaging_type; the documented rule refuses it without one...
    assert graph_error(response)["message"].startswith("(#100) param messaging_type")
    with_type = json.loads(raw)
    with_type["messaging_type"] = "RESPONSE"
    response = client.post(
        "/v2.6/me/messages", params={"access_token": "PAGE_TOKEN"}, json=with_type
    )
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"recipient_id", "message_id"}


def broken(name: str, change: dict[str, Any], *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    message = sample(name)
    payload = payload_of(message)
    payload.update(change)
    for key in drop:
        del payload[key]
    return message


def element(name: str, **change: Any) -> dict[str, Any]:
    message = sample(name)
    payload_of(message)["elements"][0].update(change)
    for key, value in change.items():
        if value is DELETE:
            del payload_of(message)["elements"][0][key]
    return message


def button(**fields: Any) -> dict[str, Any]:
    message = sample("button")
    payload_of(message)["buttons"] = [fields]
    return message


SPECIFIC = [
    # template_type
    ("no template_type", broken("generic", {}, drop=("template_type",)), "field_required"),
    (
        "unknown template_type",
        broken("generic", {"template_type": "carousel"}),
        "template_type_invalid",
    ),
    (
        "retired list template",
        broken("generic", {"template_type": "list"}),
        "template_type_invalid",
    ),
    ("template_type in upper case", broken("button", {"template_type": "BUTTON"}), None),
    ("unknown key in a template", broken("coupon", {"colour": "red"}), "invalid_keys"),
    # generic
    (
        "element with only a title",
        element(
            "generic", subtitle=DELETE, image_url=DELETE, buttons=DELETE, default_action=DELETE
        ),
        "element_incomplete",
    ),
    ("element buttons empty", element("generic", buttons=[]), "array_too_few"),
    (
        "default_action with a title",
        element(
            "generic", default_action={"type": "web_url", "url": "https://a.test", "title": "x"}
        ),
        "invalid_keys",
    ),
    # buttons
    ("button without type", button(title="x", payload="y"), "field_required"),
    ("button of an unknown type", button(type="element_share"), "field_enum"),
    ("postback without title", button(type="postback", payload="P"), "button_title_empty"),
    (
        "postback with empty title",
        button(type="postback", title="", payload="P"),
        "field_not_string",
    ),
    ("postback without payload", button(type="postback", title="T"), "postback_payload_empty"),
    (
        "postback with empty payload",
        button(type="postback", title="T", payload=""),
        "postback_payload_empty",
    ),
    ("web_url without url", button(type="web_url", title="T"), "web_url_empty"),
    ("web_url with a bad url", button(type="web_url", title="T", url="acme shoes"), "field_url"),
    (
        "web_url with extensions",
        button(
            type="web_url",
            title="T",
            url="https://a.test",
            messenger_extensions="true",
            webview_height_ratio="COMPACT",
        ),
        None,
    ),
    (
        "call button with a bad number",
        button(type="phone_number", title="T", payload="555-1234"),
        "phone_number_payload_invalid",
    ),
    ("account_link", button(type="account_link", url="https://a.test/login"), None),
    ("account_unlink", button(type="account_unlink"), None),
    ("account_unlink with a title", button(type="account_unlink", title="x"), "invalid_keys"),
    (
        "game_play",
        button(type="game_play", title="Play", payload="{}", game_metadata={"player_id": "1"}),
        None,
    ),
    ("button template buttons empty", broken("button", {"buttons": []}), "array_must_be_non_empty"),
    # media
    ("media with a bad media_type", element("media", media_type="gif"), "media_type_invalid"),
    (
        "media with url and attachment_id",
        element("media", attachment_id="123"),
        "media_source_required",
    ),
    ("media without url or attachment_id", element("media", url=DELETE), "media_source_required"),
    (
        "media with a non-Facebook url",
        element("media", url="https://example.com/a.jpg"),
        "media_url_not_facebook",
    ),
    (
        "media with an unsaved attachment_id",
        element("media", url=DELETE, attachment_id="123"),
        "attachment_not_owned",
    ),
    # receipt
    ("receipt currency lower case", broken("receipt", {"currency": "usd"}), "currency_invalid"),
    ("receipt currency unknown", broken("receipt", {"currency": "XYZ"}), "currency_invalid"),
    (
        "receipt negative total",
        broken("receipt", {"summary": {"total_cost": -1}}),
        "amount_invalid",
    ),
    (
        "receipt total with 3 decimals",
        broken("receipt", {"summary": {"total_cost": 1.005}}),
        "amount_invalid",
    ),
    (
        "receipt yen with decimals",
        broken("receipt", {"currency": "JPY", "summary": {"total_cost": 1.5}}),
        "amount_invalid",
    ),
    (
        "receipt amounts as strings",
        broken("receipt", {"summary": {"subtotal": "75.00", "total_cost": "56.14"}}),
        None,
    ),
    (
        "receipt free item",
        broken("receipt", {"elements": [{"title": "Sticker", "price": 0}]}),
        None,
    ),
    (
        "receipt country of three letters",
        broken(
            "receipt",
            {
                "address": {
                    "street_1": "1 Way",
                    "city": "X",
                    "postal_code": "1",
                    "state": "Y",
                    "country": "USA",
                }
            },
        ),
        "country_code_invalid",
    ),
    (
        "receipt without elements",
        broken("receipt", {}, drop=("elements", "adjustments", "address")),
        None,
    ),
    # customer feedback
    (
        "feedback title with a URL",
        broken("customer_feedback", {"title": "See https://a.test"}),
        "text_has_url",
    ),
    (
        "feedback question id with a dash",
        broken(
            "customer_feedback",
            {"feedback_screens": [{"questions": [{"id": "q-1", "type": "csat"}]}]},
        ),
        "question_id_invalid",
    ),
    (
        "feedback NPS with a CSAT scale",
        broken(
            "customer_feedback",
            {
                "feedback_screens": [
                    {"questions": [{"id": "q1", "type": "nps", "score_option": "five_stars"}]}
                ]
            },
        ),
        "feedback_score_option",
    ),
    (
        "feedback expires in 8 days",
        broken("customer_feedback", {"expires_in_days": 8}),
        "expires_in_days_invalid",
    ),
    ("feedback expires in 7 days", broken("customer_feedback", {"expires_in_days": 7}), None),
    # coupon
    (
        "coupon without code or url",
        broken("coupon", {}, drop=("coupon_code", "coupon_url")),
        "coupon_code_or_url",
    ),
    ("coupon with only a url", broken("coupon", {}, drop=("coupon_code",)), None),
    (
        "coupon code with a space",
        broken("coupon", {"coupon_code": "SHOES 10"}),
        "coupon_code_spaces",
    ),
    # product
    (
        "product id not of this page",
        broken("product", {"elements": [{"id": "5999999999999999"}]}),
        "product_id_invalid",
    ),
    # media attachments
    (
        "image without url",
        {"attachment": {"type": "image", "payload": {}}},
        "attachment_source_required",
    ),
    (
        "image with url and attachment_id",
        {
            "attachment": {
                "type": "image",
                "payload": {"url": "https://a.test/a.png", "attachment_id": "1"},
            }
        },
        "attachment_source_required",
    ),
    (
        "image with a bad url",
        {"attachment": {"type": "image", "payload": {"url": "a.png"}}},
        "field_url",
    ),
    (
        "image payload unknown key",
        {
            "attachment": {
                "type": "image",
                "payload": {"url": "https://a.test/a.png", "caption": "x"},
            }
        },
        "invalid_keys",
    ),
]


@pytest.mark.parametrize(
    ("message", "rule"), [c[1:] for c in SPECIFIC], ids=[c[0] for c in SPECIFIC]
)
def test_specific_rule(client: TestClient, message: dict[str, Any], rule: str | None) -> None:
    response = send(client, body(message))
    if rule is None:
        assert response.status_code == 200, response.text
    else:
        assert_refused(client, response, rule)


def test_product_template_below_v8(client: TestClient) -> None:
    response = send(client, body(sample("product")), path="/v7.0/me/messages")
    assert_refused(client, response, "product_template_version")
    assert send(client, body(sample("product")), path="/v8.0/me/messages").status_code == 200


EXACT = [
    (
        broken("button", {}, drop=("text",)),
        "(#100) The parameter name_placeholder[text] is required",
    ),
    (
        broken("button", {"buttons": []}),
        "(#100) param name_placeholder[buttons] must be non-empty.",
    ),
    (
        button(title="x", payload="y"),
        "(#100) The parameter name_placeholder[buttons][0][type] is required",
    ),
    (
        element("generic", title=""),
        "(#100) Param name_placeholder[elements][0][title] must be a non-empty UTF-8 encoded "
        "string",
    ),
    (
        broken("generic", {"elements": []}),
        "(#194) param name_placeholder[elements] has too few elements.",
    ),
    (
        broken("generic", {"elements": [payload_of(sample("generic"))["elements"][0]] * 11}),
        "(#105) param name_placeholder[elements] has too many elements.",
    ),
    (broken("receipt", {"currency": "usd"}), "(#100) The currency code 'usd' is not supported"),
    (
        broken("receipt", {}, drop=("recipient_name",)),
        "(#100) The parameter name_placeholder[recipient_name] is required",
    ),
    (
        button(type="web_url", title="T", url="acme"),
        "(#100) name_placeholder[buttons][0][url] should represent a valid URL",
    ),
    (broken("generic", {"template_type": "list"}), "(#100) Invalid template type"),
]


@pytest.mark.parametrize(("message", "expected"), EXACT, ids=[e for _, e in EXACT])
def test_exact_strings(client: TestClient, message: dict[str, Any], expected: str) -> None:
    """Strings recorded from the real API (reference §5, §6), byte for byte."""
    assert graph_error(send(client, body(message)))["message"] == expected


def test_media_template_with_a_saved_attachment(client: TestClient) -> None:
    image = {"type": "image", "payload": {"url": "https://acme.test/a.png", "is_reusable": True}}
    saved = send(client, body({"attachment": image})).json()["attachment_id"]
    message = element("media", url=DELETE, attachment_id=saved)
    assert send(client, body(message)).status_code == 200


@pytest.mark.parametrize(
    "huge",
    ["9" * 400, int("9" * 400), 1e308],
    ids=["digits in a string", "a 400-digit integer", "near the float limit"],
)
def test_absurd_numbers_are_refused_not_crashing(client: TestClient, huge: Any) -> None:
    feedback = broken("customer_feedback", {"expires_in_days": huge})
    assert send(client, body(feedback)).status_code == 400
    receipt = broken("receipt", {"summary": {"total_cost": huge}})
    response = send(client, body(receipt))
    assert response.status_code in (200, 400)  # 1e308 is a (silly) number; never a 500
    if huge != 1e308:
        assert response.status_code == 400


INSTAGRAM = [
    ("generic with postback and web_url", "generic", [POSTBACK_BUTTON], None),
    ("generic with a call button", "generic", [CALL_BUTTON], "field_enum"),
    ("button template with postback", "button", [POSTBACK_BUTTON], None),
    ("receipt", "receipt", None, "template_type_invalid"),
    ("media", "media", None, "template_type_invalid"),
]


@pytest.mark.parametrize(
    ("name", "buttons", "rule"), [row[1:] for row in INSTAGRAM], ids=[row[0] for row in INSTAGRAM]
)
def test_instagram_templates(client: TestClient, name: str, buttons: Any, rule: str | None) -> None:
    """Instagram documents generic, button and product templates with postback/web_url buttons."""
    message = sample(name)
    if buttons is not None:
        holder = payload_of(message)
        holder = holder["elements"][0] if name == "generic" else holder
        holder["buttons"] = buttons
    request = {
        "recipient": {"id": "1780000000000001"},
        "messaging_type": "RESPONSE",
        "message": message,
    }
    response = send(client, request, token="IG_TOKEN")
    if rule is None:
        assert response.status_code == 200, response.text
    else:
        assert_refused(client, response, rule)


def test_saved_attachment_ids_expire_after_90_days(client: TestClient) -> None:
    image = {"type": "image", "payload": {"url": "https://acme.test/a.png", "is_reusable": True}}
    saved = send(client, body({"attachment": image})).json()["attachment_id"]
    again = {"attachment": {"type": "image", "payload": {"attachment_id": saved}}}
    client.post("/_emulator/clock", json={"advance": "90d"})
    client.post(f"/_emulator/pages/110000000000001/users/{IN_WINDOW}/messages", json={"text": "x"})
    assert send(client, body(again), token="AGENT_TOKEN").status_code == 200
    client.post("/_emulator/clock", json={"advance": "1s"})
    response = send(client, body(again), token="AGENT_TOKEN")
    assert_refused(client, response, "attachment_not_owned")


def test_reusing_a_saved_id_saves_nothing_new(client: TestClient) -> None:
    image = {"type": "image", "payload": {"url": "https://acme.test/a.png", "is_reusable": True}}
    saved = send(client, body({"attachment": image})).json()["attachment_id"]
    reuse = {
        "attachment": {"type": "image", "payload": {"attachment_id": saved, "is_reusable": True}}
    }
    assert "attachment_id" not in send(client, body(reuse)).json()
    assert len(client.get("/_emulator/attachments").json()["data"]) == 1


def test_reply_to_needs_a_user_message_within_24_hours(client: TestClient) -> None:
    from conftest import IN_7_DAYS

    reply = {"mid": "m_earlier"}
    inside = {**body({"text": "re"}), "reply_to": reply}
    assert send(client, inside).status_code == 200
    agent = {
        "recipient": {"id": IN_7_DAYS},
        "messaging_type": "MESSAGE_TAG",
        "tag": "HUMAN_AGENT",
        "message": {"text": "re"},
        "reply_to": reply,
    }
    assert_refused(client, send(client, agent, token="AGENT_TOKEN"), "outside_window")


def test_quick_reply_image_url_must_be_a_url(client: TestClient) -> None:
    reply = {"content_type": "text", "title": "Red", "payload": "RED", "image_url": "notaurl"}
    response = send(client, body({"text": "Colour?", "quick_replies": [reply]}))
    assert_refused(client, response, "field_url")


def test_media_url_host_in_any_case(client: TestClient) -> None:
    assert (
        send(
            client, body(element("media", url="HTTPS://WWW.FACEBOOK.COM/photo.php?fbid=1"))
        ).status_code
        == 200
    )


def test_the_seed_receipt_verbatim_where_messaging_type_may_be_omitted() -> None:
    """With `behaviour.missing_messaging_type: response` the seed's own example is accepted."""
    from conftest import TEST_SCENARIO, make_client

    text = TEST_SCENARIO.read_text() + "behaviour:\n  missing_messaging_type: response\n"
    raw = SEED_RECEIPT_JSON.replace("<PSID>", IN_WINDOW).encode()
    with make_client(text) as client:
        response = client.post(
            "/v2.6/me/messages",
            params={"access_token": "PAGE_TOKEN"},
            content=raw,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 200, response.text
        recorded = client.get("/_emulator/messages").json()["data"][-1]["message"]
    assert recorded == json.loads(raw)["message"]
