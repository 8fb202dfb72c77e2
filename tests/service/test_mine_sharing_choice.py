"""Sharing is a choice they see (issue 15, point 8).

On /mine, tapping a private activity shares nothing yet: it shows what the therapist would see
(the review picture of that activity, as the review showed it) with "Share with my therapist"
and "Not now". Sharing offers "Make it private again" for a while (privacy.UNDO_WINDOW). Every
change is audited; a stale or double tap is harmless; nobody else's tap can share it.
"""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from bot.service import callbacks
from bot.service.features.privacy import UNDO_WINDOW
from bot.store.models import AuditEntry, FlowRun
from bot.timeutil import utcnow
from tests.service.test_privacy import check_in, join, shared_flags
from tests.support.driver import Person, World
from tests.support.driver import forge_callback as chat_forge_callback


async def private_check_in(chat: World) -> tuple[Person, Person, int]:
    """Sam, and Jo with one check-in kept just for her, at /mine; and its run id."""
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await check_in(jo, "the swings were best", share=False)
    await jo.send("/mine")
    async with chat.bot.services.db.transaction() as session:
        run_id = await session.scalar(select(FlowRun.id))
    assert run_id is not None
    return sam, jo, run_id


async def audit_actions(chat: World) -> list[str]:
    async with chat.bot.services.db.transaction() as session:
        return list((await session.scalars(select(AuditEntry.action)
                                           .order_by(AuditEntry.id))).all())


async def test_one_tap_no_longer_shares_it_shows_what_would_be_shared(chat: World) -> None:
    _, jo, _ = await private_check_in(chat)
    await jo.tap("🔒")
    assert await shared_flags(chat.bot, jo.user_id) == [False]
    preview = jo.last()
    # The review's own picture (bot.render.screens.picture_for of the review screen).
    assert preview.kind == "photo" and preview.reply is not None
    assert preview.reply.screen is not None and preview.reply.screen.review
    assert "This is what your therapist will see" in preview.text
    assert "the swings were best" in preview.text
    assert preview.labels == ["📤 Share with my therapist", "✋ Not now"]
    await jo.tap("Not now")
    assert "Tap one to change who sees it" in jo.text()
    assert await shared_flags(chat.bot, jo.user_id) == [False]
    assert "shared_flow" not in await audit_actions(chat)


async def test_confirm_shares_and_undo_makes_it_private_again(chat: World) -> None:
    _, jo, _ = await private_check_in(chat)
    await jo.tap("🔒")
    await jo.tap("Share with my therapist")
    assert await shared_flags(chat.bot, jo.user_id) == [True]
    assert "Now your therapist can see" in jo.text()
    assert "🔒 Make it private again" in jo.buttons()
    await jo.tap("Make it private again")
    assert await shared_flags(chat.bot, jo.user_id) == [False]
    assert "is just for you" in jo.text()
    assert (await audit_actions(chat))[-2:] == ["shared_flow", "kept_flow"]


async def test_a_double_or_stale_tap_is_harmless(chat: World) -> None:
    _, jo, run_id = await private_check_in(chat)
    listed = jo.last().message_id
    await jo.tap("🔒")
    preview = jo.last().message_id

    async def again(message_id: int, data: callbacks.CallbackData) -> None:
        update_id = chat_forge_callback(chat.bot.api, jo.user_id, message_id, data.pack())
        await chat.bot.wait_processed(update_id)

    await jo.tap("Share with my therapist", message_id=preview)
    shared = jo.last().message_id
    await again(preview, callbacks.MineShare(run_id, 0))  # a double tap: nothing more
    assert await shared_flags(chat.bot, jo.user_id) == [True]
    await jo.tap("Make it private again", message_id=shared)
    await again(shared, callbacks.MineUndo(run_id, 0))  # a double tap: nothing more
    assert await shared_flags(chat.bot, jo.user_id) == [False]
    await again(listed, callbacks.MineToggle(run_id, True, 0))  # the old list: asks again
    assert await shared_flags(chat.bot, jo.user_id) == [False]
    assert "This is what your therapist will see" in jo.text()
    actions = await audit_actions(chat)
    assert actions.count("shared_flow") == 1 and actions.count("kept_flow") == 1


async def test_undo_only_works_for_a_while(chat: World) -> None:
    _, jo, _ = await private_check_in(chat)
    await jo.tap("🔒")
    await jo.tap("Share with my therapist")
    with time_machine.travel(utcnow() + UNDO_WINDOW + timedelta(minutes=1), tick=False):
        await jo.tap("Make it private again")
    assert await shared_flags(chat.bot, jo.user_id) == [True]
    assert "from a while ago" in jo.text()
    await jo.tap("🌟")  # the list still makes it private with one tap
    assert await shared_flags(chat.bot, jo.user_id) == [False]


async def test_nobody_else_can_share_it_or_see_it(chat: World) -> None:
    sam, jo, run_id = await private_check_in(chat)
    ali = await join(chat, sam, "Ali")
    for person in (ali, sam):
        for data in (callbacks.MineToggle(run_id, True, 0), callbacks.MineShare(run_id, 0),
                     callbacks.MineUndo(run_id, 0)):
            update_id = chat_forge_callback(chat.bot.api, person.user_id,
                                            person.last().message_id, data.pack())
            await chat.bot.wait_processed(update_id)
    assert await shared_flags(chat.bot, jo.user_id) == [False]
    seen = "\n".join(m.text for m in ali.messages() + sam.messages())
    assert "the swings were best" not in seen
    assert (await audit_actions(chat)).count("refused_sharing") == 3  # Ali's (Sam: no route)
