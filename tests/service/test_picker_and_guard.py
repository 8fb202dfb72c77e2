"""One young-person picker and one access guard for every therapist feature (issue 13, point 4).

Every picker pages (30 young people, every one reachable, on /assign and /addcard too), and
every therapist tap that names a young person refuses a therapist who does not have them, in
the same words, with nothing changed.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from bot.service import callbacks
from bot.service.routes import ROUTES
from bot.store.models import AuditEntry, Base, Role, YouSaid
from bot.store.models import Person as PersonRow
from tests.conftest import World
from tests.service.test_therapist_caseload import add_young_people
from tests.support.harness import forge_callback

REFUSAL = "Sorry, you can't do that."

# Each picker: its command, the words on a young person's button, and what the tap leads to.
PICKERS = [
    ("/summary", "📄", "s:"),
    ("/meeting", "🗓️", "mg:p:"),
    ("/yousaid", "💬", "ys:p:"),
    ("/supporter", "👪", "sv:p:"),
    ("/assign", "🗂️", "as:p:"),
    ("/addcard", "🖼️", "ac:"),
    ("/outcomes", "🎯", "oc:p:"),
    ("/agreed", "📝", "mr:p:"),
    ("/note", "📝", "nt:p:"),
    ("/style", "🧑", "sl:p:"),
]

# Every therapist tap kind that names a young person, with today's callback data for each of
# its operations ({jo}: the young person's id) and the feature the refusal is audited under.
NAMES_A_YOUNG_PERSON: dict[type, tuple[str, list[str]]] = {
    callbacks.PickPerson: ("summary", ["s:{jo}", "p:{jo}"]),
    callbacks.SectionATap: ("summary", ["sa:w:{jo}", "sa:t:{jo}"]),
    callbacks.AssignTap: ("assign", ["as:p:{jo}", "as:f:{jo}:0", "as:d:{jo}", "as:t:{jo}:0",
                                     "as:c:{jo}:0", "as:s:{jo}"]),
    callbacks.AddCardFor: ("card", ["ac:{jo}"]),
    callbacks.MeetingTap: ("meeting", ["mg:p:{jo}", "mg:w:{jo}:2", "mg:d:{jo}:20990105",
                                       "mg:t:{jo}", "mg:x:{jo}"]),
    callbacks.YouSaidTap: ("you_said", ["ys:p:{jo}", "ys:h:{jo}"]),
    callbacks.MeetingRecordTap: ("meeting_record", ["mr:p:{jo}", "mr:h:{jo}"]),
    callbacks.SupporterTap: ("supporter", ["sv:p:{jo}", "sv:r:{jo}:0"]),
    callbacks.OutcomeTap: ("outcomes", ["oc:p:{jo}", "oc:a:{jo}", "oc:e:{jo}:1", "oc:w:{jo}:1",
                                        "oc:g:{jo}:1", "oc:s:{jo}:1:talking", "oc:i:{jo}:1",
                                        "oc:k:{jo}:1", "oc:r:{jo}:1", "oc:y:{jo}:1"]),
    # "nt:r:<run>" names a run: tests/service/test_notes.py forges it with a run of Jo's.
    callbacks.NoteTap: ("note", ["nt:p:{jo}", "nt:g:{jo}:0"]),
    callbacks.StyleTap: ("style", ["sl:p:{jo}", "sl:l:{jo}:1", "sl:w:{jo}:1"]),
}
# Therapist taps that name no young person, and why they need no guard.
NAMES_NO_YOUNG_PERSON = {
    callbacks.PickPage: "a page of the therapist's own caseload",
    callbacks.CaseloadPage: "a page of the therapist's own caseload",
    callbacks.RecordTap: "the therapist's own voice for a question, for everyone",
    callbacks.AlertAck: "names an alert: access.responsible_for (safeguarding tests)",
    callbacks.DeletionDecision: "names a request: access.responsible_for (privacy tests)",
}


def test_every_therapist_tap_that_names_a_young_person_is_audited_here() -> None:
    """A new therapist button kind must say here whether it names a young person, so the
    refusal test below covers it."""
    kinds = {kind for (role, kind) in ROUTES.taps if role == Role.THERAPIST}
    assert kinds == set(NAMES_A_YOUNG_PERSON) | set(NAMES_NO_YOUNG_PERSON)


def test_old_picker_buttons_still_decode_to_the_same_kinds() -> None:
    """Buttons already in chats: the picker's own and each feature's young-person button."""
    assert callbacks.decode("pk:s:1") == callbacks.PickPage("s", 1)
    assert callbacks.decode("pk:v:0") == callbacks.PickPage("v", 0)
    assert callbacks.decode("s:5") == callbacks.PickPerson("s", 5)
    assert callbacks.decode("p:5") == callbacks.PickPerson("p", 5)
    assert callbacks.decode("as:p:5") == callbacks.AssignTap("p", 5)
    assert callbacks.decode("ac:5") == callbacks.AddCardFor(5)
    assert callbacks.decode("mg:p:5") == callbacks.MeetingTap("p", 5)
    assert callbacks.decode("ys:p:5") == callbacks.YouSaidTap("p", 5)
    assert callbacks.decode("sv:p:5") == callbacks.SupporterTap("p", 5)
    # The two new picker purposes: assign and add a card.
    assert callbacks.decode("pk:a:2") == callbacks.PickPage("a", 2)
    assert callbacks.decode("pk:c:2") == callbacks.PickPage("c", 2)


@pytest.mark.parametrize(("command", "emoji", "prefix"), PICKERS,
                         ids=[p[0].lstrip("/") for p in PICKERS])
async def test_every_picker_pages_and_every_young_person_is_reachable(
        world: World, command: str, emoji: str, prefix: str) -> None:
    sam = await world.therapist("Sam")
    ids = await add_young_people(world, sam, 30)
    await sam.send(command)
    seen: list[str] = []
    for page in range(3):
        message = sam.last()
        rows = message.inline_keyboard
        people = [b for row in rows for b in row if str(b["text"]).startswith(emoji)]
        assert len(people) == 10, f"page {page + 1} shows {len(people)}"
        assert all(str(b["callback_data"]).startswith(prefix) for b in people)
        seen += [str(b["text"]).removeprefix(emoji).strip() for b in people]
        if page < 2:
            await sam.tap(f"▶️ {page + 2}/3")
            assert sam.last().message_id == message.message_id  # the same message, edited
    assert seen == [f"Person {n:02d}" for n in range(30)]
    assert "▶️" not in " ".join(sam.buttons())
    await sam.tap("◀️")
    assert "Person 10" in " ".join(sam.buttons())
    await sam.tap("▶️ 3/3")
    await sam.tap("Person 29")  # the last young person reaches the feature
    assert REFUSAL not in sam.text()
    if command == "/assign":
        assert "Person 29" in sam.text() and "Done" in " ".join(sam.buttons())
    if command == "/addcard":
        assert "Person 29" in sam.text()
        async with world.bot.services.db.transaction() as session:
            row = await session.scalar(select(PersonRow).where(
                PersonRow.telegram_user_id == sam.user_id))
            assert row is not None and row.pending == {"kind": "card_photo", "young": ids[29]}


async def _everything(world: World) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the audit log and the claimed update ids (which a refused
    tap adds to), and the time someone was last active."""
    skip = {"audit_log", "processed_updates"}
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with world.bot.services.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            columns = [c for c in table.columns if c.name != "last_active_at"]
            rows = (await session.execute(select(*columns))).all()
            found[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return found


@pytest.mark.parametrize("kind", list(NAMES_A_YOUNG_PERSON),
                         ids=[k.__name__ for k in NAMES_A_YOUNG_PERSON])
async def test_a_therapist_without_the_young_person_is_refused_and_nothing_changes(
        world: World, kind: type) -> None:
    feature, samples = NAMES_A_YOUNG_PERSON[kind]
    sam = await world.therapist("Sam")
    await world.young_person(sam, "Jo")
    kim = await world.therapist("Kim")
    await world.young_person(kim, "Ali")  # Kim has young people: just not Jo
    await kim.send("/assign")
    async with world.bot.services.db.transaction() as session:
        jo = await session.scalar(select(PersonRow.id).where(  # the first young person
            PersonRow.role == Role.YOUNG_PERSON).order_by(PersonRow.id))
    assert jo is not None
    before = await _everything(world)
    api = world.bot.api
    for template in samples:
        data = template.format(jo=jo)
        assert isinstance(callbacks.decode(data), kind), data
        update_id = forge_callback(api, kim.user_id, kim.last().message_id, data)
        await world.bot.wait_processed(update_id)
        query_id = list(api.callback_queries)[-1]
        assert api.answered_callback_queries[query_id]["text"] == REFUSAL, data
        assert kim.text() == REFUSAL, data
        assert await _everything(world) == before, f"{data} changed something"
    async with world.bot.services.db.transaction() as session:
        refused = (await session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("refused_%")))).all()
    assert refused.count(f"refused_{feature}") + refused.count("refused_pick") == len(samples)
    # Her name as a word (a random invitation code can hold the letters "Jo").
    assert not re.search(r"\bJo\b", " ".join(m.display_text or "" for m in kim.messages()))


