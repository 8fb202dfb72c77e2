"""The summary's data types: what the loader reads (the snapshot) and what the summary holds.

Plain frozen dataclasses, no behaviour beyond small look-ups: bot.summary.load fills a
`Snapshot`; bot.summary.model.build turns it into a `Summary`; pdf.py, picture.py and text.py
draw that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.engine.headings import Heading

# --- what the loader reads (the snapshot) ------------------------------------------------------


@dataclass(frozen=True)
class Voice:
    """Whose view an item is: the young person, or a supporter (with how they know them)."""

    role: str  # "young_person" or "supporter"
    name: str
    relationship: str = ""
    person_id: int = 0

    @property
    def is_young_person(self) -> bool:
        """True for the young person's own view, False for a supporter's."""
        return self.role == "young_person"


@dataclass(frozen=True)
class AnswerIn:
    """One kept answer of a shared run, as the loader reads it (bot.summary.load)."""

    answer_id: int
    step_id: str
    kind: str  # answered / skipped / dont_know
    choices: tuple[str, ...] = ()
    own_words: str | None = None
    media: tuple[int, ...] = ()
    forwarded: bool = False  # sent on from someone else: never quoted as their own words
    # A Talking Mat: (card, scale column 0-2 or -1 left off), in the order placed
    # (AnswerRecord.placements, from answers.detail).
    placements: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class RunIn:
    """One finished, shared run of a flow, with its answers, as the loader reads it."""

    run_id: int
    flow_id: str
    when: datetime  # finished
    who: Voice
    answers: tuple[AnswerIn, ...]
    path: tuple[str, ...] = ()  # the steps taken, in order (engine history)
    helped_by: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MediaIn:
    """A photo, voice note or drawn picture an answer holds (voice notes without data)."""

    media_id: int
    kind: str  # photo / voice / mat / ...
    mime_type: str
    data: bytes | None  # None for voice notes: a PDF cannot play them
    when: datetime


@dataclass(frozen=True)
class YouSaidIn:
    """One "you said, we did" card sent to the young person, and whether they felt listened to."""

    sent: datetime
    items: tuple[tuple[str, str], ...]  # (you said, so we will)
    listened: str | None  # yes / a_bit / no / None (not answered yet)


@dataclass(frozen=True)
class Note:
    """A therapist's note on one shared activity (/note; run_notes): their observations, such
    as hesitations, non-verbal responses and changes of mind. Always shown labelled as the
    therapist's notes, never as the young person's words."""

    run_id: int
    author: str  # the therapist's name; "" when their account is gone
    written: datetime
    text: str


@dataclass(frozen=True)
class Snapshot:
    """Everything the summary is made from, read in one go by bot.summary.load."""

    young_person: Voice
    viewer_name: str
    made_at: datetime
    period_start: date | None  # the last meeting; None: everything so far
    previous_start: date | None  # the meeting before it (the period to compare with)
    next_meeting: date | None
    runs: tuple[RunIn, ...]  # shared runs of both periods, oldest first
    private_count: int
    media: Mapping[int, MediaIn] = field(default_factory=dict)
    you_said: tuple[YouSaidIn, ...] = ()
    notes: Mapping[int, tuple[Note, ...]] = field(default_factory=dict)  # by run id, oldest first


# --- the summary ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sym:
    """A symbol as the summary shows it: its id, words and emoji."""

    id: str
    words: str
    emoji: str
    category: str = ""  # the vocabulary's category (people, places, ...), "" for own cards


@dataclass(frozen=True)
class Item:
    """One answer under one heading."""

    heading: Heading
    who: Voice
    when: date
    flow_title: str
    question: str
    symbols: tuple[Sym, ...] = ()
    quote: str | None = None  # the person's own words, quoted exactly
    # Words they sent on from someone else (a forward): shown labelled as such, never as a
    # quote (issue 12, point 4). An answer has a quote or these, not both.
    sent_on: str | None = None
    about: Sym | None = None  # what the step was about (a part of the day)
    photos: tuple[int, ...] = ()
    voices: tuple[int, ...] = ()
    helped: str | None = None  # who helped: helper keys joined by "," (see helpers_of)
    # A Talking Mat's answer in one line ("Like: Lessons · Don't like: Homework · Left off:
    # PE", FlowEngine.mat_words): shown instead of `symbols`, which name the cards without
    # where they went.
    placed: str | None = None
    dont_know: bool = False
    verdict: str | None = None  # for good / bad day answers: how that day (or part) went
    day: str | None = None  # how the day went, when the run asked about one whole day
    run_id: int = 0
    answer_id: int = 0


@dataclass(frozen=True)
class Section:
    """One section of the review (SECTIONS), with its items in the order shown."""

    key: str
    items: tuple[Item, ...]

    @property
    def empty(self) -> bool:
        """True when nothing was shared under this section."""
        return not self.items


@dataclass(frozen=True)
class Week:
    """Good, OK and bad days in one week (for the chart)."""

    start: date  # the Monday
    good: int = 0
    ok: int = 0
    bad: int = 0


@dataclass(frozen=True)
class DayStats:
    """How the young person's days went in the period, and what made them good or bad."""

    good: int
    ok: int
    bad: int
    not_sure: int
    weeks: tuple[Week, ...]
    good_parts: tuple[tuple[Sym, int], ...]
    bad_parts: tuple[tuple[Sym, int], ...]
    good_reasons: tuple[tuple[Sym, int], ...]
    bad_reasons: tuple[tuple[Sym, int], ...]
    quotes: tuple[Item, ...]  # the young person's own words about their days, oldest first

    @property
    def days(self) -> int:
        """How many days were told about (good, OK, bad or not sure)."""
        return self.good + self.ok + self.bad + self.not_sure


