"""What one tap costs the database: a fixed, small number of statements (issue 6).

Counted, not timed (tests never assert on time): a regression that adds a query to every tap,
or takes the ORM's bulk path again, shows up here on both databases.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot.store.db import Database
from tests.conftest import World

# Claim the update id, read the person (locked), read the run (locked), read its answers,
# write the answer, write the run's new step, then read the person as they are after the event
# for "Read to me" (bot.service.conversation._read_out: one read by primary key; issue 15,
# point 6).
STATEMENTS_PER_CHOICE_TAP = 7


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements the bot runs meanwhile, without transaction control and PRAGMAs."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        first = statement.split(None, 1)[0].upper()
        if first not in ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE"):
            seen.append(" ".join(statement.split()))

    event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", note)


async def test_a_tap_on_a_picture_card_costs_seven_statements(world: World) -> None:
    therapist = await world.therapist()
    jo = await world.young_person(therapist, "Jo")
    ali = await world.young_person(therapist, "Ali")
    for person in (jo, ali):
        await person.tap("How was today")
    await jo.tap("Good")  # the next card is uploaded once, and its file id kept
    with statements(world.bot.services.db) as seen:
        await ali.tap("Good")
    assert "What made it good?" in ali.text()
    assert len(seen) == STATEMENTS_PER_CHOICE_TAP, seen
    assert [s.split()[0] for s in seen] == ["INSERT", "SELECT", "SELECT", "SELECT", "INSERT",
                                            "UPDATE", "SELECT"], seen
    assert "FOR UPDATE" in seen[1] or world.bot.services.db.is_sqlite  # SQLite: one writer


async def test_a_repeated_update_costs_one_statement(world: World) -> None:
    therapist = await world.therapist()
    jo = await world.young_person(therapist, "Jo")
    await jo.tap("How was today")
    card = jo.last()
    api = world.bot.api
    update_id, _ = api.push_callback(jo.user_id, card.message_id,
                                     api.button_data(jo.user_id, "Good"))
    await world.bot.wait_processed(update_id)
    with statements(world.bot.services.db) as seen:
        api.push_duplicate(update_id)
        await world.bot.wait_processed(update_id, times=2)
    assert len(seen) == 1 and seen[0].startswith("INSERT INTO processed_updates"), seen