async def test_typed_input_after_the_young_person_left_is_refused_the_same_way(
        world: World) -> None:
    """The waiting input (a typed meeting date, a card's photo) is checked again: a young
    person who left the caseload meanwhile is not reached, and the waiting is forgotten."""
    sam = await world.therapist("Sam")
    await world.young_person(sam, "Jo")
    await sam.send("/meeting")
    await sam.tap("Jo")
    await sam.tap("Type a date")
    await _end_links(world)
    assert (await sam.send("14/05/2099")).display_text == REFUSAL
    assert "Sorry" not in ((await sam.send("hello")).display_text or "")  # not waiting now
    async with world.bot.services.db.transaction() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert "refused_meeting" in actions


async def _end_links(world: World) -> None:
    from bot.store.models import Link
    from bot.timeutil import utcnow

    async with world.bot.services.db.transaction() as session:
        for link in (await session.scalars(select(Link))).all():
            link.ended_at = utcnow()


async def test_a_you_said_draft_after_the_young_person_left_is_refused_and_never_sent(
        world: World) -> None:
    """A draft's buttons name the draft, not the young person: the guard still checks the
    young person it is for, so a card is never sent to someone who left the caseload."""
    sam = await world.therapist("Sam")
    jo = await world.young_person(sam, "Jo")
    await sam.send("/yousaid")
    await sam.tap("Jo")
    await sam.tap("The meeting has happened")
    await sam.send("you find break time hard")
    await sam.send("a quiet room at break")
    assert any("Send it to Jo" in b for b in sam.buttons()), (sam.text(), sam.buttons())
    heard_before = len(jo.messages())
    await _end_links(world)
    for label in ("Send it to Jo", "Add another"):
        await sam.tap(label)
        assert sam.text() == REFUSAL, label
    assert len(jo.messages()) == heard_before  # nothing reached Jo
    async with world.bot.services.db.transaction() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
        sent = (await session.scalars(select(YouSaid).where(
            YouSaid.sent_at.is_not(None)))).all()
    assert actions.count("refused_you_said") == 2 and not sent