@dataclass(frozen=True)
class Moved:
    """A Talking Mat card that sits in another column than on the earlier mat of its topic."""

    card: Sym
    before: int  # scale column (0-2), or -1: not on the earlier mat
    now: int


@dataclass(frozen=True)
class Mat:
    """A finished Talking Mat as the young person left it, with what moved since the last one."""

    when: date
    who: Voice
    topic: Sym
    scale: tuple[Sym, Sym, Sym]
    columns: tuple[tuple[Sym, ...], tuple[Sym, ...], tuple[Sym, ...]]
    image: int | None  # media id of the finished mat's picture
    earlier: date | None = None  # when this topic was last done
    moved: tuple[Moved, ...] = ()
    run_id: int = 0
    left_off: tuple[Sym, ...] = ()  # cards the young person left off the mat
    words: str = ""  # the whole mat in one line (FlowEngine.mat_words)
    # Who facilitated (the run's helpers: flow_runs.helped_by, else its "who helped" answer),
    # and the therapist's notes on it: a mat's record names both (issue 14, point 9).
    helped: tuple[Sym, ...] = ()
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class RunView:
    """One shared activity in context, as the young person checked it before sharing: a line
    per topic ("Morning": "Good · because: Calm"; a mat's "Like: …; Not sure: …"), who helped,
    and the therapist's notes. Skipped answers and the "who helped" answer are not lines."""

    run_id: int
    when: date
    flow_title: str
    who: Voice
    lines: tuple[tuple[str, str], ...]  # (topic, what was said)
    helped: tuple[Sym, ...] = ()  # empty: nobody named (or a supporter's view, not asked)
    notes: tuple[Note, ...] = ()
    is_mat: bool = False


@dataclass(frozen=True)
class Theme:
    """A symbol the young person picked, the heading it was picked under most, and how often."""

    symbol: Sym
    heading: Heading
    count: int


@dataclass(frozen=True)
class Since:
    """What changed since the last meeting: new and gone themes, moved mats, the days."""

    has_earlier: bool
    earlier_start: date | None
    earlier_end: date | None
    new_themes: tuple[Theme, ...]
    gone_themes: tuple[Theme, ...]
    mats_moved: tuple[Mat, ...]
    weeks: tuple[Week, ...]  # both periods, for the chart
    split: date | None  # where the chart's earlier weeks end
    balance_now: tuple[int, int]  # (good, bad) days in this period
    balance_before: tuple[int, int]


@dataclass(frozen=True)
class DraftLine:
    """One line of the Section A draft: a quote (their exact words) or a summary sentence."""

    kind: str  # "quote" or "summary"
    text: str


@dataclass(frozen=True)
class DraftPart:
    """One part of the Section A draft, with its title and lines."""

    title: str
    lines: tuple[DraftLine, ...]


@dataclass(frozen=True)
class Helped:
    """Who helped the young person answer, in words and emoji, and in how many flows."""

    key: str
    words: str
    emoji: str
    count: int


@dataclass(frozen=True)
class Summary:
    """The whole pre-meeting summary, ready to draw (pdf.py, picture.py, text.py)."""

    young_person: Voice
    viewer_name: str
    made_at: datetime
    period_start: date
    period_end: date
    next_meeting: date | None
    shared_count: int  # the young person's shared flows in this period
    supporter_count: int  # views added by supporters in this period
    private_count: int
    sections: tuple[Section, ...]
    days: DayStats
    mats: tuple[Mat, ...]
    helped: tuple[Helped, ...]
    since: Since
    you_said: tuple[YouSaidIn, ...]
    section_a: tuple[DraftPart, ...]
    media: Mapping[int, MediaIn]
    # Every shared activity of this period in context, newest first (issue 14, point 10).
    runs: tuple[RunView, ...] = ()

    def section(self, key: str) -> Section:
        """The section with this key (a SECTIONS key). Raises StopIteration for an unknown key."""
        return next(s for s in self.sections if s.key == key)

    def items(self, *headings: str) -> list[Item]:
        """Every item under these headings, in section order."""
        return [i for s in self.sections for i in s.items if i.heading in headings]

    def quotes(self) -> list[Item]:
        """Every item with own words, in section order (each shared quote exactly once)."""
        return [i for s in self.sections for i in s.items if i.quote]
