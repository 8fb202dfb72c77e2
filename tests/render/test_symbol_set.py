"""A service's own symbol set (issue 15, point 3): MYSAY_SYMBOLS_DIR is checked at start-up,
with one sentence and exit 2 for each thing that can be wrong, and its pictures are drawn in
OpenMoji's place on the cards, the mat and the review list, with cache keys of their own."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from bot.engine.screen import MatCard, MatView
from bot.engine.vocabulary import Vocabulary
from bot.paths import media_dir
from bot.render import symbol_set
from bot.render.cards import (
    DEFAULT_STYLE,
    Card,
    Tile,
    card_key,
    layout_card,
    palette_for,
    render_card,
    render_text_card,
    text_card_key,
)
from bot.render.mat import render_mat
from bot.render.screens import Picture
from bot.render.symbol_set import SymbolSet
from bot.services import load_content
from tests.test_cli import run_cli

EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "symbol_set_example"
# The shipped vocabulary's emoji of good.png, a symbol not in the set, like.png and maths.svg
# (read from the data: a symbol's picture may change, its id never does).
_SYMBOLS = Vocabulary.load(media_dir() / "symbols.yaml")
GOOD, OK, LIKE, MATHS = (_SYMBOLS[i].emoji for i in ("good", "ok", "like", "maths"))
GREEN, BLUE, PURPLE, YELLOW = (20, 140, 60), (20, 30, 120), (106, 27, 154), (255, 214, 0)


@pytest.fixture
def own_symbols() -> Iterator[SymbolSet]:
    """The example set in use, as MYSAY_SYMBOLS_DIR makes it; OpenMoji again afterwards."""
    content = load_content(None, EXAMPLE)
    try:
        yield content.symbols
    finally:
        symbol_set.use(SymbolSet())


def _picture(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


# How far JPEG (bot.render.cards.shapes.encode) moves a flat colour, per channel.
SLACK = 6


def _count(img: Image.Image, colour: tuple[int, int, int]) -> int:
    """Pixels of this colour, give or take SLACK (the example set's flat colours; OpenMoji
    has none of them)."""
    apart = ImageChops.difference(img, Image.new("RGB", img.size, colour)).split()
    farthest = ImageChops.lighter(ImageChops.lighter(apart[0], apart[1]), apart[2])
    return sum(farthest.histogram()[:SLACK + 1])


def _near(colour: object, wanted: tuple[int, int, int]) -> bool:
    assert isinstance(colour, tuple)
    return all(abs(a - b) <= SLACK for a, b in zip(colour, wanted, strict=True))


def _card() -> Card:
    return Card("How was today?", (Tile("Good", GOOD), Tile("OK", OK)))


def _symbol_box(card: Card, index: int, img: Image.Image) -> Image.Image:
    return img.crop(layout_card(card, DEFAULT_STYLE).tiles[index].symbol)


def _expected_symbol_box(card: Card, index: int, file: Path) -> Image.Image:
    """The file's picture as a built-in symbol is placed, worked out here from the file: cropped
    to its ink, longest side 95% of the box, centred on the tile's colour."""
    left, top, right, bottom = layout_card(card, DEFAULT_STYLE).tiles[index].symbol
    width, height = right - left, bottom - top
    picture = Image.open(file).convert("RGBA")
    picture = picture.crop(picture.getchannel("A").getbbox())
    side = round(min(width, height) * 0.95)
    ratio = side / max(picture.size)
    picture = picture.resize((round(picture.width * ratio), round(picture.height * ratio)),
                             Image.Resampling.LANCZOS)
    box = Image.new("RGB", (width, height), palette_for(DEFAULT_STYLE).tile)
    box.paste(picture, ((width - picture.width) // 2, (height - picture.height) // 2), picture)
    return box


def _difference(a: Image.Image, b: Image.Image) -> float:
    """Mean per-channel difference, 0-255."""
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def test_a_card_draws_the_service_symbol_in_the_openmoji_box(own_symbols: SymbolSet) -> None:
    card = _card()
    mine = _picture(render_card(card))
    symbol_set.use(SymbolSet())
    openmoji = _picture(render_card(card))
    expected = _expected_symbol_box(card, 0, EXAMPLE / "good.png")
    assert _difference(_symbol_box(card, 0, mine), expected) < 1.5
    assert _difference(_symbol_box(card, 0, openmoji), expected) > 10
    # "OK" is not in the set: the same OpenMoji picture either way.
    assert _symbol_box(card, 1, mine).tobytes() == _symbol_box(card, 1, openmoji).tobytes()


def test_an_svg_symbol_is_drawn_centred_with_its_see_through_corners_kept(
        own_symbols: SymbolSet) -> None:
    card = Card("Which lesson?", (Tile("Maths", MATHS),))
    box = _symbol_box(card, 0, _picture(render_card(card)))
    width, height = box.size
    assert _count(box, YELLOW) > 500 and _count(box, PURPLE) > 500
    assert _near(box.getpixel((width // 2, height // 2 + 5)), YELLOW)  # the triangle, centred
    assert _near(box.getpixel((1, 1)), palette_for(DEFAULT_STYLE).tile)  # not a white square


def test_the_mat_and_the_review_list_draw_the_service_symbols(own_symbols: SymbolSet) -> None:
    like, maths = MatCard("like", "Like", LIKE), MatCard("maths", "Maths", MATHS)
    view = MatView(MatCard("school", "School", "🏫"),
                   (like, MatCard("not_sure", "Not sure", "🤷"),
                    MatCard("dont_like", "Don't like", "👎")),
                   ((maths,), (), ()))
    lines = [(GOOD, "How was today?: Good", (LIKE,))]
    mat, review = _picture(render_mat(view)), _picture(render_text_card("You said", lines))
    symbol_set.use(SymbolSet())
    plain_mat = _picture(render_mat(view))
    plain_review = _picture(render_text_card("You said", lines))
    assert _count(mat, BLUE) > 300 and _count(mat, PURPLE) > 300
    assert _count(plain_mat, BLUE) < 20 and _count(plain_mat, PURPLE) < 20
    assert _count(review, GREEN) > 300 and _count(review, BLUE) > 20
    assert _count(plain_review, GREEN) < 20


def test_cache_keys_change_only_where_a_service_symbol_is_drawn(own_symbols: SymbolSet) -> None:
    card, plain = _card(), Card("How was today?", (Tile("OK", OK),))
    lines = [(OK, "Feeling: OK", (GOOD,))]
    mat = MatView(MatCard("school", "School", "🏫"),
                  (MatCard("like", "Like", LIKE), MatCard("n", "Not sure", "🤷"),
                   MatCard("d", "Don't like", "👎")), ((), (), ()))
    mine = (card_key(card, DEFAULT_STYLE), card_key(plain, DEFAULT_STYLE),
            text_card_key("t", lines, DEFAULT_STYLE), Picture("", mat=mat).key(DEFAULT_STYLE))
    symbol_set.use(SymbolSet())
    openmoji = (card_key(card, DEFAULT_STYLE), card_key(plain, DEFAULT_STYLE),
                text_card_key("t", lines, DEFAULT_STYLE), Picture("", mat=mat).key(DEFAULT_STYLE))
    assert mine[0] != openmoji[0] and mine[2] != openmoji[2] and mine[3] != openmoji[3]
    assert mine[1] == openmoji[1]  # no service symbol on it: its cached upload still fits


def test_the_licence_text_travels_with_the_pictures(own_symbols: SymbolSet) -> None:
    copyright_ = Image.open(io.BytesIO(render_card(_card()))).info["comment"].decode()
    assert "OpenMoji" in copyright_ and own_symbols.attribution in copyright_


# -- start-up -------------------------------------------------------------------------------


def _broken(folder: Path, case: str) -> str:
    """A copy of the example set broken one way; returns the words its error must contain."""
    shutil.copytree(EXAMPLE, folder)
    mapping = folder / "symbols.yaml"
    text = mapping.read_text(encoding="utf-8")
    if case == "no folder":
        shutil.rmtree(folder)
        return "there is no such folder"
    if case == "no mapping":
        mapping.unlink()
        return "there is no symbols.yaml in the folder"
    if case == "mapping not a mapping":
        mapping.write_text("symbols: [good.png]\n", encoding="utf-8")
        return "symbols.yaml: symbols"
    if case == "missing file":
        (folder / "like.png").unlink()
        return "'like' names 'like.png', which is not in the folder"
    if case == "unknown id":
        mapping.write_text(text + "  smiley_face: good.png\n", encoding="utf-8")
        return "'smiley_face', which is not a symbol id"
    if case == "not png or svg":
        mapping.write_text(text.replace("good.png", "good.gif"), encoding="utf-8")
        return "'good.gif', which is not a PNG or SVG file"
    if case == "not a plain name":
        mapping.write_text(text.replace("good.png", "../good.png"), encoding="utf-8")
        return "which is not a plain file name"
    if case == "corrupt png":
        data = (folder / "good.png").read_bytes()
        (folder / "good.png").write_bytes(data[: len(data) // 2])
        return "'good.png' (good) cannot be used: the PNG is damaged"
    if case == "jpeg named png":
        Image.new("RGB", (40, 40), (200, 0, 0)).save(folder / "good.png", "JPEG")
        return "'good.png' (good) cannot be used: it is a JPEG picture, not a PNG"
    if case == "broken svg":
        (folder / "maths.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'><rect",
                                          encoding="utf-8")
        return "'maths.svg' (maths) cannot be used: it is not a valid SVG"
    assert case == "blank picture"
    Image.new("RGBA", (40, 40), (0, 0, 0, 0)).save(folder / "good.png")
    return "'good.png' (good) draws nothing"


CASES = ["no folder", "no mapping", "mapping not a mapping", "missing file", "unknown id",
         "not png or svg", "not a plain name", "corrupt png", "jpeg named png", "broken svg",
         "blank picture"]


@pytest.mark.parametrize("case", CASES)
def test_each_broken_symbol_set_is_caught_in_process(tmp_path: Path, case: str) -> None:
    folder = tmp_path / "symbols"
    words = _broken(folder, case)
    with pytest.raises(symbol_set.SymbolSetError) as caught:
        load_content(None, folder)
    message = str(caught.value)
    assert message.startswith(f"MYSAY_SYMBOLS_DIR ({folder}): ") and words in message
    assert "\n" not in message and message.endswith(".")
    assert len(symbol_set.active()) == 0  # nothing half-loaded is left in use


@pytest.mark.parametrize("case", ["no folder", "missing file", "unknown id", "corrupt png",
                                  "broken svg"])
def test_a_broken_symbol_set_stops_start_up_with_one_sentence(tmp_path: Path, case: str) -> None:
    folder = tmp_path / "symbols"
    words = _broken(folder, case)
    result = run_cli("run", tmp_path=tmp_path, MYSAY_SYMBOLS_DIR=str(folder),
                     TELEGRAM_BOT_TOKEN="123:abc")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("MySay cannot start: MYSAY_SYMBOLS_DIR (") and words in lines[0]
    assert not (tmp_path / "data").exists()  # stopped before any data was made


def test_start_up_accepts_the_example_set(tmp_path: Path) -> None:
    """With the example set, start-up gets past the symbols to the next check (here a data
    key that cannot be read, so nothing goes to the network)."""
    result = run_cli("run", tmp_path=tmp_path, MYSAY_SYMBOLS_DIR=str(EXAMPLE),
                     TELEGRAM_BOT_TOKEN="123:abc", MYSAY_DATA_KEYS="not-a-key")
    assert result.returncode == 2 and "MYSAY_SYMBOLS_DIR" not in result.stderr
    assert "MySay cannot open its data" in result.stderr and "Traceback" not in result.stderr
