"""Draw the before/after pictures of the grown-up style (issue 15, point 4) for the README:
the same question card and one-page profile in the young style and in the grown-up style,
side by side, through the same code the bot uses (CardStyle, the palettes, the locale overlay,
the profile's headings).

    python scripts/style_pictures.py   # writes docs/images/style-young.png, style-grown-up.png
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from bot.render.cards import Card, CardStyle, Tile, render_card
from bot.render.profile import render_profile
from bot.service.young_person import _merged, _profile_heading
from bot.services import load_content

OUT = Path(__file__).resolve().parents[1] / "docs" / "images"
# The one-page profile's answers, as symbol ids per step, and the own words they added.
CHOSEN = {"admire": ["kind", "funny"], "important": ["family", "music_listening"],
          "support": ["give_me_time", "use_pictures"]}
OWN_WORDS = {"admire_words": "I make people laugh"}
STYLES = {"young": CardStyle(), "grown-up": CardStyle(palette="plain")}


def _question(style: CardStyle) -> Image.Image:
    """The profile's first question, two cards chosen, as the card the young person sees."""
    content = load_content()
    flow = content.engine.flows["one_page_profile"]
    step = flow.steps[0]
    tiles = tuple(Tile(content.vocabulary[c].words, content.vocabulary[c].emoji,
                       selected=c in CHOSEN["admire"]) for c in step.choices)
    footer = content.locale("part_of", n=1, total=len(flow.steps))
    return Image.open(io.BytesIO(render_card(Card(step.prompt, tiles, footer), style)))


def _profile(style: CardStyle, grown_up: bool) -> Image.Image:
    """The one-page profile of the same answers, headed as the bot heads it in that style."""
    content = load_content()
    flow = content.engine.flows["one_page_profile"]
    say = content.locale.styled("grown_up" if grown_up else "young")
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    for step in flow.steps:
        items = [(content.vocabulary[c].emoji, content.vocabulary[c].words)
                 for c in CHOSEN.get(step.id, [])]
        if step.id in OWN_WORDS:
            items.append(("✏️", f"“{OWN_WORDS[step.id]}”"))
        if items:
            sections.append((_profile_heading(flow, step, grown_up), items))
    if grown_up:
        sections = _merged(sections)
    return Image.open(io.BytesIO(render_profile(say("profile_title"), sections, None, style)))


def side_by_side(left: Image.Image, right: Image.Image, gap: int = 40) -> Image.Image:
    """Two pictures scaled to one height, side by side on white."""
    height = max(left.height, right.height)
    scaled = [p.resize((round(p.width * height / p.height), height)) for p in (left, right)]
    canvas = Image.new("RGB", (sum(p.width for p in scaled) + 3 * gap, height + 2 * gap),
                       (255, 255, 255))
    x = gap
    for part in scaled:
        canvas.paste(part.convert("RGB"), (x, gap))
        x += part.width + gap
    return canvas


def main() -> None:
    """Write one picture per style into docs/images/."""
    OUT.mkdir(parents=True, exist_ok=True)
    for name, style in STYLES.items():
        picture = side_by_side(_question(style), _profile(style, name == "grown-up"))
        picture.thumbnail((1600, 1600))
        picture.save(OUT / f"style-{name}.png", optimize=True)
        print(OUT / f"style-{name}.png", picture.size)


if __name__ == "__main__":
    main()
