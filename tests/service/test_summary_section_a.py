"""/summary offers Section A on its own (issue 14, point 5): the PDF and the picture come with
one tap as before; under the short message, "Section A as Word" sends a .docx and "Section A as
text" sends it as messages to paste. Another therapist's tap is refused and audited."""

from __future__ import annotations

import io

from docx import Document
from sqlalchemy import select

from bot.store.models import AuditEntry
from tests.summary.test_summary_loop import (
    SUPPORTER_FUTURE,
    add_supporter,
    check_in,
    documents,
    young_person_id,
)
from tests.support.driver import World, forge_callback

SAID = "the hall was too loud"


async def test_the_summary_offers_section_a_as_word_and_as_text(chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await check_in(jo, "Bad", "Too loud", SAID, share=True)
    await add_supporter(chat, sam, jo)
    await sam.send("/summary")
    await sam.tap("Jo")
    assert [d.file_name for d in documents(sam)][-1].endswith(".pdf")  # one tap: the PDF
    assert sam.buttons() == ["📝 Section A as Word", "📋 Section A as text"]
    await sam.tap("📝 Section A as Word")
    word = documents(sam)[-1]
    assert (word.file_name or "").startswith("mysay-section-a-jo-")
    assert (word.file_name or "").endswith(".docx")
    doc = Document(io.BytesIO(chat.bot.api.file_bytes(word.document)))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == "Section A: Jo's views, interests and aspirations (draft)"
    assert f"“{SAID}” (Jo's own words)" in paragraphs
    assert (f"Their hopes for the future: “{SUPPORTER_FUTURE}” (Ann's own words)"
            in paragraphs)
    await sam.tap("📋 Section A as text", sam.messages()[-2].message_id)
    pasted = "\n".join(m.display_text or "" for m in sam.messages()[-2:])
    assert "Section A for Jo, as text to paste:" in pasted
    assert f"“{SAID}” (Jo's own words)" in pasted
    assert "Ann, parent or carer: their view" in pasted
    async with chat.bot.services.db.transaction() as session:
        reads = (await session.scalars(select(AuditEntry.action).where(
            AuditEntry.action == "read_summary"))).all()
    assert len(reads) == 3  # the summary, the Word copy and the text: each read audited


async def test_another_therapist_cannot_have_section_a(chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await check_in(jo, "Bad", "Too loud", SAID, share=True)
    kim = await chat.therapist("Kim")
    jo_id = await young_person_id(chat.bot, "Jo")
    for data in (f"sa:w:{jo_id}", f"sa:t:{jo_id}"):
        update_id = forge_callback(chat.bot.api, kim.user_id, kim.last().message_id, data)
        await chat.bot.wait_processed(update_id)
    seen = " ".join(m.display_text or "" for m in kim.messages())
    assert SAID not in seen and not documents(kim)
    async with chat.bot.services.db.transaction() as session:
        refused = (await session.scalars(select(AuditEntry.detail).where(
            AuditEntry.action == "refused_summary"))).all()
    assert refused == [f"asked for {jo_id}", f"asked for {jo_id}"]
