"""Which encoder MySay's pictures should be sent in: bytes, milliseconds, and how the words
look once Telegram has re-encoded the picture and a phone shows it 360 px wide.

Run from the repository root:  .venv/bin/python bench/encoders.py [--runs 7] [--crops FILE]

Every picture MySay draws is a Pillow canvas encoded by one function
(bot.render.cards.shapes). This bench draws a representative set of canvases (question cards
with 4 and 12 tiles, a card in each palette, "Very big" text, a Talking Mat with 8 cards, a
review picture with 5 lines, a card with a personal photo tile), encodes each with every
candidate, and reports per candidate:

- `ms`: the median encode time over --runs runs (this machine is shared and noisy: medians);
- `KB`: the file's size;
- `file dB`: PSNR of the file itself against the canvas (what is kept, and what /mydata
  gives back);
- `tg dB` / `tg SSIM`: PSNR and SSIM of the picture after Telegram (below) against the
  canvas, at full size;
- `360 dB` / `title dB` / `words dB`: PSNR at 360 px wide, over the whole picture, the title
  (or topic) band, and the tiles' words, against the ideal (the canvas scaled straight to
  360 px with LANCZOS);
- `SSIM`: mean structural similarity at 360 px on luminance (8x8 blocks, see `_ssim`);
  "min" columns give the worst picture's figure.

Telegram's processing is simulated, and only approximately: Telegram does not publish what
it does to a photo sent with sendPhoto. What is known is that every photo is stored and shown
as JPEG whatever was sent, in sizes whose longest side is at most 1280 px for what clients
show in a chat (the PhotoSize list a bot gets back); the quality (about 87) and 4:2:0
subsampling are what is commonly reported from reading the quantisation tables of photos
downloaded again, not checked here (this machine does not reach Telegram). So: decode the
sent file, scale its longest side to <= 1280 px (LANCZOS; our pictures are 1080 px wide, so
only tall ones shrink), encode as JPEG quality 87, 4:2:0, decode. The phone is simulated as
a LANCZOS downscale to 360 px wide (a chat bubble on a small phone at 1x density: the
harshest plausible view; at 2-3x density the phone shows more pixels, hence the full-size
`tg` columns too).

WebP is measured for information only: the Bot API documents sendPhoto's size limits but not
which formats it accepts, so MySay does not rely on it.
"""

from __future__ import annotations

import argparse
import io
import math
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageMath

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

Box = tuple[int, int, int, int]

PHONE_WIDTH = 360
TELEGRAM_SIDE = 1280
TELEGRAM_QUALITY = 87

FOUR = [("Good", "😀"), ("OK", "😐"), ("Bad", "🙁"), ("Not sure", "🤷")]
TWELVE = [
    ("Home", "🏠"), ("School", "🏫"), ("Friend", "🧑‍🤝‍🧑"), ("Teacher", "🧑‍🏫"),
    ("Football", "⚽"), ("Music", "🎵"), ("Pizza", "🍕"), ("Bus", "🚌"), ("Art", "🎨"),
    ("Sleep", "😴"), ("Pet", "🐶"), ("Games", "🎲"),
]  # fmt: skip


@dataclass(frozen=True)
class Picture:
    """A drawn canvas and where its words are: `title` (a band), `words` (boxes)."""

    name: str
    canvas: Image.Image
    title: Box
    words: tuple[Box, ...]


@dataclass(frozen=True)
class Candidate:
    """One encoder and its settings; `sendable`: MySay could send it as a photo."""

    name: str
    encode: Callable[[Image.Image], bytes]
    sendable: bool = True


def _saver(fmt: str, **options: object) -> Callable[[Image.Image], bytes]:
    def encode(canvas: Image.Image) -> bytes:
        out = io.BytesIO()
        canvas.save(out, fmt, **options)
        return out.getvalue()

    return encode


