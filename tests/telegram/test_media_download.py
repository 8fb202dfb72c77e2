"""A photo or voice note that could not be fetched (issue 11, point 7): "too big" only when it
is; when Telegram or the network failed, "I couldn't get that just now, please send it again",
with the question shown again so the young person keeps their place."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.sandbox.fake_api import FILE_DOWNLOAD
from bot.store.models import MediaFile
from bot.telegram import handlers
from tests.conftest import World
from tests.service.test_visual_flows import VOICE, jpeg
from tests.support.harness import Person

AGAIN = "I couldn't get that just now. Please send it again."
TOO_BIG = "That file is too big for me."


async def at_a_photo_question(world: World) -> Person:
    jo = await world.young_person(await world.therapist(), "Jo")
    await jo.tap("How was today")
    assert "How was today?" in jo.text()
    return jo


async def kept_files(world: World) -> int:
    async with world.bot.services.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(MediaFile)) or 0)


def said_since(jo: Person, since: int) -> str:
    return "\n".join(m.display_text or "" for m in jo.messages()[since:])


@pytest.mark.parametrize(("method", "status", "description"), [
    # Telegram's own words for a file it cannot hand over right now.
    ("getFile", 400, "Bad Request: wrong file_id or the file is temporarily unavailable"),
    (FILE_DOWNLOAD, 404, "Not Found"),  # the file path expired between getFile and fetching
])
async def test_a_failed_download_asks_to_send_it_again_and_keeps_the_place(
        world: World, method: str, status: int, description: str) -> None:
    jo = await at_a_photo_question(world)
    world.bot.api.inject_fault(method, status=status, description=description)
    since = len(jo.messages())
    await jo.send(photo=jpeg(), caption="my lunch")
    said = said_since(jo, since)
    assert AGAIN in said and TOO_BIG not in said
    assert "How was today?" in jo.text()  # the same question, to answer again
    assert await kept_files(world) == 0
    await jo.send(photo=jpeg(), caption="my lunch")  # sent again: now it arrives
    assert "Got your photo" in jo.text()
    assert await kept_files(world) == 1


async def test_a_network_failure_on_download_is_not_called_too_big(world: World) -> None:
    """Telegram answering 502 every time (retried by bot.telegram.request, then given up)."""
    jo = await at_a_photo_question(world)
    world.bot.api.inject_fault(FILE_DOWNLOAD, status=502, count=20)
    since = len(jo.messages())
    await jo.send(voice=VOICE)
    world.bot.api.clear_faults()
    said = said_since(jo, since)
    assert AGAIN in said and TOO_BIG not in said and "How was today?" in jo.text()


async def test_too_big_is_said_only_when_it_is(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    jo = await at_a_photo_question(world)
    # The Bot API refuses files over its 20 MB download limit with these words.
    world.bot.api.inject_fault("getFile", status=400, description="Bad Request: file is too big")
    since = len(jo.messages())
    await jo.send(photo=jpeg())
    assert TOO_BIG in said_since(jo, since) and AGAIN not in said_since(jo, since)
    assert "How was today?" in jo.text()
    # Bigger than MySay keeps (a small limit here, so the test needs no 10 MB photo).
    monkeypatch.setattr(handlers, "MAX_MEDIA_BYTES", 100)
    since = len(jo.messages())
    await jo.send(voice=VOICE + b"\x00" * 200)
    assert TOO_BIG in said_since(jo, since) and AGAIN not in said_since(jo, since)
    assert await kept_files(world) == 0
