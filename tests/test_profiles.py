"""The User Profile API (`GET /{psid}`) and the Messenger Profile API (`/me/messenger_profile`):
every rule in a table naming it, every limit on both sides, the state per page and the control
API's view of it, and one round trip over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from conftest import IN_7_DAYS, IN_WINDOW, NEVER_WROTE, PAGE, assert_refused, make_client
from starlette.testclient import TestClient

from emulator.edges.profile import picture_url
from emulator.rules import limits
from emulator.scenario.load import default_text

TOKEN = {"access_token": "PAGE_TOKEN"}
PROFILE = "/v21.0/me/messenger_profile"
OTHER_PAGE_PSID = "2100000000000001"
ADA_PIC_SCENARIO = "https://platform-lookaside.fbsbx.com/platform/profilepic/?psid=2000000000000001"
# as answered: with the CDN's expiry, 3 days after the frozen start (2026-01-08T09:00:00Z)
ADA_PIC = f"{ADA_PIC_SCENARIO}&ext=1767862800&oe=695F7210"
ALL_FIELDS = "first_name,last_name,profile_pic,locale,timezone,gender"


# --- the User Profile API ----------------------------------------------------------------

# (id, psid, fields or None, expected answer)
PROFILE_ANSWERS = [
    (
        "every documented field",
        IN_WINDOW,
        ALL_FIELDS,
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "profile_pic": ADA_PIC,
            "locale": "en_GB",
            "timezone": 0,
            "gender": "female",
            "id": IN_WINDOW,
        },
    ),
    (
        "no fields: the default fields",
        IN_WINDOW,
        None,
        {"first_name": "Ada", "last_name": "Lovelace", "profile_pic": ADA_PIC, "id": IN_WINDOW},
    ),
    (
        "empty fields: the default fields",
        NEVER_WROTE,
        "",
        {"first_name": "Alan", "id": NEVER_WROTE},
    ),
    (
        "name joins first and last name",
        IN_WINDOW,
        "name",
        {"name": "Ada Lovelace", "id": IN_WINDOW},
    ),
    (
        "id asked first still comes last",
        IN_WINDOW,
        "id,gender",
        {"gender": "female", "id": IN_WINDOW},
    ),
    (
        "each field once, spaces ignored",
        IN_WINDOW,
        "locale, locale",
        {"locale": "en_GB", "id": IN_WINDOW},
    ),
    (
        "a person with only a first name answers only that",
        IN_7_DAYS,
        ALL_FIELDS + ",name",
        {"first_name": "Grace", "name": "Grace", "id": IN_7_DAYS},
    ),
    (
        "field modifiers are read past",
        IN_WINDOW,
        "profile_pic.width(100)",
        {"profile_pic": ADA_PIC, "id": IN_WINDOW},
    ),
]


@pytest.mark.parametrize(
    ("psid", "fields", "expected"),
    [row[1:] for row in PROFILE_ANSWERS],
    ids=[row[0] for row in PROFILE_ANSWERS],
)
def test_user_profile_answers(
    client: TestClient, psid: str, fields: str | None, expected: dict[str, Any]
) -> None:
    params = dict(TOKEN) if fields is None else {**TOKEN, "fields": fields}
    response = client.get(f"/v21.0/{psid}", params=params)
    assert response.status_code == 200, response.text
    assert response.json() == expected
    assert list(response.json()) == list(expected)  # Graph's order: as asked, then id
    entry = client.get("/_emulator/requests").json()["data"][-1]
    assert (entry["page_id"], entry["recipient"], entry["outcome"]) == (PAGE, psid, "accepted")


# (id, method, path, params, rule, exact message or None)
PROFILE_REFUSALS = [
    (
        "a field a PSID does not have",
        "GET",
        f"/v21.0/{IN_WINDOW}",
        {**TOKEN, "fields": "first_name,email"},
        "profile_field_nonexisting",
        "(#100) Tried accessing nonexisting field (email) on node type (MessengerPageScopedID)",
    ),
    (
        "fields that are not names",
        "GET",
        f"/v21.0/{IN_WINDOW}",
        {**TOKEN, "fields": "*****"},
        "fields_syntax",
        'Syntax error "Expected name." at character 0: *****',
    ),
    (
        "an empty entry in fields",
        "GET",
        f"/v21.0/{IN_WINDOW}",
        {**TOKEN, "fields": "first_name,,locale"},
        "fields_syntax",
        'Syntax error "Expected name." at character 11: first_name,,locale',
    ),
    (
        "an unknown PSID",
        "GET",
        "/v21.0/2999999999999999",
        TOKEN,
        "unsupported_request",
        "Unsupported get request. Object with ID '2999999999999999' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read the "
        "Graph API documentation at https://developers.facebook.com/docs/graph-api",
    ),
    (
        "another page's PSID (PSIDs are page-scoped)",
        "GET",
        f"/v21.0/{OTHER_PAGE_PSID}",
        TOKEN,
        "unsupported_request",
        None,
    ),
    (
        "a POST on a PSID",
        "POST",
        f"/v21.0/{IN_WINDOW}",
        TOKEN,
        "unsupported_request",
        None,
    ),
    ("no token", "GET", f"/v21.0/{IN_WINDOW}", {"fields": "first_name"}, "token_required", None),
    (
        "an expired token",
        "GET",
        f"/v21.0/{IN_WINDOW}",
        {"access_token": "EXPIRED_TOKEN"},
        "token_expired",
        None,
    ),
    (
        "an edge on a PSID",
        "GET",
        f"/v21.0/{IN_WINDOW}/picture",
        TOKEN,
        "unsupported_request",
        None,
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "params", "rule", "message"),
    [row[1:] for row in PROFILE_REFUSALS],
    ids=[row[0] for row in PROFILE_REFUSALS],
)
def test_user_profile_refusals(
    client: TestClient,
    method: str,
    path: str,
    params: dict[str, str],
    rule: str,
    message: str | None,
) -> None:
    error = assert_refused(client, client.request(method, path, params=params), rule)
    if message is not None:
        assert error["message"] == message


def test_a_person_added_by_the_control_api_answers_only_their_id(client: TestClient) -> None:
    psid = "2000000000000099"
    client.post(f"/_emulator/pages/{PAGE}/users/{psid}/messages", json={"text": "hi"})
    response = client.get(f"/v21.0/{psid}", params={**TOKEN, "fields": ALL_FIELDS})
    assert response.json() == {"id": psid}


def test_user_profile_in_a_batch(client: TestClient) -> None:
    batch = f'[{{"method":"GET","relative_url":"{IN_WINDOW}?fields=first_name"}}]'
    response = client.post("/v21.0/", data={"batch": batch, **TOKEN})
    assert response.status_code == 200, response.text
    assert response.json()[0]["code"] == 200
    assert '"first_name":"Ada"' in response.json()[0]["body"]


# --- profile pictures on the platform's CDN carry an expiry ------------------------------

START = datetime(2026, 1, 5, 9, tzinfo=UTC)
LOOKASIDE = "https://platform-lookaside.fbsbx.com/platform/profilepic/?psid=1"
SCONTENT = "https://scontent.xx.fbcdn.net/v/t1.30497-1/84628273_n.jpg?_nc_cat=1&oh=00_Af"


def expiry(at: datetime) -> str:
    return f"ext={int(at.timestamp())}&oe={int(at.timestamp()):X}"


# (id, URL in the scenario, hours since the world started, URL answered)
PICTURES = [
    ("lookaside: 3 days ahead", LOOKASIDE, 0, f"{LOOKASIDE}&{expiry(START + timedelta(days=3))}"),
    ("the same a day later", LOOKASIDE, 24, f"{LOOKASIDE}&{expiry(START + timedelta(days=3))}"),
    (
        "renewed once half the lifetime has passed",
        LOOKASIDE,
        36,
        f"{LOOKASIDE}&{expiry(START + timedelta(days=4, hours=12))}",
    ),
    (
        "a clock set back: still ahead",
        LOOKASIDE,
        -100,
        f"{LOOKASIDE}&{expiry(START + timedelta(hours=-108 + 72))}",
    ),
    ("a CDN URL with a query", SCONTENT, 0, f"{SCONTENT}&{expiry(START + timedelta(days=3))}"),
    (
        "no query yet",
        "https://lookaside.fbsbx.com/a.jpg",
        0,
        f"https://lookaside.fbsbx.com/a.jpg?{expiry(START + timedelta(days=3))}",
    ),
    ("an expiry of its own", f"{SCONTENT}&oe=65A00000", 0, f"{SCONTENT}&oe=65A00000"),
    ("an ext of its own", f"{LOOKASIDE}&ext=1&hash=x", 0, f"{LOOKASIDE}&ext=1&hash=x"),
    ("another host", "https://example.com/ada.png", 0, "https://example.com/ada.png"),
    ("a look-alike host", "https://evilfbcdn.net/a.jpg", 0, "https://evilfbcdn.net/a.jpg"),
    ("not a URL", "ada.png", 0, "ada.png"),
    ("a broken URL", "http://[::1/a.png", 0, "http://[::1/a.png"),
]


@pytest.mark.parametrize(
    ("url", "hours", "expected"), [row[1:] for row in PICTURES], ids=[row[0] for row in PICTURES]
)
def test_picture_urls_on_the_platforms_cdn_carry_an_expiry(
    url: str, hours: int, expected: str
) -> None:
    assert picture_url(url, START, START + timedelta(hours=hours)) == expected


@pytest.mark.parametrize("hours", [0, 1, 35, 36, 71, 1000])
def test_the_expiry_is_always_ahead_and_both_forms_agree(hours: int) -> None:
    now = START + timedelta(hours=hours, seconds=1)
    query = dict(parse_qsl(urlsplit(picture_url(LOOKASIDE, START, now)).query))
    assert int(query["ext"]) == int(query["oe"], 16)
    ahead = datetime.fromtimestamp(int(query["ext"]), UTC) - now
    assert timedelta(days=1.5) - timedelta(seconds=1) <= ahead <= timedelta(days=3)


def test_the_answered_picture_is_stable_until_renewed(client: TestClient) -> None:
    def picture() -> str:
        answer = client.get(f"/v21.0/{IN_WINDOW}", params={**TOKEN, "fields": "profile_pic"})
        return str(answer.json()["profile_pic"])

    first = picture()
    assert first == ADA_PIC
    client.post("/_emulator/clock", json={"advance": "35h"})
    assert picture() == first
    client.post("/_emulator/clock", json={"advance": "1h"})
    renewed = picture()
    assert renewed == f"{ADA_PIC_SCENARIO}&{expiry(START + timedelta(days=4, hours=12))}"
    client.post("/_emulator/reset")
    assert picture() == first
    # the scenario's own view keeps the URL as written
    users = client.get("/_emulator/scenario").json()["pages"][0]["users"]
    assert users[0]["profile_pic"] == ADA_PIC_SCENARIO


def test_the_default_scenarios_pictures_carry_an_expiry() -> None:
    with make_client(default_text()) as client:
        answer = client.get(
            f"/v21.0/{IN_WINDOW}", params={"access_token": "ACME_PAGE_TOKEN"}
        ).json()
        now = datetime.fromisoformat(client.get("/_emulator/clock").json()["now"])
    query = dict(parse_qsl(urlsplit(answer["profile_pic"]).query))
    expires = datetime.fromtimestamp(int(query["oe"], 16), UTC)
    assert now + timedelta(days=1) < expires <= now + timedelta(days=3)


def test_fractional_timezones_and_profile_defaults_in_scenarios() -> None:
    scenario = f"""