def _palette_png(canvas: Image.Image) -> bytes:
    """256 colours (median cut, no dithering), then PNG level 3: quantising is timed too."""
    out = io.BytesIO()
    canvas.quantize(256, dither=Image.Dither.NONE).save(out, "PNG", compress_level=3)
    return out.getvalue()


def candidates() -> list[Candidate]:
    """The encoders compared: PNG levels, palette PNG, JPEG qualities x subsampling, WebP."""
    found = [Candidate(f"png{level}", _saver("PNG", compress_level=level)) for level in (1, 3, 6)]
    found.append(Candidate("png-256", _palette_png))
    for quality in (80, 85, 90, 95):
        for sub, label in ((0, "444"), (2, "420")):
            found.append(Candidate(f"jpeg{quality}-{label}",
                                   _saver("JPEG", quality=quality, subsampling=sub)))
    found.append(Candidate("jpeg90-444-opt",
                           _saver("JPEG", quality=90, subsampling=0, optimize=True)))
    from PIL import features

    if features.check("webp"):
        found.append(Candidate("webp90", _saver("WEBP", quality=90, method=4), sendable=False))
        found.append(Candidate("webp-lossless", _saver("WEBP", lossless=True, quality=20,
                                                       method=1), sendable=False))
    return found


@contextmanager
def _captured() -> Iterator[list[Image.Image]]:
    """Every canvas the renderer hands to its encoder, kept (the renderer returns bytes)."""
    from bot.render import mat, profile
    from bot.render.cards import draw, review

    kept: list[Image.Image] = []
    modules = (draw, review, mat, profile)
    saved = [m._png for m in modules]

    def capture(canvas: Image.Image) -> bytes:
        kept.append(canvas.copy())
        return b""

    for module in modules:
        module._png = capture  # type: ignore[attr-defined]
    try:
        yield kept
    finally:
        for module, original in zip(modules, saved, strict=True):
            module._png = original  # type: ignore[attr-defined]


def _photo(size: tuple[int, int] = (1280, 960)) -> bytes:
    """A made-up photo: smooth gradients and grain, like a phone photo (not of anyone)."""
    base = Image.merge("RGB", (Image.linear_gradient("L").resize(size),
                               Image.radial_gradient("L").resize(size),
                               Image.linear_gradient("L").rotate(90).resize(size)))
    grain = Image.effect_noise(size, 40).convert("RGB")
    out = io.BytesIO()
    Image.blend(base, grain, 0.15).save(out, "JPEG", quality=88)
    return out.getvalue()


