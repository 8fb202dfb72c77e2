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
    # Which items' "you said" the therapist typed (their paraphrase, not the young person's
    # traced words), by position in `items`.
    typed: frozenset[int] = frozenset()

    def said_by_therapist(self, index: int) -> bool:
        """Whether item `index`'s "you said" is the therapist's words (typed), not a trace of
        an answer. Takes a position in `items`; raises nothing."""
        return index in self.typed


@dataclass(frozen=True)
class MeetingRecordIn:
    """What was agreed at the last meeting and the next steps, as the therapist recorded them
    after it (/agreed), in the order typed."""

    held_on: date
    agreed: tuple[str, ...]
    next_steps: tuple[str, ...]


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
    outcomes: tuple[OutcomeIn, ...] = ()  # the current outcomes in the plan, in order
    last_meeting: MeetingRecordIn | None = None  # the record of the meeting the period starts at
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
    # The step's short label ("My hopes"), "" for none: names what an "I don't know" was
    # about in Section A, never the prompt.
    label: str = ""
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
    """Whole days rated good, OK, bad or not sure in one week (for the chart): only days the
    young person rated as a whole ("How was today?"), never a verdict worked out from parts."""

    start: date  # the Monday
    good: int = 0
    ok: int = 0
    bad: int = 0
    not_sure: int = 0

    @property
    def total(self) -> int:
        """How many days were rated in this week (0: none, not "no good days")."""
        return self.good + self.ok + self.bad + self.not_sure


@dataclass(frozen=True)
class Rated:
    """How often one thing was rated good / OK / bad / not sure: the whole day ("How was
    today?"), or one part of the day (Good day, bad day). `total` is how many times it was
    rated, so every count reads "X of total"."""

    good: int = 0
    ok: int = 0
    bad: int = 0
    not_sure: int = 0

    @property
    def total(self) -> int:
        """How many times it was rated (each count is out of this)."""
        return self.good + self.ok + self.bad + self.not_sure

    def of(self, verdict: str) -> int:
        """How many times it was rated `verdict` (good, ok, bad, not_sure); raises
        AttributeError for any other verdict."""
        if verdict not in RATINGS:
            raise AttributeError(verdict)
        return int(getattr(self, verdict))


# The four ratings of a day or a part of it, in the order they are always shown.
RATINGS = ("good", "ok", "bad", "not_sure")


@dataclass(frozen=True)
class PartRated:
    """One part of the day (Morning, Getting to school) and how the young person rated it,
    counted once per run that rated it."""

    part: Sym
    rated: Rated


@dataclass(frozen=True)
class DayStats:
    """How the young person's days went in the period: the days they rated as a whole (good /
    ok / bad / not_sure: answers to "How was today?", one a day told about), each part of the
    day they rated (Good day, bad day), and what made days or parts good or bad. No whole-day
    verdict is ever worked out from parts."""

    good: int
    ok: int
    bad: int
    not_sure: int
    weeks: tuple[Week, ...]
    good_reasons: tuple[tuple[Sym, int], ...]
    bad_reasons: tuple[tuple[Sym, int], ...]
    quotes: tuple[Item, ...]  # the young person's own words about their days, oldest first
    parts: tuple[PartRated, ...] = ()  # in the order the parts were first rated

    @property
    def days(self) -> int:
        """How many days were rated as a whole (good, OK, bad or not sure)."""
        return self.good + self.ok + self.bad + self.not_sure

    @property
    def whole(self) -> Rated:
        """The days rated as a whole, as one `Rated`."""
        return Rated(self.good, self.ok, self.bad, self.not_sure)

    @property
    def good_parts(self) -> tuple[tuple[Sym, int], ...]:
        """Parts of the day rated good, with how many times, most first."""
        return _most(self.parts, "good")

    @property
    def bad_parts(self) -> tuple[tuple[Sym, int], ...]:
        """Parts of the day rated bad, with how many times, most first."""
        return _most(self.parts, "bad")


