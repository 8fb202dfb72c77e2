"""The outcomes table (bot/store/outcome_repo.py), on SQLite and PostgreSQL: order, words
encrypted at rest, changed and ended in place, the limit, a run's snapshot of them; and a young
person's own data export has them, and erasing the young person deletes them and their
pictures."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection

from bot.engine.core import AnswerKind, AnswerRecord
from bot.engine.flows import MAX_OUTCOMES
from bot.safety import erase, export
from bot.safety.export_pdf import readable_pdf
from bot.services import Services
from bot.store import media_repo, outcome_repo, repo
from bot.store.db import Database
from bot.store.models import FlowRun, MediaFile, Meeting, Outcome, Person
from bot.timeutil import utcnow
from tests.summary.test_summary_pdf import pdf_text


async def _young(services: Services, user_id: int = 42) -> Person:
    async with services.db.transaction() as session:
        return await repo.add_person(session, telegram_user_id=user_id, chat_id=user_id,
                                     role="young_person", display_name="Jo", consented=True)


async def test_outcomes_in_order_encrypted_changed_and_ended_in_place(
        services: Services) -> None:
    jo = await _young(services)
    other = await _young(services, 43)
    async with services.db.transaction() as session:
        help_ = await outcome_repo.add(session, young_person_id=jo.id, created_by_id=None,
                                       words="  I can ask for help 5e1a ", symbol_id="help")
        friend = await outcome_repo.add(session, young_person_id=jo.id, created_by_id=None,
                                        words="I can make a friend")
        await outcome_repo.add(session, young_person_id=other.id, created_by_id=None,
                               words="Someone else's")
        with pytest.raises(ValueError):
            await outcome_repo.add(session, young_person_id=jo.id, created_by_id=None,
                                   words="   ")
    async with services.db.transaction() as session:
        raw = [bytes(r) for r in (await session.scalars(text("SELECT words FROM outcomes")))]
        assert raw and not any(b"5e1a" in r for r in raw)  # encrypted at rest
        current = await outcome_repo.current(session, jo.id)
        assert [(o.words, o.symbol_id) for o in current] == [
            ("I can ask for help 5e1a", "help"), ("I can make a friend", None)]
        assert await outcome_repo.one(session, other.id, help_.id) is None  # not theirs
        changed = await outcome_repo.one(session, jo.id, friend.id, for_update=True)
        assert changed is not None
        outcome_repo.change(changed, words="I can play with a friend")
        ended = await outcome_repo.one(session, jo.id, help_.id)
        assert ended is not None
        outcome_repo.end(ended)
    async with services.db.transaction() as session:
        assert [o.words for o in await outcome_repo.current(session, jo.id)] == [
            "I can play with a friend"]
        assert await outcome_repo.one(session, jo.id, help_.id) is None  # ended
        kept = await outcome_repo.every(session, jo.id)  # ended ones keep their words
        assert [(o.words, o.ended_at is not None) for o in kept] == [
            ("I can ask for help 5e1a", True), ("I can play with a friend", False)]
        assert outcome_repo.as_run_options(await outcome_repo.current(session, jo.id)) == {
            "outcome_1": {"id": friend.id, "words": "I can play with a friend",
                          "symbol": None, "media": None}}


async def test_at_most_the_outcomes_the_activity_asks_about(services: Services) -> None:
    jo = await _young(services)
    async with services.db.transaction() as session:
        for n in range(MAX_OUTCOMES):
            await outcome_repo.add(session, young_person_id=jo.id, created_by_id=None,
                                   words=f"Outcome {n}")
        with pytest.raises(ValueError):
            await outcome_repo.add(session, young_person_id=jo.id, created_by_id=None,
                                   words="One too many")


async def test_their_export_has_their_outcomes_and_erasure_deletes_them(
        services: Services) -> None:
    jo = await _young(services)
    async with services.db.transaction() as session:
        picture = await media_repo.keep(session, owner_id=jo.id, kind="card",
                                        mime_type="image/jpeg", data=b"\xff\xd8jpeg")
        await outcome_repo.add(session, young_person_id=jo.id, created_by_id=None,
                               words="I can ask for help", symbol_id="help")
        friend = await outcome_repo.add(session, young_person_id=jo.id, created_by_id=None,
                                        words="I can make a friend", media_id=picture)
        outcome_repo.end(friend)
    content = services.content
    async with services.db.transaction() as session:
        person = await session.get(Person, jo.id)
        assert person is not None
        made = await export.collect(session, content.engine, content.locale, person,
                                    ZoneInfo("Europe/London"), utcnow())
    listed = made.data["outcomes"]
    assert [(o["words"], o["symbol"], o["taken_off"] is not None) for o in listed] == [
        ("I can ask for help", "Help", False), ("I can make a friend", None, True)]
    assert listed[1]["picture"] == f"media/card-{picture}.jpg"
    readable = pdf_text(readable_pdf(made, content.locale))
    assert "The outcomes in your plan" in readable
    assert "“I can ask for help”" in readable
    assert "“I can make a friend” (taken off your plan)" in readable
    async with services.db.transaction() as session:
        person = await session.get(Person, jo.id)
        assert person is not None
        erased = await erase.erase_young_person(session, person)
    assert erased.counts["outcomes"] == 2
    async with services.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Outcome)) == 0
        assert await session.scalar(select(func.count()).select_from(MediaFile)) == 0


async def test_0004_makes_the_outcomes_table_as_the_model_has_it_and_takes_it_away(
        database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bot.store.models import Base
    from tests.store.test_migrations import _alembic

    def differences(connection: Connection) -> list[Any]:
        found = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        return [d for d in found if "outcomes" in repr(d)]

    def tables(connection: Connection) -> set[str]:
        return set(sa.inspect(connection).get_table_names())

    db = Database(database_url)
    try:
        await db.upgrade()
        async with db.engine.connect() as conn:
            assert await conn.run_sync(differences) == []
        await _alembic(db, "downgrade", "0003")
        async with db.engine.connect() as conn:
            assert "outcomes" not in await conn.run_sync(tables)
        await db.upgrade()
        async with db.engine.connect() as conn:
            assert "outcomes" in await conn.run_sync(tables)
    finally:
        await db.dispose()


async def test_their_export_says_which_outcome_each_view_is_about_and_when_a_meeting_happened(
        services: Services) -> None:
    jo = await _young(services)
    engine = services.content.engine
    flow = engine.flows["how_am_i_getting_on"]
    point = flow.step("view_outcome_1").choices[0]  # the flow's own scale, whatever its ids
    async with services.db.transaction() as session:
        help_ = await outcome_repo.add(session, young_person_id=jo.id, created_by_id=None,
                                       words="I can ask for help", symbol_id="help")
        await outcome_repo.add(session, young_person_id=jo.id, created_by_id=None,
                               words="I can make a friend")
        given = outcome_repo.as_run_options(await outcome_repo.current(session, jo.id))
        run = FlowRun(person_id=jo.id, flow_id=flow.id, step_id="_end", status="finished",
                      options={"outcomes": given}, finished_at=utcnow())
        session.add(run)
        session.add(Meeting(young_person_id=jo.id, held_on=date(2026, 3, 27),
                            happened_at=datetime(2026, 3, 20, 10, 0, tzinfo=UTC)))
        await session.flush()
        for step_id in ("view_outcome_1", "view_outcome_2", "anything"):
            await repo.put_answer(session, run.id, AnswerRecord(
                step_id, AnswerKind.ANSWERED, (point,) if step_id != "anything" else (),
                "I like Mrs Lee" if step_id == "anything" else None))
        # Changed since: the export keeps the words as they were asked.
        outcome_repo.change(help_, words="I ask for help in every lesson")
    async with services.db.transaction() as session:
        person = await session.get(Person, jo.id)
        assert person is not None
        made = await export.collect(session, engine, services.content.locale, person,
                                    ZoneInfo("Europe/London"), utcnow())
    answers = made.data["flows"][0]["answers"]
    assert [(a["step"], a["about"]) for a in answers] == [
        ("view_outcome_1", "I can ask for help"), ("view_outcome_2", "I can make a friend"),
        ("anything", None)]
    assert made.data["meetings"][0]["happened"] == "2026-03-20 10:00"
    readable = " ".join(pdf_text(readable_pdf(made, services.content.locale)).split())
    said = engine.vocabulary[point].words
    question = flow.step("view_outcome_1").prompt
    assert f"{question} (about “I can ask for help”) – {said}" in readable
    assert f"{question} (about “I can make a friend”) – {said}" in readable
