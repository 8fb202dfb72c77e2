"""Supporters: invited only after the young person agrees, they add their own view and see only
what they wrote."""

from __future__ import annotations

import time

from sqlalchemy import select

from bot.store.models import FlowRun, Invitation, SupporterLink
from bot.store.models import Person as PersonRow
from tests.summary.test_summary_loop import (
    SUPPORTER_ADMIRE,
    SUPPORTER_WORKING,
    add_supporter,
    check_in,
    documents,
    pdf_text,
    young_person_id,
)
from tests.support.driver import Person, World, forge_callback


async def ask(sam: Person, name: str = "Jo", relationship: str = "School staff") -> None:
    await sam.send("/supporter")
    await sam.tap(name)
    assert "I will ask" in sam.text()
    await sam.tap(relationship)


async def invitations(chat: World) -> list[Invitation]:
    async with chat.bot.services.db.transaction() as session:
        return list((await session.scalars(select(Invitation).where(
            Invitation.kind == "supporter"))).all())


async def test_nothing_happens_unless_the_young_person_says_yes(chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await ask(sam)
    question = jo.last()
    assert question.photo, "the young person gets a yes / not now card"
    assert "They will not see your answers" in (question.display_text or "")
    yes = chat.bot.api.button_data(jo.user_id, "Yes")
    await jo.tap("Not now")
    assert "will not be asked" in jo.text()
    assert "Jo said not now" in sam.text()
    assert await invitations(chat) == []
    await jo.tap_data(question.message_id, yes)  # a later tap on the same card changes nothing
    assert await invitations(chat) == []
    assert "Code:" not in sam.text()


async def test_the_supporters_view_reaches_the_summary_and_only_that(chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await check_in(jo, "Good", "Friend", "Jo's own shared words", share=True)
    ann = await add_supporter(chat, sam, jo)
    [invitation] = await invitations(chat)
    assert invitation.used_at is not None and invitation.relationship == "parent"
    await ann.send("/view")
    await ann.tap("Add my view about Jo")
    await ann.send("a second view I will not send")
    for _ in range(6):  # every other question can be skipped
        await ann.tap("Skip")
    await ann.tap("Don't send it")
    assert "Not sent" in ann.text()
    await sam.send("/summary")
    await sam.tap("Jo")
    text = pdf_text(chat.bot, documents(sam)[-1])
    assert f"“{SUPPORTER_WORKING}”" in text and f"“{SUPPORTER_ADMIRE}”" in text
    assert "a second view I will not send" not in text
    assert "Ann's view (parent or carer)" in text
    seen = " ".join(m.display_text or "" for m in ann.messages())
    assert "Jo's own shared words" not in seen  # a supporter never reads Jo's answers
    assert not documents(ann)


async def test_a_supporter_can_do_nothing_else(chat: World) -> None:
    bot = chat.bot
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await check_in(jo, "Good", "Friend", "words for Sam only", share=True)
    await chat.young_person(sam, "Ali")
    ann = await add_supporter(chat, sam, jo)
    jo_id, ali_id = await young_person_id(bot, "Jo"), await young_person_id(bot, "Ali")
    async with bot.services.db.transaction() as session:
        jo_run = await session.scalar(select(FlowRun.id).where(FlowRun.about_id.is_(None)))
    for command in ("/summary", "/caseload", "/meeting", "/yousaid", "/invite"):
        reply = (await ann.send(command)).display_text or ""
        assert "add your view about the young person you support" in reply
    for data in (f"s:{jo_id}", f"mg:p:{jo_id}", f"ys:p:{jo_id}", f"sv:w:{ali_id}",
                 f"sv:p:{jo_id}", f"r:{jo_run}:1:c0", "cl:0", "pk:s:0"):
        update_id = forge_callback(bot.api, ann.user_id, ann.last().message_id, data)
        await bot.wait_processed(update_id)
    seen = " ".join(m.display_text or "" for m in ann.messages())
    assert "words for Sam only" not in seen and "Ali" not in seen
    async with bot.services.db.transaction() as session:
        about_ali = await session.scalar(select(FlowRun.id).where(FlowRun.about_id == ali_id))
    assert about_ali is None


async def test_links_are_for_supporters_only_and_work_once(chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await ask(sam, relationship="Another professional")
    await jo.tap("Yes")
    code = sam.text().split("Code: ", 1)[1].split()[0]
    ali = await chat.young_person(sam, "Ali")
    await ali.send(f"/start {code}")
    assert "already in MySay" in ali.text()  # a young person cannot become a supporter
    bea = chat.person("Bea")
    await bea.send(f"/start {code}")
    await bea.tap("Not now")
    assert "when you are ready" in bea.text()
    async with chat.bot.services.db.transaction() as session:
        assert await session.scalar(select(PersonRow).where(
            PersonRow.telegram_user_id == bea.user_id)) is None  # nothing kept before yes
    # Not a dead end (issue 12, point 7): "I'm ready now" brings the hello back.
    hello = await bea.tap("I'm ready now")
    assert "asked me to invite you to share your view about Jo" in (hello.display_text or "")
    await bea.tap("Yes")
    assert "You can now add your view about Jo" in " ".join(
        m.display_text or "" for m in bea.messages())
    cal = chat.person("Cal")
    await cal.send(f"/start {code}")
    assert "used already" in cal.text()
    async with chat.bot.services.db.transaction() as session:
        links = (await session.scalars(select(SupporterLink))).all()
    assert [(link.relationship, link.ended_at) for link in links] == [("professional", None)]


async def test_an_old_question_is_answered_kindly(chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    async with chat.bot.services.db.transaction() as session:
        sam_id = await session.scalar(select(PersonRow.id).where(
            PersonRow.telegram_user_id == sam.user_id))
    update_id = forge_callback(chat.bot.api, jo.user_id, jo.last().message_id,
                               f"sv:a:{sam_id}:0:1000:y")  # asked in 1970
    await chat.bot.wait_processed(update_id)
    assert "too old now" in jo.text()
    assert await invitations(chat) == []
    kim = await chat.therapist("Kim")
    async with chat.bot.services.db.transaction() as session:
        kim_id = await session.scalar(select(PersonRow.id).where(
            PersonRow.telegram_user_id == kim.user_id))
    minutes = int(time.time() // 60)
    update_id = forge_callback(chat.bot.api, jo.user_id, jo.last().message_id,
                               f"sv:a:{kim_id}:0:{minutes}:y")  # not Jo's therapist
    await chat.bot.wait_processed(update_id)
    assert await invitations(chat) == []
    assert all("Code:" not in (m.display_text or "") for m in kim.messages())