def _most(parts: tuple[PartRated, ...], verdict: str) -> tuple[tuple[Sym, int], ...]:
    found = [(p.part, p.rated.of(verdict)) for p in parts if p.rated.of(verdict)]
    return tuple(sorted(found, key=lambda f: -f[1]))


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
    # Days rated as a whole ("How was today?") in this period and the one before.
    balance_now: Rated
    balance_before: Rated
    # Each part of the day rated in both periods: (part, this period, the one before).
    parts: tuple[tuple[Sym, Rated, Rated], ...] = ()
    # How many themes the time before had: with none (only views of outcomes, say), every
    # theme is new and none can have "come up again".
    earlier_themes: int = 0


@dataclass(frozen=True)
class DraftLine:
    """One line of the Section A draft: a quote (their exact words) or a summary sentence."""

    kind: str  # "quote" or "summary"
    text: str
    # What the words answered, for a supporter's line ("What is working"): "" when the
    # part's title says it.
    label: str = ""
    # Who helped the young person give a quote, in words ("my family and school staff"): ""
    # when they answered on their own, were not asked, or the line is not a quote.
    helped: str = ""


@dataclass(frozen=True)
class DraftPart:
    """One part of the Section A draft, with its title and lines, and whose view it is."""

    title: str
    lines: tuple[DraftLine, ...]
    # None: the young person's own part; else the supporter whose part it is (never merged).
    voice: Voice | None = None


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
    outcomes: Outcomes = field(default_factory=lambda: Outcomes())
    # What was agreed at the last meeting and the next steps (shown under "since the last
    # meeting"); None when the therapist recorded nothing.
    last_meeting: MeetingRecordIn | None = None
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


# --- progress towards the outcomes in the EHC plan (issue 14, point 3; bot.summary.outcomes) ---


@dataclass(frozen=True)
class OutcomeIn:
    """One current outcome in the young person's plan, as the loader reads it."""

    outcome_id: int
    words: str
    symbol_id: str | None = None
    media_id: int | None = None


@dataclass(frozen=True)
class OutcomeView:
    """What the young person said about one outcome in one run of "How am I getting on?"."""

    when: date
    # answered / skipped / dont_know (of the three-point scale step), or own_words: they
    # answered the scale step in their own words, a photo or a voice note instead of a point.
    kind: str
    view: Sym | None  # the point of the scale they chose (None: not a point of the scale)
    helps: tuple[Sym, ...] = ()  # what helps, as picked
    # Their own words at the "what helps" and "in my words" steps, exactly, one per step
    # (never joined into one quotation).
    quotes: tuple[str, ...] = ()
    words_asked: str = ""  # the outcome's words as they were when asked
    run_id: int = 0
    in_words: str | None = None  # own_words: the words typed at the scale step, exactly
    # own_words: what else was sent at the scale step instead of a point ("photo", "voice",
    # "forwarded" for words sent on from someone else: never quoted as theirs).
    sent: tuple[str, ...] = ()
    # The answers behind it, so what is offered back names its answer (/yousaid): the scale
    # step's (0 when it was not answered), and each quotation's, in the order of `quotes`.
    answer_id: int = 0
    quote_ids: tuple[int, ...] = ()
    helped: str | None = None  # who helped in that run: helper keys joined by "," (Item.helped)

    @property
    def says_something(self) -> bool:
        """True unless the scale step was skipped with nothing else said about the outcome."""
        return self.kind != "skipped" or bool(self.helps or self.quotes)


@dataclass(frozen=True)
class OutcomeProgress:
    """One outcome: its words (and symbol), the young person's latest view this period, their
    view in the period before the last meeting (to show the change), every view this period."""

    outcome_id: int
    words: str
    symbol: Sym | None
    current: bool  # still in the plan (False: taken off since it was asked about)
    latest: OutcomeView | None
    before: OutcomeView | None  # the latest view before the last meeting
    views: tuple[OutcomeView, ...] = ()  # this period, oldest first


@dataclass(frozen=True)
class Outcomes:
    """The "Progress towards my outcomes" part of the summary."""

    progress: tuple[OutcomeProgress, ...] = ()
    # Their own words at the activity's last step ("anything else"), (date, words), exactly.
    more_words: tuple[tuple[date, str], ...] = ()

    @property
    def empty(self) -> bool:
        """True when there are no outcomes and nothing was said about any."""
        return not self.progress and not self.more_words
