"""The reminder bot's tests, with the `send_api` fixture of send-api-emulator.

    pip install send-api-emulator pytest
    pytest examples/test_reminder_bot.py

Each test gets its own emulator with the bundled default scenario (page "Acme Shoes", token
ACME_PAGE_TOKEN; Ada, PSID 2000000000000001, wrote an hour ago). In-process by default: the
bot's httpx.Client gets `send_api.transport`, no port is opened.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from reminder_bot import HELP, ReminderBot, SendError

from emulator.testing import SendApi

TOKEN = "ACME_PAGE_TOKEN"
ADA = "2000000000000001"


@pytest.fixture
def bot(send_api: SendApi) -> Iterator[ReminderBot]:
    with httpx.Client(transport=send_api.transport) as http:
        bot = ReminderBot(send_api.graph_url(), TOKEN, http)
        send_api.deliver_to(bot.handle_webhook)  # what the person does reaches the bot
        yield bot


def test_asks_when_with_quick_replies(send_api: SendApi, bot: ReminderBot) -> None:
    send_api.person(ADA).says("remind me to stretch")

    reply = send_api.sent.last
    assert reply.recipient_id == ADA
    assert reply.text == "When should I remind you to stretch?"
    assert reply.quick_replies == ["In 1 hour", "Tomorrow"]


def test_anything_else_gets_help(send_api: SendApi, bot: ReminderBot) -> None:
    send_api.person(ADA).says("hello")

    send_api.assert_sent(to=ADA, text=HELP, messaging_type="RESPONSE")


def test_reminds_within_the_window_as_an_update(send_api: SendApi, bot: ReminderBot) -> None:
    ada = send_api.person(ADA)
    ada.says("remind me to stretch")
    ada.taps_quick_reply("In 1 hour")
    send_api.assert_sent(to=ADA, text="OK, I'll remind you to stretch in 1 hour.")
    assert bot.send_due(send_api.clock.now) == 0  # not yet

    send_api.clock.advance("1h")
    assert bot.send_due(send_api.clock.now) == 1

    send_api.assert_sent(to=ADA, text="Reminder: stretch", messaging_type="UPDATE")


def test_a_day_later_the_reminder_waits_for_the_person(send_api: SendApi, bot: ReminderBot) -> None:
    ada = send_api.person(ADA)
    ada.says("remind me to water the plants")
    ada.taps_quick_reply("TOMORROW")  # by payload or by title

    send_api.clock.advance("25h")  # Ada's 24-hour window has closed
    assert bot.send_due(send_api.clock.now) == 0
    assert send_api.sent.last.text == "OK, I'll remind you to water the plants tomorrow."

    ada.says("hi again")  # the window opens again
    send_api.assert_sent(to=ADA, text="While you were away: water the plants")
    assert send_api.rejected == []


def test_outside_the_window_an_untagged_message_is_refused(
    send_api: SendApi, bot: ReminderBot
) -> None:
    send_api.clock.advance("25h")  # Ada wrote 26 hours ago

    with pytest.raises(SendError) as refused:
        bot.send_text(ADA, "Still there?", "UPDATE")

    assert (refused.value.code, refused.value.subcode) == (10, 2018278)
    assert send_api.rejected.last["rule"] == "outside_window"
    send_api.assert_nothing_sent()


@pytest.mark.send_api(mode="server")
def test_the_same_bot_against_a_real_server(send_api: SendApi) -> None:
    """For bots that need a URL: the emulator listens on a free port of 127.0.0.1."""
    assert send_api.url.startswith("http://127.0.0.1:")
    with httpx.Client() as http:  # plain HTTP, no transport
        bot = ReminderBot(send_api.graph_url(), TOKEN, http)
        send_api.deliver_to(bot.handle_webhook)
        send_api.person(ADA).says("remind me to stretch")

    assert send_api.sent.last.quick_replies == ["In 1 hour", "Tomorrow"]
