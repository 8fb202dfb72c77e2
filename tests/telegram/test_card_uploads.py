"""Which picture cards are kept, and for whom (issue 11, point 4).

A card of flow words and symbols is uploaded once and re-sent by its file id to everyone. A
card drawn from a young person's own content (their words on the review, their photo on a
card, their mat) is kept only tied to them: under their own key, with their id as owner, its
file id encrypted, never in the process's memory; so erasing them erases it.
"""

from __future__ import annotations

from sqlalchemy import LargeBinary, select, type_coerce

from bot.engine.screen import MatCard, MatView, Option, ReviewLine, Screen, ScreenKind
from bot.render.screens import picture_for
from bot.sandbox.fake_api import RecordedRequest
from bot.store.models import CardUpload, Person
from bot.telegram.handlers import CARDS
from tests.conftest import World
from tests.service.test_privacy import card_file_ids
from tests.support.harness import Person as ChatPerson

WORDS = "my gerbil Pumpernickel 2210"


def card_sends(world: World, chat_id: int, words: str) -> list[RecordedRequest]:
    """The bot's picture-card requests to this chat whose caption has `words`."""
    return [r for r in world.bot.api.requests
            if r.method in ("sendPhoto", "editMessageMedia") and r.ok
            and (r.response or {}).get("result", {}).get("chat", {}).get("id") == chat_id
            and words in ((r.response or {}).get("result", {}).get("caption") or "")]


async def to_the_review(person: ChatPerson) -> None:
    await person.tap("How was today")
    await person.tap("Good")
    await person.tap("Friend")
    await person.tap("Done")
    await person.send(WORDS)
    assert "This is what you told me" in person.text()


async def test_a_card_of_their_own_words_is_theirs_and_still_sent_by_file_id(
        world: World) -> None:
    therapist = await world.therapist()
    jo = await world.young_person(therapist, "Jo")
    await to_the_review(jo)
    await jo.tap("Stop for now")
    await jo.send("/menu")
    await jo.tap("How was today")  # back at the same review: the same picture again
    sends = card_sends(world, jo.user_id, WORDS)
    assert len(sends) >= 2 and sends[0].files, "uploaded the first time"
    assert sends[-1].reused_file_ids and not sends[-1].files, "then sent by its file id"
    mine = card_file_ids(world.bot.api, jo.user_id, [WORDS])

    async with world.bot.services.db.transaction() as session:
        jo_id = await session.scalar(select(Person.id).where(
            Person.telegram_user_id == jo.user_id))
        rows = (await session.execute(select(
            CardUpload.key, CardUpload.owner_id, CardUpload.file_id,
            type_coerce(CardUpload.file_id, LargeBinary).label("raw")))).all()
    theirs = [r for r in rows if r.file_id in mine]
    assert theirs and all(r.owner_id == jo_id for r in theirs)
    assert all(bytes(r.raw).startswith(b"gAAAAA") for r in rows)  # every file id encrypted
    assert any(r.owner_id is None for r in rows)  # the question cards are for everyone
    publisher = world.bot.application.bot_data[CARDS]  # type: ignore[union-attr]
    assert not mine & set(publisher._file_ids.values()), "not kept in the process's memory"

    ali = await world.young_person(therapist, "Ali")
    await to_the_review(ali)  # the same words: still his own upload, not Jo's file id
    his = card_sends(world, ali.user_id, WORDS)[-1]
    assert his.files and not set(his.reused_file_ids) & mine


def _screen(**changes: object) -> Screen:
    options = (Option(0, "good", "Good", "😀"), Option(1, "bad", "Bad", "😞"))
    base: dict[str, object] = {"flow_id": "check_in", "step_id": "how",
                               "kind": ScreenKind.CHOICE, "prompt": "How was today?",
                               "options": options}
    return Screen(**{**base, **changes})  # type: ignore[arg-type]


def test_only_cards_of_flow_words_and_symbols_are_for_everyone() -> None:
    card = MatCard("dog", "Grandma's dog", "", 7)
    mat = MatView(card, (card, card, card), ((), (), ()))
    review = (ReviewLine("how", "How was today?", WORDS, "💬"),)
    assert picture_for(_screen(), "How was today?").shared  # type: ignore[union-attr]
    for personal in (
        _screen(options=(Option(0, "card_1", "Grandma's dog", "", image=7),)),  # their photo
        _screen(personal=True),  # their earlier choices offered first
        _screen(fields={"card": "Grandma's dog"}, prompt_is_key=True),  # words filled in
        _screen(kind=ScreenKind.MAT_PLACE, mat=mat),
        _screen(kind=ScreenKind.REVIEW, review=review, options=()),
    ):
        picture = picture_for(personal, "a prompt")
        assert picture is not None and not picture.shared, personal