def pictures() -> list[Picture]:
    """The representative canvases, drawn by the renderer itself."""
    from bot.engine.screen import MatCard, MatView
    from bot.render import mat
    from bot.render.cards import Card, CardStyle, Tile, layout_card, render_card, render_text_card
    from bot.render.mat import layout_mat, render_mat

    def tiles(words: list[tuple[str, str]]) -> tuple[Tile, ...]:
        return tuple(Tile(w, e) for w, e in words)

    def card_boxes(card: Card, style: CardStyle) -> tuple[Box, tuple[Box, ...]]:
        lay = layout_card(card, style)
        title = (0, 0, lay.width, lay.title_box[3])
        words = tuple((t.box[0], t.label_top, t.box[2], t.box[3]) for t in lay.tiles)
        return title, words

    four = Card("How was today?", tiles(FOUR), footer="Step 2 of 5")
    twelve = Card("What do you like doing?", tiles(TWELVE), footer="Step 3 of 5")
    photo = Card("Who did you see?", (Tile("Grandma", image=_photo()), *tiles(FOUR[:3])))
    cards = [("card4-standard", four, CardStyle()), ("card12-standard", twelve, CardStyle())]
    cards += [(f"card4-{p}", four, CardStyle(palette=p)) for p in ("high_contrast", "calm",
                                                                    "plain")]
    cards += [("card4-verybig", four, CardStyle(text_scale=1.5)),
              ("card-photo", photo, CardStyle())]
    found: list[Picture] = []
    for name, card, style in cards:
        with _captured() as kept:
            render_card(card, style)
        title, words = card_boxes(card, style)
        found.append(Picture(name, kept[0], title, words))

    lines = [("😀", "I liked art today"), ("🏫", "School was OK"), ("🍕", "Pizza for lunch"),
             ("🧑‍🤝‍🧑", "I played with my friend at break"), ("😴", "I was tired after PE")]
    with _captured() as kept:
        render_text_card("This is what you said", lines)
    title, _ = card_boxes(Card("This is what you said"), CardStyle())
    canvas = kept[0]
    found.append(Picture("review-5", canvas, title, ((0, title[3], canvas.width,
                                                      canvas.height),)))

    def mat_card(words: str, emoji: str) -> MatCard:
        return MatCard(words.lower(), words, emoji)

    scale = (mat_card("Like", "👍"), mat_card("Not sure", "🤔"), mat_card("Don't like", "👎"))
    placed = [mat_card(w, e) for w, e in TWELVE[:8]]
    view = MatView(mat_card("School", "🏫"), scale,
                   (tuple(placed[:3]), tuple(placed[3:5]), tuple(placed[5:])))
    with _captured() as kept:
        render_mat(view)
    lay = layout_mat(view, CardStyle())
    canvas = kept[0]
    # The topic band, then the words of the three scale headers and of the cards below them.
    top = (0, 0, canvas.width, mat._MARGIN + lay.top_h)
    heads = top[3] + mat._GAP
    words = [(mat._MARGIN + i * (lay.col_w + mat._COLUMN_GAP), heads + lay.header_h // 2,
              mat._MARGIN + i * (lay.col_w + mat._COLUMN_GAP) + lay.col_w, heads + lay.header_h)
             for i in range(3)]
    words.append((0, heads + lay.header_h, canvas.width, canvas.height))
    found.append(Picture("mat-8", canvas, top, tuple(words)))
    return found