version: 1
pages:
  - id: "{PAGE}"
    tokens: [{{token: T}}]
    users:
      - {{psid: "1", timezone: 5.5, locale: hi_IN}}
"""
    with make_client(scenario) as client:
        answer = client.get("/v21.0/1", params={"access_token": "T", "fields": ALL_FIELDS})
        assert answer.json() == {"locale": "hi_IN", "timezone": 5.5, "id": "1"}


@pytest.mark.parametrize(
    "user",
    [
        '{psid: "1", timezone: 25}',
        '{psid: "1", timezone: true}',
        '{psid: "1", locale: "english"}',
        '{psid: "1", profile_pic: ""}',
    ],
    ids=["timezone beyond 24 h", "timezone a boolean", "locale not ll_CC", "empty profile_pic"],
)
def test_invalid_profile_fields_in_scenarios(user: str) -> None:
    from emulator.scenario.load import ScenarioError, load_text

    with pytest.raises(ScenarioError):
        load_text(f'version: 1\npages: [{{id: "{PAGE}", users: [{user}]}}]\n', "test")


# --- the Messenger Profile API -------------------------------------------------------------

GET_STARTED = {"payload": "GET_STARTED"}


def postback(title: str = "Help", payload: str = "HELP") -> dict[str, str]:
    return {"type": "postback", "title": title, "payload": payload}


def menu(*items: dict[str, Any], locale: str = "default", **extra: Any) -> list[dict[str, Any]]:
    return [{"locale": locale, "call_to_actions": list(items), **extra}]


def question(n: int = 0) -> dict[str, str]:
    return {"question": f"Question {n}?", "payload": f"Q{n}"}


def domains(count: int) -> list[str]:
    return [f"https://shop{n}.example.com" for n in range(count)]


# (id, body, rule or None for success)
SETS: list[tuple[str, dict[str, Any], str | None]] = [
    # get_started
    ("get_started payload at the limit", {"get_started": {"payload": "p" * 1000}}, None),
    (
        "get_started payload over the limit",
        {"get_started": {"payload": "p" * 1001}},
        "field_too_long",
    ),
    ("get_started without payload", {"get_started": {}}, "field_required"),
    ("get_started with an unknown key", {"get_started": {"payload2": "x"}}, "invalid_keys"),
    ("get_started not an object", {"get_started": "GO"}, "field_not_object"),
    # greeting
    (
        "greeting text at the limit",
        {"greeting": [{"locale": "default", "text": "g" * limits.GREETING_TEXT_MAX}]},
        None,
    ),
    (
        "greeting text over the limit",
        {"greeting": [{"locale": "default", "text": "g" * (limits.GREETING_TEXT_MAX + 1)}]},
        "field_too_long",
    ),
    (
        "greeting with a personalised text and a second locale",
        {
            "greeting": [
                {"locale": "default", "text": "Hello {{user_first_name}}!"},
                {"locale": "de_DE", "text": "Hallo {{user_first_name}}!"},
            ]
        },
        None,
    ),
    (
        "greeting without the default locale",
        {"greeting": [{"locale": "en_US", "text": "Hi"}]},
        "messenger_profile_default_locale",
    ),
    ("greeting without text", {"greeting": [{"locale": "default"}]}, "field_required"),
    ("greeting not an array", {"greeting": {"locale": "default", "text": "Hi"}}, "field_not_array"),
    ("greeting empty", {"greeting": []}, "array_too_few"),
    # persistent_menu
    (
        "menu of 20 items",
        {"get_started": GET_STARTED, "persistent_menu": menu(*[postback()] * 20)},
        None,
    ),
    (
        "menu of 21 items",
        {"get_started": GET_STARTED, "persistent_menu": menu(*[postback()] * 21)},
        "array_too_many",
    ),
    (
        "menu item title at the limit",
        {"get_started": GET_STARTED, "persistent_menu": menu(postback("t" * 30))},
        None,
    ),
    (
        "menu item title over the limit",
        {"get_started": GET_STARTED, "persistent_menu": menu(postback("t" * 31))},
        "field_too_long",
    ),
    (
        "menu with a web_url item and the composer disabled",
        {
            "get_started": GET_STARTED,
            "persistent_menu": menu(
                {"type": "web_url", "title": "Shop", "url": "https://example.com"},
                composer_input_disabled=True,
            ),
        },
        None,
    ),
    (
        "menu without a Get Started button",
        {"persistent_menu": menu(postback())},
        "get_started_required",
    ),
    (
        "menu without the default locale",
        {"get_started": GET_STARTED, "persistent_menu": menu(postback(), locale="fr_FR")},
        "messenger_profile_default_locale",
    ),
    (
        "menu with a nested item (retired)",
        {"get_started": GET_STARTED, "persistent_menu": menu({"type": "nested", "title": "More"})},
        "field_enum",
    ),
    (
        "menu item without title",
        {"get_started": GET_STARTED, "persistent_menu": menu({"type": "postback", "payload": "X"})},
        "button_title_empty",
    ),
    (
        "menu postback without payload",
        {"get_started": GET_STARTED, "persistent_menu": menu({"type": "postback", "title": "X"})},
        "postback_payload_empty",
    ),
    (
        "menu web_url without url",
        {"get_started": GET_STARTED, "persistent_menu": menu({"type": "web_url", "title": "X"})},
        "web_url_empty",
    ),
    (
        "composer disabled without call_to_actions",
        {
            "get_started": GET_STARTED,
            "persistent_menu": [{"locale": "default", "composer_input_disabled": True}],
        },
        "field_required",
    ),
    # ice_breakers
    ("4 ice breakers", {"ice_breakers": [question(n) for n in range(4)]}, None),
    ("5 ice breakers", {"ice_breakers": [question(n) for n in range(5)]}, "array_too_many"),
    (
        "4 localized ice breakers",
        {
            "ice_breakers": [
                {"locale": "default", "call_to_actions": [question(n) for n in range(4)]}
            ]
        },
        None,
    ),
    (
        "5 localized ice breakers",
        {
            "ice_breakers": [
                {"locale": "default", "call_to_actions": [question(n) for n in range(5)]}
            ]
        },
        "array_too_many",
    ),
    (
        "localized ice breakers without the default locale",
        {"ice_breakers": [{"locale": "en_GB", "call_to_actions": [question()]}]},
        "messenger_profile_default_locale",
    ),
    (
        "both ice breaker formats in one request",
        {"ice_breakers": [{"locale": "default", "call_to_actions": [question()]}, question()]},
        "invalid_keys",
    ),
    ("an ice breaker without question", {"ice_breakers": [{"payload": "Q"}]}, "field_required"),
    # whitelisted_domains
    ("50 whitelisted domains", {"whitelisted_domains": domains(50)}, None),
    ("51 whitelisted domains", {"whitelisted_domains": domains(51)}, "array_too_many"),
    ("a domain over http", {"whitelisted_domains": ["http://shop.example.com"]}, "field_url"),
    ("localhost", {"whitelisted_domains": ["https://localhost:3000"]}, "field_url"),
    ("an IP address", {"whitelisted_domains": ["https://192.168.0.10"]}, "field_url"),
    ("not a URL", {"whitelisted_domains": ["shop.example.com"]}, "field_url"),
    # the request as a whole
    ("no property", {}, "messenger_profile_requires_one_of"),
    (
        "only properties not emulated",
        {"account_linking_url": "https://x.example.com"},
        "messenger_profile_requires_one_of",
    ),
]


@pytest.mark.parametrize(("body", "rule"), [row[1:] for row in SETS], ids=[row[0] for row in SETS])
def test_messenger_profile_set(client: TestClient, body: dict[str, Any], rule: str | None) -> None:
    response = client.post(PROFILE, params=TOKEN, json=body)
    shown = client.get(f"/_emulator/pages/{PAGE}/messenger_profile").json()["messenger_profile"]
    if rule is None:
        assert response.status_code == 200, response.text
        assert response.json() == {"result": "success"}
        assert shown == body
    else:
        assert_refused(client, response, rule)
        assert shown == {}  # a refused call changes nothing


def test_refusal_names_the_field_as_graph_does(client: TestClient) -> None:
    response = client.post(PROFILE, params=TOKEN, json={"get_started": {}})
    assert (
        response.json()["error"]["message"]
        == "(#100) The parameter get_started[payload] is required"
    )
    response = client.post(
        PROFILE, params=TOKEN, json={"whitelisted_domains": ["ftp://x.example.com"]}
    )
    assert (
        response.json()["error"]["message"]
        == "(#100) whitelisted_domains[0] should represent a valid URL"
    )


# (id, method, params, rule)
READS_AND_DELETES = [
    ("GET without fields", "GET", TOKEN, "messenger_profile_fields_required"),
    ("DELETE without fields", "DELETE", TOKEN, "messenger_profile_fields_required"),
    ("DELETE with no field", "DELETE", {**TOKEN, "fields": "[]"}, "array_must_be_non_empty"),
    (
        "DELETE of an unknown property",
        "DELETE",
        {**TOKEN, "fields": '["get_started","home_urls"]'},
        "messenger_profile_field_invalid",
    ),
    (
        "GET of an unknown property",
        "GET",
        {**TOKEN, "fields": "greeting,foo"},
        "messenger_profile_field_invalid",
    ),
    ("GET with fields that are not names", "GET", {**TOKEN, "fields": "*****"}, "fields_syntax"),
    ("PUT", "PUT", TOKEN, "method_not_supported"),
    (
        "a token without pages_messaging",
        "GET",
        {"access_token": "NO_PERMISSION_TOKEN", "fields": "get_started"},
        "permission_pages_messaging",
    ),
]


@pytest.mark.parametrize(
    ("method", "params", "rule"),
    [row[1:] for row in READS_AND_DELETES],
    ids=[row[0] for row in READS_AND_DELETES],
)
def test_messenger_profile_read_and_delete_refusals(
    client: TestClient, method: str, params: dict[str, str], rule: str
) -> None:
    assert_refused(client, client.request(method, PROFILE, params=params), rule)


def test_permission_is_checked_on_post_too(client: TestClient) -> None:
    response = client.post(
        PROFILE, params={"access_token": "NO_PERMISSION_TOKEN"}, json={"get_started": GET_STARTED}
    )
    assert_refused(client, response, "permission_pages_messaging")


def test_set_read_delete_round_trip(client: TestClient) -> None:
    fields = {**TOKEN, "fields": "get_started,greeting,persistent_menu"}
    assert client.get(PROFILE, params=fields).json() == {"data": []}
    greeting = [{"locale": "default", "text": "Hi!"}]
    client.post(PROFILE, params=TOKEN, json={"get_started": GET_STARTED, "greeting": greeting})
    client.post(PROFILE, params=TOKEN, json={"persistent_menu": menu(postback())})
    assert client.get(PROFILE, params=fields).json() == {
        "data": [
            {"get_started": GET_STARTED, "greeting": greeting, "persistent_menu": menu(postback())}
        ]
    }
    # a property set again is replaced whole
    client.post(PROFILE, params=TOKEN, json={"greeting": [{"locale": "default", "text": "Yo"}]})
    read = client.get(PROFILE, params={**TOKEN, "fields": '["greeting"]'}).json()
    assert read == {"data": [{"greeting": [{"locale": "default", "text": "Yo"}]}]}
    deleted = client.request(
        "DELETE", PROFILE, params=TOKEN, json={"fields": ["greeting", "persistent_menu"]}
    )
    assert deleted.json() == {"result": "success"}
    assert client.get(PROFILE, params=fields).json() == {"data": [{"get_started": GET_STARTED}]}


def test_form_encoded_properties_are_json_strings(client: TestClient) -> None:
    response = client.post(
        f"/v21.0/{PAGE}/messenger_profile",
        data={
            "get_started": '{"payload":"GO"}',
            "whitelisted_domains": '["https://a.example.com"]',
            **TOKEN,
        },
    )
    assert response.json() == {"result": "success"}, response.text
    shown = client.get(f"/_emulator/pages/{PAGE}/messenger_profile").json()
    assert shown == {
        "page_id": PAGE,
        "messenger_profile": {
            "get_started": {"payload": "GO"},
            "whitelisted_domains": ["https://a.example.com"],
        },
    }


def test_profiles_are_per_page_and_cleared_by_reset(client: TestClient) -> None:
    client.post(PROFILE, params=TOKEN, json={"get_started": GET_STARTED})
    other = client.get(PROFILE, params={"access_token": "OTHER_TOKEN", "fields": "get_started"})
    assert other.json() == {"data": []}
    client.post("/_emulator/reset")
    assert (
        client.get(f"/_emulator/pages/{PAGE}/messenger_profile").json()["messenger_profile"] == {}
    )


def test_control_api_refuses_an_unknown_page(client: TestClient) -> None:
    response = client.get("/_emulator/pages/999/messenger_profile")
    assert response.status_code == 404
    assert "no page" in response.json()["error"]["message"]


# --- over real HTTP ----------------------------------------------------------------------


def test_profiles_over_http(live: str) -> None:
    with httpx.Client(base_url=live, timeout=10) as http:
        profile = http.get(f"/v21.0/{IN_WINDOW}", params={**TOKEN, "fields": "first_name,locale"})
        assert profile.json() == {"first_name": "Ada", "locale": "en_GB", "id": IN_WINDOW}
        unknown = http.get(f"/v21.0/{IN_WINDOW}", params={**TOKEN, "fields": "birthday"})
        assert unknown.status_code == 400
        assert unknown.json()["error"]["message"].startswith(
            "(#100) Tried accessing nonexisting field (birthday)"
        )
        body = {"get_started": GET_STARTED, "ice_breakers": [question()]}
        assert http.post(PROFILE, params=TOKEN, json=body).json() == {"result": "success"}
        shown = http.get(f"/_emulator/pages/{PAGE}/messenger_profile").json()
        assert shown["messenger_profile"] == body
        refused = http.post(
            PROFILE, params=TOKEN, json={"greeting": [{"locale": "x", "text": "y"}]}
        )
        assert refused.status_code == 400
        assert http.get("/_emulator/requests").json()["data"][-1]["rule"] == (
            "messenger_profile_default_locale"
        )
