"""A double tap on "Change something" under a review sent as picture cards.

A long review goes out as photo pages, its buttons under the last one. The "Which one do you
want to change?" screen lists every answer: a picture card while its words fit a caption
(MAX_CAPTION, Bot API sendPhoto) and words alone when they do not, which a photo cannot become.
Telegram puts the tapped message in every callback query as it is at the time of the tap, so
the second tap of a double tap carries the photo too; the bot must never ask Telegram to edit
the text of a photo (refused: "there is no text in the message to edit").
"""

from __future__ import annotations

import pytest

from bot.sandbox.fake_api import RecordedRequest, SentMessage
from bot.telegram.delivery import MAX_CAPTION
from tests.conftest import World
from tests.support.harness import Person, forge_callback

CHANGE = "Which one do you want to change?"


def refused(requests: list[RecordedRequest], chat_id: int) -> list[RecordedRequest]:
    """The bot's requests about this chat that Telegram refused (an edit that changed nothing,
    as retiring buttons already gone, is harmless)."""
    return [r for r in requests if r.done and not r.ok
            and (str(r.params.get("chat_id")) == str(chat_id)
                 or r.method == "answerCallbackQuery")
            and not (r.method.startswith("edit") and "not modified" in str(r.response))]


async def to_a_photo_review(jo: Person, change_screen_chars: int) -> SentMessage:
    """Today's check-in answered in three long own words, sized so that the change screen has
    exactly `change_screen_chars` characters; returns the review's last page (a photo with
    the buttons)."""
    await jo.tap("How was today")
    await jo.send("a" * 300)  # at "How was today?": own words
    await jo.send("b" * 300)  # at "What made it like that?"
    # The change screen is its question, then one line per answer: 1004 characters so far.
    await jo.send("c" * (300 + change_screen_chars - 1004))
    card = jo.last()
    assert "This is what you told me" in (card.caption or "")
    assert card.photo and jo.buttons(card.message_id), "the last page: a photo with buttons"
    return card


def words_of(message: SentMessage) -> str:
    return message.caption if message.photo else (message.text or "")


@pytest.mark.parametrize("second", ["at_once", "after"])
@pytest.mark.parametrize("chars", [MAX_CAPTION, MAX_CAPTION + 1])
async def test_a_double_tap_on_change_something_under_a_photo_review(
        world: World, chars: int, second: str) -> None:
    jo = await world.young_person(await world.therapist(), "Jo")
    api = world.bot.api
    card = await to_a_photo_review(jo, chars)
    data = Person._find(card, "Change something")
    since = len(api.requests)
    if second == "at_once":  # both taps in the callback queries before the bot answers one
        api.push_callback(jo.user_id, card.message_id, data)
        update_id, _ = api.push_callback(jo.user_id, card.message_id, data)
        await world.bot.wait_processed(update_id)
    else:  # the second after the first was answered: the message as it is by then
        await jo.tap_data(card.message_id, data)
        await world.bot.wait_processed(forge_callback(api, jo.user_id, card.message_id, data))

    assert refused(api.requests[since:], jo.user_id) == []
    shown = next(m for m in reversed(jo.messages()) if m.inline_keyboard)
    assert words_of(shown).startswith(CHANGE) and len(words_of(shown)) == chars
    if chars <= MAX_CAPTION:  # still a picture card: the review's photo became it
        assert shown.message_id == card.message_id and shown.photo
    else:  # words alone, sent anew; the photo's buttons are retired
        assert shown.message_id != card.message_id and not shown.photo
        old = api.message(jo.user_id, card.message_id)
        assert old is not None and old.photo and not old.inline_keyboard
