"""My future (issue 14, point 2), driven through the conversation: own words first, then
pictures and own words for each Preparing for Adulthood area, with "I don't know" and Skip as
everywhere; the shared answers reach the summary's My future section, each with its area."""

from __future__ import annotations

from tests.summary.test_summary_loop import documents, finish, pdf_text
from tests.support.driver import World

HOPE = "I want to work with animals, maybe on a farm"
WORK = "a job at the city farm"
HEALTH = "keep swimming with my brother"


async def test_my_future_asks_each_area_and_its_words_lead_the_my_future_section(
        chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    assert "🎂 My future" in jo.buttons()
    await jo.tap("My future")
    assert "What do you hope for in the future?" in jo.text()
    assert {"⏭️ Skip", "❔ I don't know"} <= set(jo.buttons())
    await jo.send(HOPE)
    assert "learn or do for work" in jo.text()
    await jo.tap("College")
    await jo.tap("A job")
    await jo.tap("Done")
    await jo.send(WORK)
    assert "where and how would you like to live" in jo.text()
    assert {"⏭️ Skip", "❔ I don't know"} <= set(jo.buttons())
    await jo.tap("I don't know")
    await jo.tap("Skip")  # no words about where they live
    assert "friends and other people" in jo.text()
    await jo.tap("A partner")
    await jo.tap("Done")
    await jo.tap("Skip")
    assert "stay healthy" in jo.text()
    await jo.tap("Skip")
    await jo.send(HEALTH)
    await finish(jo, share=True)

    await sam.send("/summary")
    await sam.tap("Jo")
    text = " ".join(pdf_text(chat.bot, documents(sam)[-1]).split())
    start = text.index("My future: what I hope for (Preparing for Adulthood)")
    section = text[start:text.index("Who helped me answer", start)]
    assert section.index(f"“{HOPE}”") < section.index(f"“{WORK}”") < section.index(
        f"“{HEALTH}”")
    assert "Learning and work" in section and "Staying healthy" in section
    # "I don't know" is kept under the area it was about (skipped words add nothing).
    assert "Where I live Answers “I don't know”: 1." in section
