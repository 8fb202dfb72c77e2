"""A screen: what the young person should see now, as plain data.

The engine makes screens; the Telegram adapter turns them into messages and buttons, and the
renderer into picture cards. Words for controls and notices are locale keys, not English.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

# The symbol beside a young person's own picture card (a photo of theirs with their words) in
# words and on buttons, where its photo cannot be: never "🖼️", the vocabulary's "Use pictures",
# which can be on the same screen (issue 15, point 2).
OWN_CARD_MARK = "🪧"


class ScreenKind(enum.StrEnum):
    CHOICE = "choice"
    MULTI = "multi"
    TEXT = "text"
    PHOTO = "photo"
    MAT_PLACE = "mat_place"  # where does this card go? (the mat so far is shown)
    MAT_REVIEW = "mat_review"  # the whole mat: this is right, or move a card
    MAT_MOVE = "mat_move"  # which card to move
    REVIEW = "review"  # "This is what you told me": share, change or keep
    CHANGE = "change"  # which answer to change
    PAUSED = "paused"  # stopped for now
    FINISHED = "finished"


class Control(enum.StrEnum):
    """Buttons that are always there beside the answers. Values are locale keys."""

    DONE = "done"
    BACK = "back"
    SKIP = "skip"
    DONT_KNOW = "dont_know"
    SOMETHING_ELSE = "something_else"
    READ = "read"
    STOP = "stop"
    SHARE = "share"
    KEEP = "keep"
    CHANGE = "change"
    MOVE = "move"
    RIGHT = "right"
    CONTINUE = "continue"
    KEEP_EARLIER = "keep_earlier"  # a reopened step: keep the earlier own words or media


@dataclass(frozen=True)
class Option:
    index: int
    symbol_id: str
    words: str
    emoji: str
    selected: bool = False
    image: int | None = None  # a personal card's photo (media_files id) instead of an emoji


@dataclass(frozen=True)
class MatCard:
    symbol_id: str
    words: str
    emoji: str
    image: int | None = None


@dataclass(frozen=True)
class MatView:
    """A Talking Mat as it stands: the topic, the three-point scale, and the cards placed."""

    topic: MatCard
    scale: tuple[MatCard, MatCard, MatCard]
    columns: tuple[tuple[MatCard, ...], tuple[MatCard, ...], tuple[MatCard, ...]]
    current: MatCard | None = None  # the card being placed now
    left_off: tuple[MatCard, ...] = ()


@dataclass(frozen=True)
class ReviewLine:
    """One line of the review: what an answer (or one repeated round's answers) is about, and
    everything said there.

    `step_id` is the first step of the line (the one "Change something" reopens); `question` its
    whole prompt; `answer` every answer with each symbol beside its words ("Good 😀 · because:
    Friends 👫"); `emoji` one symbol for the line (the round's item, else the first choice).
    `topic` names it in a few words (the round's item, else the step's label); `words` is
    `answer` without the symbols (for the picture, which draws `symbols` as pictures);
    `symbols` is (emoji, words) of every choice; `step_ids` every step on the line."""

    step_id: str
    question: str
    answer: str
    emoji: str
    topic: str = ""
    words: str = ""
    symbols: tuple[tuple[str, str], ...] = ()
    step_ids: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """The line's name: its topic, or the whole question for a line made without one."""
        return self.topic or self.question


@dataclass(frozen=True)
class Screen:
    flow_id: str
    step_id: str
    kind: ScreenKind
    prompt: str
    options: tuple[Option, ...] = ()
    controls: tuple[Control, ...] = ()
    review: tuple[ReviewLine, ...] = ()
    notice: str | None = None  # locale key of a short note shown above the question
    # "Part 2 of 5": the part of the flow this question is in, and how many parts it has
    # (0 where no part is shown, as on the review). See Flow.part_of (issue 12, point 5).
    part_number: int = 0
    part_count: int = 0
    about: MatCard | None = None  # what the question is about (a part of the day), if any
    mat: MatView | None = None
    # Words to put into a locale prompt (prompts of engine-made screens are locale keys).
    fields: dict[str, str] = field(default_factory=dict)
    prompt_is_key: bool = False
    # Drawn from this young person's own data (their earlier choices offered first, their own
    # picture cards): its picture is theirs, not a card for everyone (issue 11, point 4).
    personal: bool = False
    # On a Talking Mat: "Card 3 of 8", the card being placed now and how many there are
    # (0 when no new card is being placed, as when moving one).
    card_number: int = 0
    card_count: int = 0
    # A reopened step whose answer had own words or media: those words ("" for media alone),
    # kept with one tap (Control.KEEP_EARLIER). None on a step not answered before.
    earlier: str | None = None
