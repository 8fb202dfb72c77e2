"""Reading the symbols (emoji) a screen shows and what each one means there, for the rule "one
picture, one meaning, per screen" (issue 15, point 2).

A button reads "<symbol> <words>" ("❔ I don't know"); a ticked choice "✅ <symbol> <words>"
(the tick, then the choice's own symbol). A symbol's meaning is its words, compared without
case, punctuation or the words after a colon ("📌 Keep what I wrote: “…”" means "keep what i
wrote"). Two meanings that say one thing in other words ("Skip" on the button, "(skipped)" on
the review) are named in SAME_MEANING."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

TICK = "✅"
TICKED = "(ticked)"  # what the tick in front of a chosen picture means
# The review marks an answer with the symbol of the button that gave it: the same meaning.
SAME_MEANING = {"skipped": "skip"}


def is_glyph(token: str) -> bool:
    """True for a word of a label that is a symbol: no letters, and an emoji or other picture
    character in it ("😀", "1️⃣", "🧑‍🤝‍🧑"); False for words, numbers and punctuation."""
    return bool(token) and not any(ch.isalpha() for ch in token) \
        and any(ord(ch) > 0x2000 for ch in token)


def meaning(words: str) -> str:
    """The words a symbol stands for, as compared: lower case, the part before any colon,
    without brackets, quotes and dots; "(skipped)" -> "skip" (SAME_MEANING)."""
    words = words.split(":", 1)[0]
    plain = re.sub(r"[()\[\]“”\"'‘’.…!?,]", "", words.replace("’", "'")).casefold().strip()
    plain = re.sub(r"\s+", " ", plain)
    return SAME_MEANING.get(plain, plain)


def label_glyphs(label: str) -> list[tuple[str, str]]:
    """(symbol, words) for each symbol in front of a button's words: "❔ I don't know" ->
    [("❔", "I don't know")]; "✅ 😀 Happy" -> [("✅", TICKED), ("😀", "Happy")]; "✅ My
    family" (a ticked OpenMoji extra, words alone) -> [("✅", TICKED)]. A label
    with no symbol in front gives nothing."""
    tokens = label.split(" ")
    glyphs: list[str] = []
    while tokens and is_glyph(tokens[0]):
        glyphs.append(tokens.pop(0))
    words = " ".join(tokens)
    if glyphs and glyphs[0] == TICK and len(glyphs) <= 2:
        # "✅ My family": a ticked OpenMoji extra shows its words alone beside the tick
        return [(TICK, TICKED), *((glyph, words) for glyph in glyphs[1:])]
    return [(glyph, words) for glyph in glyphs]


class Seen:
    """Every symbol one screen shows, with what it means there and where it was seen."""

    def __init__(self, screen: str) -> None:
        self.screen = screen
        self.meanings: dict[str, dict[str, str]] = defaultdict(dict)

    def add(self, glyph: str, words: str, where: str) -> None:
        """`glyph` shown meaning `words` (in `where`: "button", "review line", ...). An empty
        glyph (a card drawn from a photo) shows no symbol and is not counted."""
        if glyph:
            self.meanings[glyph].setdefault(meaning(words), f"“{words}” ({where})")

    def label(self, label: str, where: str = "button") -> None:
        """Every symbol in front of a button's words."""
        for glyph, words in label_glyphs(label):
            self.add(glyph, words, where)

    def clashes(self) -> list[str]:
        """One line per symbol that means two or more things on this screen, naming the screen
        and each meaning; empty when every symbol means one thing."""
        return [f"{self.screen}: {glyph} means " + " and ".join(sorted(found.values()))
                for glyph, found in sorted(self.meanings.items()) if len(found) > 1]


def all_clashes(screens: Iterable[Seen]) -> list[str]:
    """Every clash on every screen, each once."""
    return sorted({line for seen in screens for line in seen.clashes()})


def ticked_words(labels: list[str]) -> list[str]:
    """The words of the ticked choices among button `labels`, in order: a ticked choice reads
    "✅ <its symbol> <words>" (the symbol stays beside the tick), or "✅ <words>" for a symbol
    drawn with an OpenMoji extra (no glyph on phones, so its button shows its words alone)."""
    rest = [label.removeprefix("✅ ") for label in labels if label.startswith("✅ ")]
    return [words if words[:1].isalnum() else words.split(" ", 1)[-1] for words in rest]
