"""The young person's check screen (the review before sharing) keeps each answer in context
(issue 14, point 10): the part of the day a Good day / Bad day answer was about, a Talking Mat's
cards under their columns, and who helped. The therapist's text summary then says the same."""

from __future__ import annotations

from tests.service.test_mat_placements import PLACED, plain
from tests.support.driver import Person, World


def _review(jo: Person, first: int) -> str:
    return "\n".join(m.display_text or "" for m in jo.messages()[first - 1:]
                     if "This is what you told me" in (m.display_text or ""))


async def test_a_good_day_bad_day_review_names_the_parts_and_who_helped(chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await jo.tap("Good day, bad day")
    await jo.tap("Good")
    await jo.tap("Calm")
    await jo.tap("Done")
    await jo.tap("Bad")
    await jo.tap("Too loud")
    await jo.tap("Done")
    while "Who helped you answer?" not in jo.text():
        await jo.tap("Skip")
    await jo.tap("My family")
    first = len(jo.messages())
    await jo.tap("Done")
    review = plain(_review(jo, first))
    assert "Morning: Good · because: Calm" in review, review
    assert "Getting to school: Bad · because: Too loud" in review, review
    assert "Who helped: My family" in review
    assert "Good · Calm · Bad · Too loud" not in review
    await jo.tap("Share with my therapist")
    await sam.send("/summary")
    await sam.tap("Jo")
    said = "\n".join(m.display_text or "" for m in sam.messages())
    assert ("Morning: Good · because: Calm; Getting to school: Bad · because: Too loud"
            in said), said
    assert "Who helped: My family" in said


async def test_a_mat_review_puts_each_card_under_its_column_and_names_who_helped(
        chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await jo.tap("Talking Mat")
    for _card, column in PLACED:
        await jo.tap(column)
    await jo.tap("This is right")
    await jo.tap("Skip")  # nothing more to say
    await jo.tap("My therapist")
    first = len(jo.messages())
    await jo.tap("Done")
    review = plain(_review(jo, first))
    assert "Like: Lessons, Art, Break time · Not sure: Reading, Lunch" in review, review
    assert "Don't like: Maths, Homework · Left off: PE" in review
    assert "Who helped: My therapist" in review
    await jo.tap("Share with my therapist")
    await sam.send("/summary")
    await sam.tap("Jo")
    said = "\n".join(m.display_text or "" for m in sam.messages())
    assert ("School: Like: Lessons, Art, Break time; Not sure: Reading, Lunch; "
            "Don't like: Maths, Homework; Left off: PE") in said, said
    assert "Who helped: My therapist" in said
