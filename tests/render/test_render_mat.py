"""The Talking Mat and one-page profile pictures: size, symbols and words really drawn."""

from __future__ import annotations

import io

from PIL import Image, ImageChops

from bot.engine.screen import MatCard, MatView
from bot.render.mat import render_mat
from bot.render.profile import render_profile


def card(words: str, emoji: str) -> MatCard:
    return MatCard(words.lower(), words, emoji)


SCALE = (card("Like", "👍"), card("Not sure", "🤔"), card("Don't like", "👎"))


def view(first: tuple[MatCard, ...], current: MatCard | None = None) -> MatView:
    return MatView(card("School", "🏫"), SCALE, (first, (), (card("Tests", "📝"),)), current)


def image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def test_the_mat_is_a_phone_sized_picture_with_each_card_drawn() -> None:
    picture = image(render_mat(view((card("Maths", "🔢"), card("Art", "🎨")))))
    assert picture.width == 1080 and 700 < picture.height < 4000
    colours = picture.getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 50  # symbols in colour, not a blank page


def test_a_card_in_another_column_changes_the_picture_there() -> None:
    left = image(render_mat(view((card("Maths", "🔢"),))))
    moved = image(render_mat(MatView(card("School", "🏫"), SCALE,
                                     ((), (card("Maths", "🔢"),), (card("Tests", "📝"),)))))
    box = ImageChops.difference(left, moved).getbbox()
    assert box is not None
    assert box[0] < 360 and box[2] > 360  # the first and second columns changed


def test_the_words_are_drawn() -> None:
    a = image(render_mat(view((card("Maths", "🔢"),))))
    b = image(render_mat(view((card("Music", "🔢"),))))
    assert ImageChops.difference(a, b).getbbox() is not None  # only the word differs


def test_the_card_being_placed_is_shown_below_the_mat() -> None:
    plain = image(render_mat(view(())))
    placing = image(render_mat(view((), current=card("Lunch", "🥪"))))
    assert placing.height > plain.height


def test_a_personal_photo_card_is_drawn_from_its_photo() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), (255, 0, 255)).save(buffer, "PNG")
    own = MatCard("card_1", "Grandma", "", image=7)
    picture = image(render_mat(view((own,)), images={7: buffer.getvalue()}))
    magenta = {picture.getpixel((x, y)) for x in range(0, 360, 4)
               for y in range(0, picture.height, 4)}
    assert any(r > 240 and g < 20 and b > 240 for r, g, b in magenta)


def test_the_profile_has_the_photo_and_every_heading() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), (0, 200, 0)).save(buffer, "JPEG")
    sections = [("What people like about me", [("😊", "Kind")]),
                ("What is important to me", [("🐶", "My dog")]),
                ("How best to support me", [("⏳", "Give me time")])]
    with_photo = image(render_profile("My one-page profile", sections, buffer.getvalue()))
    without = image(render_profile("My one-page profile", sections))
    assert with_photo.width == 1080 and with_photo.height > 1200
    green = with_photo.getpixel((190, 180))
    assert green[1] > 150 and green[0] < 80  # the young person's photo is on it
    assert ImageChops.difference(with_photo, without).getbbox() is not None
    fewer = image(render_profile("My one-page profile", sections[:2]))
    assert fewer.height < without.height  # each heading takes its own space