def _decode(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as img:
        return img.convert("RGB")


def telegram(sent: Image.Image) -> Image.Image:
    """An approximation of what Telegram shows for a photo (see the module docstring)."""
    img = sent
    if max(img.size) > TELEGRAM_SIDE:
        ratio = TELEGRAM_SIDE / max(img.size)
        img = img.resize((round(img.width * ratio), round(img.height * ratio)),
                         Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=TELEGRAM_QUALITY, subsampling=2)
    return _decode(out.getvalue())


def phone(img: Image.Image) -> Image.Image:
    """The picture as a phone shows it, PHONE_WIDTH px wide."""
    height = round(img.height * PHONE_WIDTH / img.width)
    return img.resize((PHONE_WIDTH, height), Image.Resampling.LANCZOS)


def psnr(a: Image.Image, b: Image.Image, box: Box | None = None) -> float:
    """Peak signal-to-noise ratio in dB of b against a (RGB, same size), over `box`."""
    if box is not None:
        a, b = a.crop(box), b.crop(box)
    squares = [i * i for i in range(256)]
    total = 0
    for channel in ImageChops.difference(a, b).split():
        total += sum(n * s for n, s in zip(channel.histogram(), squares, strict=True))
    mse = total / (3 * a.width * a.height)
    return 99.0 if mse == 0 else 10 * math.log10(255 * 255 / mse)


def _ssim(a: Image.Image, b: Image.Image, block: int = 8) -> float:
    """Mean SSIM on luminance over non-overlapping block x block windows (Pillow only: local
    means by BOX reduction, instead of the usual sliding Gaussian window)."""
    x, y = a.convert("L").convert("F"), b.convert("L").convert("F")

    def mean(img: Image.Image) -> Image.Image:
        return img.reduce(block)

    def product(p: Image.Image, q: Image.Image) -> Image.Image:
        return ImageMath.lambda_eval(lambda v: v["p"] * v["q"], p=p, q=q)

    mx, my = mean(x), mean(y)
    sxx, syy, sxy = mean(product(x, x)), mean(product(y, y)), mean(product(x, y))
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    ssim = ImageMath.lambda_eval(
        lambda v: ((2 * v["mx"] * v["my"] + c1) * (2 * (v["sxy"] - v["mx"] * v["my"]) + c2))
        / ((v["mx"] * v["mx"] + v["my"] * v["my"] + c1)
           * ((v["sxx"] - v["mx"] * v["mx"]) + (v["syy"] - v["my"] * v["my"]) + c2)),
        mx=mx, my=my, sxx=sxx, syy=syy, sxy=sxy)
    # The mean by reducing to one pixel (ImageStat would bin an "F" image into a histogram).
    return float(ssim.reduce(ssim.size).getpixel((0, 0)))  # type: ignore[arg-type]


def _scaled(box: Box, ratio: float) -> Box:
    return (round(box[0] * ratio), round(box[1] * ratio), round(box[2] * ratio),
            round(box[3] * ratio))


def _union_psnr(ideal: Image.Image, seen: Image.Image, boxes: tuple[Box, ...]) -> float:
    """PSNR over several boxes together (their squared errors pooled)."""
    total, count = 0.0, 0
    for box in boxes:
        if box[2] <= box[0] or box[3] <= box[1]:
            continue
        value = psnr(ideal, seen, box)
        area = (box[2] - box[0]) * (box[3] - box[1])
        total += area * 255 * 255 / 10 ** (value / 10) if value < 99 else 0.0
        count += area
    return 99.0 if total == 0 else 10 * math.log10(255 * 255 * count / total)


@dataclass
class Row:
    """One candidate's figures, one entry per picture."""

    ms: list[float]
    kb: list[float]
    file: list[float]
    tg: list[float]
    tg_ssim: list[float]
    whole: list[float]
    title: list[float]
    words: list[float]
    ssim: list[float]


# views[picture][candidate] = (as the phone shows it at 360 px, after Telegram at full size)
Views = dict[str, dict[str, tuple[Image.Image, Image.Image]]]


def measure(pics: list[Picture], cands: list[Candidate], runs: int, keep: tuple[str, ...]
            ) -> tuple[dict[str, Row], Views]:
    """Per candidate, its figures for each picture; and the views of the candidates in
    `keep` ("ideal": the canvas itself)."""
    rows = {c.name: Row([], [], [], [], [], [], [], [], []) for c in cands}
    views: Views = {}
    for pic in pics:
        ideal = phone(pic.canvas)
        ratio = PHONE_WIDTH / pic.canvas.width
        title = _scaled(pic.title, ratio)
        words = tuple(_scaled(b, ratio) for b in pic.words)
        views[pic.name] = {"ideal": (ideal, pic.canvas)}
        for cand in cands:
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                data = cand.encode(pic.canvas)
                times.append((time.perf_counter() - started) * 1000)
            sent = _decode(data)
            shown = telegram(sent)
            # At full size too: the sizes compared must match (a tall picture was scaled).
            full = pic.canvas if shown.size == pic.canvas.size else pic.canvas.resize(
                shown.size, Image.Resampling.LANCZOS)
            seen = phone(shown)
            row = rows[cand.name]
            row.ms.append(statistics.median(times))
            row.kb.append(len(data) / 1024)
            row.file.append(psnr(pic.canvas, sent))
            row.tg.append(psnr(full, shown))
            row.tg_ssim.append(_ssim(full, shown))
            row.whole.append(psnr(ideal, seen))
            row.title.append(psnr(ideal, seen, title))
            row.words.append(_union_psnr(ideal, seen, words))
            row.ssim.append(_ssim(ideal, seen))
            if cand.name in keep:
                views[pic.name][cand.name] = (seen, shown)
    return rows, views


def _crops(pics: list[Picture]) -> list[tuple[str, Box]]:
    """Where to look, in 360 px coordinates: the middle of each title band, and the first
    words under it (the smallest text: a 12-tile card's labels, a review line, the mat's
    scale headers)."""
    wanted = ("card4-standard", "card12-standard", "card4-high_contrast", "review-5", "mat-8")
    found = []
    for pic in (p for p in pics if p.name in wanted):
        ratio = PHONE_WIDTH / pic.canvas.width
        title = _scaled(pic.title, ratio)
        middle = PHONE_WIDTH // 2
        found.append((f"{pic.name} title", (middle - 90, title[1], middle + 90, title[3])))
        first = _scaled(pic.words[0], ratio)
        height = min(first[3] - first[1], 40)
        found.append((f"{pic.name} words", (first[0], first[1], first[0] + 180,
                                             first[1] + height)))
    return found


_ZOOM = 3  # 360 px crops shown 3x (pixels kept sharp): as wide as the same place at 1080 px


def _crop_sheet(views: Views, pics: list[Picture], names: list[str], path: Path) -> None:
    """Side by side, one column per candidate ("ideal" first): small crops of titles and
    words as a phone shows them at 360 px (zoomed 3x), then the same places after Telegram
    at full size (1:1, a high-density phone or the opened picture)."""
    columns = ["ideal", *names]
    crops = _crops(pics)
    full_crops = [c for c in crops if c[0] in ("card12-standard words", "card4-standard title",
                                               "review-5 words")]
    rows = [(name, box, 0) for name, box in crops] + [(name, box, 1) for name, box in full_crops]
    label_h, gap = 22, 10
    col_w = 180 * _ZOOM + gap
    height = label_h + sum(label_h + (b[3] - b[1]) * _ZOOM + gap for _, b, _ in rows)
    sheet = Image.new("RGB", (col_w * len(columns), height), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(18)
    for i, column in enumerate(columns):
        draw.text((i * col_w + 4, 2), column, fill=(0, 0, 0), font=font)
    y = label_h
    for name, box, which in rows:
        draw.text((4, y + 2), f"{name}, {'1:1 after Telegram' if which else '360 px'}",
                  fill=(90, 90, 90), font=font)
        y += label_h
        picture = name.split()[0]
        for i, column in enumerate(columns):
            view = views[picture][column][which]
            if which:  # the same place at full size (a tall picture was scaled to 1280)
                ratio = view.width / PHONE_WIDTH
                crop = view.crop(_scaled(box, ratio)).resize(
                    ((box[2] - box[0]) * _ZOOM, (box[3] - box[1]) * _ZOOM),
                    Image.Resampling.NEAREST)
            else:
                crop = view.crop(box).resize(((box[2] - box[0]) * _ZOOM,
                                              (box[3] - box[1]) * _ZOOM),
                                             Image.Resampling.NEAREST)
            sheet.paste(crop, (i * col_w, y))
        y += (box[3] - box[1]) * _ZOOM + gap
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, "PNG", optimize=True)


# What "keeps the words as a lossless upload does" means for recommend(): after Telegram,
# the worst picture's title and words at 360 px within TEXT_SLACK dB of a lossless upload's,
# the whole picture at full size within TG_SLACK dB, and the file itself (the kept record)
# at least FILE_FLOOR dB on every picture.
TEXT_SLACK = 0.5
TG_SLACK = 1.0
FILE_FLOOR = 40.0
TIME_SLACK = 1.25  # "as fast": within 25% of the fastest that qualified (timings are noisy)
TITLE_TIE = 0.1  # dB: titles closer than this count as equal, and the smaller file wins


def recommend(rows: dict[str, Row], cands: list[Candidate], lossless: str = "png3"
              ) -> tuple[str, list[str]]:
    """The choice, and the names of all sendable candidates that keep the words as a
    lossless upload does (the constants above). Among those about as fast as the fastest,
    the one whose worst title after Telegram is nearest the lossless upload's (the question
    is the words that matter most), ties to the smaller file: bytes cost the least (a few
    ms of a server's uplink)."""
    med = statistics.median
    base = rows[lossless]
    good = [c.name for c in cands if c.sendable
            and min(rows[c.name].title) >= min(base.title) - TEXT_SLACK
            and min(rows[c.name].words) >= min(base.words) - TEXT_SLACK
            and med(rows[c.name].tg) >= med(base.tg) - TG_SLACK
            and min(rows[c.name].file) >= FILE_FLOOR]
    fastest = min(med(rows[n].ms) for n in good)
    quick = [n for n in good if med(rows[n].ms) <= fastest * TIME_SLACK]
    best_title = max(min(rows[n].title) for n in quick)
    near = [n for n in quick if min(rows[n].title) >= best_title - TITLE_TIE]
    return min(near, key=lambda n: med(rows[n].kb)), good


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="encodes per picture (median)")
    parser.add_argument("--crops", type=Path, default=ROOT / "docs/images/encoders-360px.png",
                        help="where to write the side-by-side title crops")
    parser.add_argument("--per-picture", action="store_true", help="a table per picture too")
    args = parser.parse_args()

    pics = pictures()
    cands = candidates()
    shown = ("png3", "jpeg90-444", "jpeg85-444", "jpeg90-420")
    rows, views = measure(pics, cands, args.runs, shown)
    print(f"{len(pics)} pictures: " + ", ".join(f"{p.name} {p.canvas.width}x{p.canvas.height}"
                                                for p in pics))
    print("Medians over the pictures (ms: median of each picture's median encode time);"
          " 'min' columns: the worst picture.")
    head = (f"{'candidate':<16}{'ms':>7}{'KB':>6}{'file dB':>8}{'min':>6}{'tg dB':>7}"
            f"{'tg SSIM':>9}{'360 dB':>8}{'title dB':>9}{'min':>7}{'words dB':>9}{'min':>7}"
            f"{'SSIM':>8}")
    print(head)
    print("-" * len(head))
    med = statistics.median
    for cand in cands:
        r = rows[cand.name]
        flag = "" if cand.sendable else "  (not sent: format undocumented for sendPhoto)"
        print(f"{cand.name:<16}{med(r.ms):>7.1f}{med(r.kb):>6.0f}{med(r.file):>8.2f}"
              f"{min(r.file):>6.1f}{med(r.tg):>7.2f}{med(r.tg_ssim):>9.4f}{med(r.whole):>8.2f}"
              f"{med(r.title):>9.2f}{min(r.title):>7.2f}{med(r.words):>9.2f}"
              f"{min(r.words):>7.2f}{med(r.ssim):>8.4f}{flag}")
    if args.per_picture:
        for i, pic in enumerate(pics):
            print(f"\n{pic.name}")
            for cand in cands:
                r = rows[cand.name]
                print(f"  {cand.name:<16}{r.ms[i]:>7.1f}{r.kb[i]:>6.0f}{r.file[i]:>8.2f}"
                      f"{r.tg[i]:>13.2f}{r.tg_ssim[i]:>9.4f}{r.whole[i]:>8.2f}"
                      f"{r.title[i]:>9.2f}{r.words[i]:>16.2f}{r.ssim[i]:>15.4f}")
    _crop_sheet(views, pics, list(shown), args.crops)
    print(f"\nCrops of titles and words (360 px and 1:1 after Telegram): {args.crops}")
    best, good = recommend(rows, cands)
    base = rows["png3"]
    chosen = rows[best]
    print(f"Keep the words as a lossless upload does: {', '.join(good)}.")
    print(f"Recommendation: {best}: {med(chosen.ms):.0f} ms and {med(chosen.kb):.0f} KB against "
          f"PNG level 3's {med(base.ms):.0f} ms and {med(base.kb):.0f} KB; after Telegram the "
          f"worst title is {min(base.title) - min(chosen.title):.2f} dB and the worst words "
          f"{min(base.words) - min(chosen.words):.2f} dB below a lossless upload's.")

if __name__ == "__main__":
    main()
