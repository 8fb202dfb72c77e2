"""Every picture is opened one safe way (issue #11, point 3; bot/render/safe_image.py).

A small PNG that decodes to 20000 x 20000, a JPEG cut short, words with a picture's name and a
picture in a format MySay does not take are refused kindly when they arrive, and the young
person keeps their place. Bad pictures already kept (by an older version) no longer stop
/mydata, /summary, the one-page profile or the Talking Mat: they are left out, and that is said.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from bot.engine.screen import MatCard, MatView
from bot.render import safe_image
from bot.render.mat import render_mat
from bot.render.safe_image import KEPT_SIDE, Refusal, check_arrival, open_stored
from bot.store.db import Database
from bot.store.models import MediaFile
from bot.summary import demo
from tests.conftest import World
from tests.service.test_privacy import join, tap_on
from tests.summary.test_summary_cli import BASE, cli, seeded  # noqa: F401 - seeded is a fixture
from tests.support.harness import Person, RunningBot

LIMIT = 10 * 1024 * 1024


# --- pictures, good and bad, made here --------------------------------------------------------


def jpeg(colour: tuple[int, int, int] = (200, 120, 40), size: tuple[int, int] = (64, 48),
         **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", **save)
    return out.getvalue()


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A real PNG, all black, one bit a pixel: about 50 KB that decodes to width x height."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


BOMB = png_bomb()
CUT_SHORT = jpeg(size=(640, 480))[:2000]
WORDS = b"These are words in a file called a picture, not a picture.\n" * 20


def bmp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 90, 200)).save(out, "BMP")
    return out.getvalue()


def moving_gif() -> bytes:
    """Two frames: red, then green. Only the first is kept."""
    frames = [Image.new("RGB", (40, 40), colour) for colour in ((255, 0, 0), (0, 255, 0))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def jpeg_with_location() -> bytes:
    """A landscape photo whose EXIF says "turn me upright" and where it was taken."""
    picture = Image.new("RGB", (60, 30), (0, 0, 255))
    exif = picture.getexif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees to show
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS: a made-up place
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif)
    return out.getvalue()


# --- the safe opener itself -------------------------------------------------------------------


def test_the_bomb_is_refused_from_its_header_without_decoding() -> None:
    assert len(BOMB) < 100_000
    assert struct.unpack(">II", BOMB[16:24]) == (20_000, 20_000)  # what its header claims
    assert check_arrival(BOMB, max_bytes=LIMIT).refused is Refusal.TOO_BIG
    assert open_stored(BOMB, 300) is None
    # Below Pillow's own limit but above Telegram's photo limit: still never decoded.
    assert check_arrival(png_bomb(6000, 5000), max_bytes=LIMIT).refused is Refusal.TOO_BIG


def test_each_kind_of_bad_picture_is_refused_for_its_reason() -> None:
    assert check_arrival(CUT_SHORT, max_bytes=LIMIT).refused is Refusal.BROKEN
    assert check_arrival(WORDS, max_bytes=LIMIT).refused is Refusal.NOT_A_PICTURE
    assert check_arrival(bmp(), max_bytes=LIMIT).refused is Refusal.NOT_A_PICTURE
    assert check_arrival(jpeg(), max_bytes=100).refused is Refusal.TOO_BIG
    assert check_arrival(jpeg(size=(2000, 50)), max_bytes=LIMIT).refused is Refusal.TOO_BIG
    for bad in (CUT_SHORT, WORDS, bmp(), b"", b"\x89PNG\r\n\x1a\n"):
        assert open_stored(bad, 300) is None


def test_a_plain_jpeg_is_kept_as_it_came() -> None:
    photo = jpeg()
    assert check_arrival(photo, max_bytes=LIMIT) == safe_image.Arrival(photo, "image/jpeg")


def test_a_kept_photo_is_upright_and_says_nothing_about_where_it_was_taken() -> None:
    arrival = check_arrival(jpeg_with_location(), max_bytes=LIMIT)
    assert arrival.data is not None and arrival.mime_type == "image/jpeg"
    with Image.open(io.BytesIO(arrival.data)) as kept:
        assert kept.size == (30, 60)  # turned upright
        assert not kept.getexif() and "exif" not in kept.info


def test_a_moving_picture_keeps_its_first_frame_and_a_huge_one_is_scaled_down() -> None:
    arrival = check_arrival(moving_gif(), max_bytes=LIMIT)
    assert arrival.data is not None
    with Image.open(io.BytesIO(arrival.data)) as kept:
        red, green, blue = kept.convert("RGB").getpixel((20, 20))  # type: ignore[misc]
        assert red > 200 and green < 50 and blue < 50
    wide = check_arrival(jpeg(size=(4000, 3000)), max_bytes=LIMIT)
    assert wide.data is not None
    with Image.open(io.BytesIO(wide.data)) as kept:
        assert max(kept.size) == KEPT_SIDE


def test_a_see_through_picture_stays_see_through() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (30, 30), (0, 0, 0, 0)).save(out, "PNG")
    arrival = check_arrival(out.getvalue(), max_bytes=LIMIT)
    assert arrival.mime_type == "image/png"
    assert arrival.data is not None and open_stored(arrival.data, 10).mode == "RGBA"  # type: ignore[union-attr]


SAMPLES = [jpeg(size=(40, 30)), moving_gif(), bmp(), jpeg_with_location(),
           png_bomb(64, 64), BOMB[:400]]


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A real picture with some bytes changed and perhaps cut short, or any bytes at all."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=600))
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(0, 6))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[:draw(st.integers(0, len(data)))])


@examples(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=damaged(), box=st.integers(1, 3000))
def test_any_bytes_give_a_bounded_picture_or_none_and_never_raise(data: bytes, box: int) -> None:
    picture = open_stored(data, box)
    if picture is not None:
        assert max(picture.size) <= min(box, KEPT_SIDE) and picture.mode in ("RGB", "RGBA")
    arrival = check_arrival(data, max_bytes=LIMIT)
    assert (arrival.data is None) == (arrival.refused is not None)
    if arrival.data is not None:  # what is kept always opens again
        assert open_stored(arrival.data, KEPT_SIDE) is not None


def test_a_card_whose_photo_cannot_be_opened_shows_the_placeholder_on_the_mat() -> None:
    scale = (MatCard("like", "Like", "👍"), MatCard("unsure", "Not sure", "🤔"),
             MatCard("dislike", "Don't like", "👎"))

    def mat(card: MatCard, images: dict[int, bytes]) -> bytes:
        return render_mat(MatView(MatCard("school", "School", "🏫"), scale, ((card,), (), ())),
                          images=images)

    spoilt = mat(MatCard("card_1", "Grandma's dog", "", image=7), {7: BOMB})
    placeholder = mat(MatCard("card_1", "Grandma's dog", "🖼️"), {})
    assert spoilt == placeholder


# --- through the bot: pictures arriving -------------------------------------------------------


async def young(world: World) -> tuple[Person, Person]:
    therapist = await world.therapist()
    return therapist, await world.young_person(therapist, "Jo")


async def kept_pictures(bot: RunningBot) -> list[MediaFile]:
    async with bot.services.db.transaction() as session:
        return list((await session.scalars(select(MediaFile).order_by(MediaFile.id))).all())


async def test_bad_pictures_sent_as_answers_are_refused_kindly_and_the_question_stays(
        world: World) -> None:
    _, jo = await young(world)
    await jo.tap("How was today")
    question = jo.text()
    refusals = [("huge.png", BOMB, "too big"), ("cut.jpg", CUT_SHORT, "can't open that picture"),
                ("cat.png", WORDS, "can't open that picture"),
                ("drawing.png", bmp(), "can't open that picture")]
    for name, data, said in refusals:
        reply = await jo.send(document=data, document_name=name)
        assert said in (reply.display_text or ""), name
        assert question in jo.text(), name  # still on the same question
        assert "went wrong" not in " ".join(m.display_text or "" for m in jo.messages())
    assert await kept_pictures(world.bot) == []
    await jo.send(document=moving_gif(), document_name="moving.gif")
    assert "Got your photo" in jo.text()
    await jo.send(document=jpeg_with_location(), document_name="holiday.jpg")
    kept = await kept_pictures(world.bot)
    assert [m.mime_type for m in kept] == ["image/jpeg", "image/jpeg"]
    with Image.open(io.BytesIO(kept[-1].content)) as photo:
        assert not photo.getexif()  # no location kept


async def test_a_therapist_card_photo_that_cannot_be_opened_can_be_sent_again(
        world: World) -> None:
    therapist, _ = await young(world)
    await therapist.send("/addcard")
    await therapist.tap("Jo")
    await therapist.send(document=CUT_SHORT, document_name="dog.jpg")
    assert "can't open that picture" in therapist.text()
    await therapist.send(photo=jpeg((10, 10, 200)))
    await therapist.send("Grandma's dog")
    assert "Saved" in therapist.text()


async def test_a_picture_that_cannot_be_opened_keeps_the_chance_to_say_more(
        world: World) -> None:
    sam = await world.therapist("Sam")
    jo = await join(world, sam, "Jo")
    await jo.tap("I don't feel safe")
    await tap_on(jo, "Thank you for telling me", "I want to say more")
    await jo.send(document=CUT_SHORT, document_name="what.jpg")
    assert "can't open that picture" in jo.text()
    await jo.send("it happens at night")  # still heard: the picture lost them nothing
    assert 'Jo added: "it happens at night"' in " ".join(
        m.display_text or "" for m in sam.messages())


# --- through the bot: bad pictures kept by an older version -----------------------------------


async def spoil(bot: RunningBot, kind: str, data: bytes = BOMB) -> None:
    """Put bad bytes where a kept picture is, as a version without these checks could have."""
    async with bot.services.db.transaction() as session:
        rows = (await session.scalars(select(MediaFile).where(MediaFile.kind == kind))).all()
        assert rows
        for row in rows:
            row.content = data


def pdf_text(bot: RunningBot, person: Person, name_ends: str) -> str:
    """The words of the newest file sent to `person` whose name ends so."""
    found = [m.document for m in person.messages() if m.document
             and (bot.api.files[m.document].file_name or "").endswith(name_ends)]
    assert found, f"no {name_ends} was sent"
    reader = PdfReader(io.BytesIO(bot.api.file_bytes(found[-1])))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


async def test_a_bad_kept_photo_does_not_stop_mydata_or_the_summary(world: World) -> None:
    therapist, jo = await young(world)
    await jo.tap("How was today")
    await jo.tap("Good")
    await jo.tap("Skip")
    await jo.send(photo=jpeg())
    await jo.tap("Share")
    await spoil(world.bot, "photo")

    await jo.send("/mydata")
    said = " ".join(m.display_text or "" for m in jo.messages())
    assert "went wrong" not in said
    assert "I can't show this picture here. It is still in your data file." in pdf_text(
        world.bot, jo, "my-mysay.pdf")
    zipped = [m for m in jo.messages() if m.document
              and world.bot.api.files[m.document].file_name == "my-mysay-data.zip"]
    assert zipped  # the data file still has everything, the bad picture too

    await therapist.send("/summary")
    await therapist.tap("Jo")
    assert "Photos that could not be shown: 1" in pdf_text(world.bot, therapist, ".pdf")


async def test_a_bad_kept_photo_does_not_stop_the_one_page_profile(world: World) -> None:
    _, jo = await young(world)
    await jo.tap("About me")
    await jo.tap("Kind")
    await jo.tap("Done")
    await jo.tap("Skip")
    while "Send a photo of you" not in jo.text():
        await jo.tap("Skip")
    await jo.send(photo=jpeg((30, 160, 90)))
    await spoil(world.bot, "photo")
    await jo.tap("On my own")
    await jo.tap("Done")
    await jo.tap("Share")
    profile = next(m for m in reversed(jo.messages())
                   if m.photo and "one-page profile" in (m.display_text or ""))
    with Image.open(io.BytesIO(world.bot.api.file_bytes(profile.photo))) as picture:
        assert picture.width == 1080


async def test_a_bad_kept_card_photo_does_not_stop_the_talking_mat(world: World) -> None:
    therapist, jo = await young(world)
    await therapist.send("/addcard")
    await therapist.tap("Jo")
    await therapist.send(photo=jpeg((10, 10, 200)))
    await therapist.send("Grandma's dog")
    await spoil(world.bot, "card")
    await jo.tap("Talking Mat")
    for _ in range(8):
        await jo.tap("Like")
    assert "where does Grandma's dog go?" in jo.text()
    await jo.tap("Like")
    assert "went wrong" not in " ".join(m.display_text or "" for m in jo.messages())


async def test_the_command_line_summary_leaves_out_a_bad_kept_photo(
        seeded: tuple[Database, demo.Seeded], database_url: str,  # noqa: F811
        tmp_path: Path) -> None:
    db, _ = seeded
    async with db.transaction() as session:
        first = await session.scalar(select(func.max(MediaFile.id)).where(
            MediaFile.kind == "photo"))
        row = await session.get(MediaFile, first)
        assert row is not None
        row.content = BOMB
    result = cli(database_url, tmp_path, "summary", "--young-person", str(BASE + 1),
                 "--out", "jo.pdf", "--png", "jo.png")
    assert result.returncode == 0, result.stderr
    text = " ".join(p.extract_text() for p in PdfReader(tmp_path / "jo.pdf").pages)
    assert "could not be shown" in text
    with Image.open(tmp_path / "jo.png") as picture:
        assert picture.width == 1080
