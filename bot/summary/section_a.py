"""Section A of the EHCP ("views, interests and aspirations"): a first-person draft from what
the young person chose to share, then each supporter's view under their own name.

Every picture card the young person chose under a part is listed (none dropped); a card becomes
words through a phrase written for it and that part (data, not code:
`section_a.phrase.<part>.<symbol>` in media/locales/<language>/section_a.yaml), so the draft
says "My medicine and my hearing aid help me stay healthy and safe", never "I need hearing aid
and medicine". `check_phrases` runs at start-up: every card a flow offers under a part has a
phrase there. A card with no phrase (an answer from an older flow, a phrase written as "" on
purpose because the card's meaning is open, a young person's own picture card) is never made
into a sentence: it is named by its card words, in quotation marks ("I chose the card “More”").

Lines are either "quote" (the exact words typed, never changed) or "summary" (written by MySay
from the cards chosen). The parts follow Section A: about me and what people like and admire;
what is important to me; my aspirations for the future (only answers filed under `future`, own
words first); health and what is important for me; how I communicate, how best to support me
and involve me; my days; what is working and not working; my Talking Mats. Then one part for
each supporter, titled with their name and how they know the young person.

Pure Python: no SQL, no Telegram, no drawing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.engine.core import FlowEngine
from bot.engine.datafile import DataFileError
from bot.engine.flows import Flow, StepType
from bot.engine.headings import Heading
from bot.i18n import Locale
from bot.summary.classify import VERDICTS
from bot.summary.outcomes import HELPS, VIEW, round_step
from bot.summary.types import (
    DraftLine,
    DraftPart,
    Item,
    Mat,
    OutcomeProgress,
    Outcomes,
    OutcomeView,
    Sym,
    Voice,
)

# Which headings' cards are said through which phrase part. `working` is special: its
# phrases name what a working / not working answer is about (the step's `about` symbol).
PHRASED: dict[str, tuple[Heading, ...]] = {
    "about_me": (Heading.ABOUT_ME,),
    "like_admire": (Heading.LIKE_ADMIRE,),
    "important_to": (Heading.IMPORTANT_TO,),
    "future": (Heading.FUTURE,),
    "important_for": (Heading.IMPORTANT_FOR,),
    "support": (Heading.SUPPORT,),
    "take_part": (Heading.TAKE_PART,),
    "questions": (Heading.QUESTIONS,),
}
WORKING_PART = "working"
# "How am I getting on?": each point of the three-point scale is said through a first-person
# sentence written for it (section_a.phrase.outcome_view.<symbol>); what helps with an
# outcome through the support phrases.
OUTCOME_PARTS = {VIEW: "outcome_view", HELPS: "support"}
WORKING_HEADINGS = (Heading.WORKING, Heading.NOT_WORKING)
PEOPLE = "people"  # the vocabulary category said as people ("my mum"), apart from things
# A supporter's part, in the order Section A reads (their headings, then anything else).
SUPPORTER_ORDER = (Heading.ABOUT_ME, Heading.LIKE_ADMIRE, Heading.IMPORTANT_TO, Heading.FUTURE,
                   Heading.IMPORTANT_FOR, Heading.SUPPORT, Heading.WORKING,
                   Heading.NOT_WORKING)


# --- words ------------------------------------------------------------------------------------


def lower_words(words: str) -> str:
    """'Break and lunch' -> 'break and lunch', but 'PE' and 'TV' stay as they are."""
    return words if words.isupper() else words[:1].lower() + words[1:]


def join_words(words: Sequence[str], locale: Locale) -> str:
    """"a, b and c" in the locale's way ("summary.list_join"); "" for no words."""
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return locale("summary.list_join", items=", ".join(words[:-1]), last=words[-1])


def sentence_case(text: str) -> str:
    """The sentence with its first letter capital ("my mum is ..." -> "My mum is ...")."""
    return text[:1].upper() + text[1:]


def phrase_key(part: str, symbol_id: str) -> str:
    """The locale key of a card's phrase under a part: section_a.phrase.<part>.<symbol>."""
    return f"section_a.phrase.{part}.{symbol_id}"


# --- the phrases, checked at start-up ---------------------------------------------------------


def _offered(flow: Flow, engine: FlowEngine) -> Iterable[tuple[str, Heading, str, str]]:
    """(step id, heading, symbol id, "choice" or "about") for every card a flow's choice
    steps offer (with the cards `offer_from` brings from other flows' steps)."""
    for step in flow.steps:
        heading, _ = flow.heading_of(step)
        if step.type in (StepType.CHOICE, StepType.MULTI):
            cards = list(step.choices)
            for other_id, step_ids in (step.offer_from or {}).items():
                other = engine.flows.get(other_id)
                for step_id in step_ids if other is not None else ():
                    cards += other.step(step_id).choices
            for card in cards:
                yield step.id, heading, card, "choice"
        if step.about and heading in WORKING_HEADINGS:
            yield step.id, heading, step.about, "about"


def reachable(engine: FlowEngine) -> dict[tuple[str, str], list[str]]:
    """Every (phrase part, symbol id) a young person's answer can bring into Section A, with
    where ("flow / step"): the cards offered under a phrased heading, and what each
    working / not working step is about."""
    found: dict[tuple[str, str], list[str]] = {}
    for flow in engine.flows.values():
        for step_id, heading, card, kind in _offered(flow, engine):
            part = (WORKING_PART if kind == "about" else
                    OUTCOME_PARTS.get(round_step(step_id) or "")
                    if heading is Heading.OUTCOMES else
                    next((p for p, hs in PHRASED.items() if heading in hs), None))
            if part is not None and card not in VERDICTS:
                found.setdefault((part, card), []).append(f"{flow.id} / {step_id}")
    return found


def check_phrases(engine: FlowEngine, locale: Locale) -> None:
    """Start-up check: every card a flow offers under a Section A part has a phrase there.

    Takes the loaded flows and the words. Returns nothing; raises DataFileError naming each
    missing key and the flow and step that offer the card. A phrase written as "" is a
    deliberate "name it by its card words" and passes.
    """
    missing = [f"{phrase_key(part, card)} (offered at {', '.join(where)})"
               for (part, card), where in sorted(reachable(engine).items())
               if not locale.has(phrase_key(part, card))]
    if missing:
        raise DataFileError(
            f"media/locales/{locale.language}/section_a.yaml: no Section A phrase for "
            f"{len(missing)} card(s): " + "; ".join(missing)
            + ". Write each as the card is said in that part's sentence, or \"\" to name it "
              "by its card words.")


# --- the draft --------------------------------------------------------------------------------


class _Writer:
    """Sentences from cards, in `say`'s words."""

    def __init__(self, say: Locale) -> None:
        self.say = say

    def phrase(self, part: str, symbol: Sym) -> str | None:
        """The card said under this part, or None (no phrase, or "" on purpose)."""
        key = phrase_key(part, symbol.id)
        return (self.say(key) or None) if self.say.has(key) else None

    def things(self, part: str, symbols: Sequence[Sym], one: str, many: str,
               **fields: str) -> list[DraftLine]:
        """One sentence (`one` or `many` by how many) naming every card with a phrase, and
        one naming the rest by their card words. Nothing for no cards."""
        said = [p for s in symbols if (p := self.phrase(part, s)) is not None]
        rest = [s for s in symbols if self.phrase(part, s) is None]
        lines = []
        if said:
            text = self.say(one if len(said) == 1 else many,
                            things=join_words(said, self.say), **fields)
            lines.append(DraftLine("summary", sentence_case(text)))
        return lines + self.cards(rest)

    def cards(self, symbols: Sequence[Sym]) -> list[DraftLine]:
        """'I chose the cards “More” and “Lego”.': cards said by their own words."""
        if not symbols:
            return []
        named = join_words([f"“{s.words}”" for s in symbols], self.say)
        key = "section_a.card" if len(symbols) == 1 else "section_a.cards"
        return [DraftLine("summary", self.say(key, cards=named))]

    def extras(self, items: Sequence[Item]) -> list[DraftLine]:
        """What the cards and quotes do not say: photos, voice notes, "I don't know"."""
        lines = []
        photos = sum(len(i.photos) for i in items)
        voices = sum(len(i.voices) for i in items)
        if photos:
            lines.append(DraftLine("summary", self.say(
                "section_a.photo" if photos == 1 else "section_a.photos", count=photos)))
        if voices:
            lines.append(DraftLine("summary", self.say(
                "section_a.voice" if voices == 1 else "section_a.voices", count=voices)))
        said = dict.fromkeys(self.dont_know(i) for i in items if i.dont_know)
        return lines + [DraftLine("summary", text) for text in said]

    def dont_know(self, item: Item) -> str:
        """'I did not know yet what to say about where I live.': what an "I don't know" was
        about, by the step's `about` card, else its label; never its prompt quoted."""
        topic = (item.about.words if item.about is not None else item.label)
        if topic:
            return self.say("section_a.dont_know", topic=lower_words(topic))
        return self.say("section_a.dont_know_in", flow=item.flow_title)


def cards_of(items: Iterable[Item]) -> list[Sym]:
    """Every distinct card chosen in `items` (not a verdict, not a mat's card), the most
    often chosen first (counted once per run), then in the order first chosen."""
    runs: dict[str, set[int]] = {}
    found: dict[str, Sym] = {}
    for item in items:
        for symbol in item.symbols if not item.placed else ():
            if symbol.id not in VERDICTS:
                found.setdefault(symbol.id, symbol)
                runs.setdefault(symbol.id, set()).add(item.run_id)
    order = list(found)
    return sorted(found.values(), key=lambda s: (-len(runs[s.id]), order.index(s.id)))


# Who helped, as a quote's label says it ("with help from my family"). The keys are written
# whole so the locale check (tests/test_locale_keys.py) sees them; "On my own" says nothing.
HELPER_WORDS = {"helped_family": "section_a.helper.helped_family",
                "helped_school": "section_a.helper.helped_school",
                "helped_therapist": "section_a.helper.helped_therapist"}
ALONE = "helped_alone"


def helped_text(say: Locale, helped: str | None) -> str:
    """'with help from my family and school staff' for an item's `helped` keys ("helped_family,
    helped_school"); 'with help' for a helper with no words; "" when nobody was named, the
    run was not asked, or they answered on their own."""
    keys = [k for k in (helped or "").split(",") if k and k != ALONE]
    if not keys:
        return ""
    if any(k not in HELPER_WORDS for k in keys):
        return say("section_a.with_help")
    return say("section_a.with_help_from",
               helpers=join_words([say(HELPER_WORDS[k]) for k in keys], say))


def quotes(items: Iterable[Item], say: Locale) -> list[DraftLine]:
    """Every quote of `items` (their exact words), oldest first, each once, with who helped
    give it (the first time it was said)."""
    said: dict[str, str] = {}
    for item in items:
        if item.quote and item.quote not in said:
            said[item.quote] = helped_text(say, item.helped)
    return [DraftLine("quote", q, helped=h) for q, h in said.items()]


class _Draft:
    """The young person's parts, from their own shared items only."""

    def __init__(self, say: Locale, items: Sequence[Item]) -> None:
        self.say = say
        self.w = _Writer(say)
        self.mine = [i for i in items if i.who.is_young_person]
        self.parts: list[DraftPart] = []

    def of(self, *headings: Heading) -> list[Item]:
        """The young person's own items under these headings, oldest first."""
        return [i for i in self.mine if i.heading in headings]

    def add(self, title_key: str, lines: list[DraftLine]) -> None:
        """Add a part with this title when it has any lines."""
        if lines:
            self.parts.append(DraftPart(self.say(title_key), tuple(lines)))

    def about(self) -> list[DraftLine]:
        about, admire = self.of(Heading.ABOUT_ME), self.of(Heading.LIKE_ADMIRE)
        return (self.w.things("about_me", cards_of(about), "section_a.about_me.one",
                              "section_a.about_me.many")
                + self.w.things("like_admire", cards_of(admire), "section_a.like_admire.one",
                                "section_a.like_admire.many")
                + self.w.extras(about + admire) + quotes(about + admire, self.say))

    def important_to(self) -> list[DraftLine]:
        items = self.of(Heading.IMPORTANT_TO)
        cards = cards_of(items)
        people = [s for s in cards if s.category == PEOPLE]
        other = [s for s in cards if s.category != PEOPLE]
        one, many = "section_a.important_to.one", "section_a.important_to.many"
        return (self.w.things("important_to", people, one, many)
                + self.w.things("important_to", other, one, many)
                + self.w.extras(items) + quotes(items, self.say))

    def future(self) -> list[DraftLine]:
        """Own words first; then the cards, one sentence per area they are about (a
        Preparing for Adulthood area, when the step names one)."""
        items = self.of(Heading.FUTURE)
        lines = quotes(items, self.say)
        areas: dict[str, tuple[Sym | None, list[Item]]] = {}
        for item in items:
            key = item.about.id if item.about is not None else ""
            areas.setdefault(key, (item.about, []))[1].append(item)
        for area, grouped in areas.values():
            frame = f"section_a.future_area.{area.id}" if area is not None else ""
            if self.say.has(frame):  # a sentence written for the area ("To stay healthy ...")
                lines += self.w.things("future", cards_of(grouped), frame, frame)
                continue
            said = self.w.things("future", cards_of(grouped), "section_a.future.one",
                                 "section_a.future.many")
            if area is not None:
                said = [DraftLine(d.kind, self.say("section_a.future.area", area=area.words,
                                                   sentence=d.text)) for d in said]
            lines += said
        return lines + self.w.extras(items)

    def important_for(self) -> list[DraftLine]:
        items = self.of(Heading.IMPORTANT_FOR)
        return (self.w.things("important_for", cards_of(items),
                              "section_a.important_for.one", "section_a.important_for.many")
                + self.w.extras(items) + quotes(items, self.say))

    def support(self) -> list[DraftLine]:
        support, take_part = self.of(Heading.SUPPORT), self.of(Heading.TAKE_PART)
        asked = self.of(Heading.QUESTIONS)
        cards = cards_of(take_part)
        return (self.w.things("support", cards_of(support), "section_a.support.one",
                              "section_a.support.many")
                + self.w.things("take_part", [s for s in cards if s.category == PEOPLE],
                                "section_a.take_part_people.one",
                                "section_a.take_part_people.many")
                + self.w.things("take_part", [s for s in cards if s.category != PEOPLE],
                                "section_a.take_part_how.one", "section_a.take_part_how.many")
                + self.w.things("questions", cards_of(asked), "section_a.questions.one",
                                "section_a.questions.many")
                + self.w.extras(support + take_part + asked)
                + quotes(support + take_part, self.say) + quotes(asked, self.say))

    def working(self) -> list[DraftLine]:
        """What is working, not working or not sure, by what each answer is about; then
        any other cards, and their words."""
        items = self.of(*WORKING_HEADINGS)
        lines = []
        for verdict, one, many in (
                ("working", "section_a.working.one", "section_a.working.many"),
                ("not_working", "section_a.not_working.one", "section_a.not_working.many"),
                ("not_sure", "section_a.working_not_sure.one",
                 "section_a.working_not_sure.many")):
            about = list({i.about.id: i.about for i in items if i.about is not None
                          and i.verdict == verdict and not i.quote and not i.dont_know}
                         .values())
            said = [self.w.phrase(WORKING_PART, s) or lower_words(s.words) for s in about]
            if said:
                text = self.say(one if len(said) == 1 else many,
                                things=join_words(said, self.say))
                lines.append(DraftLine("summary", sentence_case(text)))
        other = [s for i in items for s in i.symbols if s.id not in VERDICTS]
        return (lines + self.w.cards(list({s.id: s for s in other}.values()))
                + self.w.extras(items) + quotes(items, self.say))

    def outcomes(self, outcomes: Outcomes) -> list[DraftLine]:
        """How they think they are getting on with each outcome they gave a view of this
        period: their latest view as a sentence written for that point of the scale, what
        helps, then their own words about it (each quote apart, labelled with the outcome);
        then anything else they said in the activity."""
        lines = []
        for progress in outcomes.progress:
            if progress.latest is not None:
                lines += self._outcome(progress)
        lines += [DraftLine("quote", words, self.say("section_a.outcome_anything"))
                  for words in dict.fromkeys(w for _, w in outcomes.more_words)]
        return lines

    def _outcome(self, p: OutcomeProgress) -> list[DraftLine]:
        view = p.latest
        assert view is not None  # (outcomes() asks only about outcomes with a view)
        said = [self._view_sentence(view), *self._sent(view)]
        helps = list({s.id: s for v in p.views for s in v.helps}.values())
        said += [d.text for d in self.w.things("support", helps, "section_a.outcome_helps",
                                               "section_a.outcome_helps")]
        # Each view against the outcome's words as the young person was asked it, never a
        # later rewording (/outcomes can change the words after they answered).
        asked = view.words_asked or p.words
        lines = [DraftLine("summary", self.say("section_a.outcome_line", outcome=asked,
                                               sentence=text)) for text in said if text]
        # Every view's own words this period, each its own quote line with who helped give
        # it: exact words are never folded into a summary sentence.
        words: dict[str, tuple[str, str]] = {}
        for v in p.views:
            for w in ([v.in_words] if v.in_words else []) + list(v.quotes):
                words.setdefault(w, (v.words_asked or p.words, helped_text(self.say, v.helped)))
        return lines + [DraftLine("quote", w, about, h) for w, (about, h) in words.items()]

    def _view_sentence(self, view: OutcomeView) -> str:
        if view.view is not None:
            phrase = self.w.phrase(OUTCOME_PARTS[VIEW], view.view)
            return phrase or self.w.cards([view.view])[0].text
        if view.kind == "own_words":  # their words follow as a quote line of their own
            return self.say("section_a.outcome_own_words") if view.in_words else ""
        return self.say("section_a.outcome_dont_know" if view.kind == "dont_know"
                        else "section_a.outcome_skipped")

    def _sent(self, view: OutcomeView) -> list[str]:
        keys = {"photo": "section_a.outcome_photo", "voice": "section_a.outcome_voice",
                "forwarded": "section_a.outcome_sent_on"}
        return [self.say(keys[kind]) for kind in view.sent]

    def mats(self, mats: Sequence[Mat]) -> list[DraftLine]:
        """Every mat of the period, each in one sentence (dated), then words about mats."""
        lines = [DraftLine("summary", mat_sentence(self.say, m)) for m in mats
                 if m.who.is_young_person]
        return lines + quotes(self.of(Heading.TALKING_MAT), self.say)


def mat_sentence(say: Locale, mat: Mat) -> str:
    """'On my Talking Mat about school (3 March 2026), I put maths under Like; PE under
    Don't like. Art was not placed on the mat.' Every card, where it went."""
    columns = [say("section_a.mat_column", scale=s.words,
                   cards=join_words([lower_words(c.words) for c in cards], say))
               for s, cards in zip(mat.scale, mat.columns, strict=True) if cards]
    text = say("section_a.mat", topic=lower_words(mat.topic.words),
               date=f"{mat.when.day} {mat.when:%B %Y}", columns="; ".join(columns))
    if mat.left_off:  # skipped or "I don't know": the engine keeps both as left off
        cards = join_words([lower_words(c.words) for c in mat.left_off], say)
        text += " " + sentence_case(say("section_a.mat_left_off" if len(mat.left_off) == 1
                                        else "section_a.mat_left_off_many", cards=cards))
    return text


def _supporter_parts(say: Locale, items: Sequence[Item]) -> list[DraftPart]:
    """One part per supporter, in the order their views came: each line their exact words,
    labelled with what it answers. Never merged with the young person's."""
    voices: dict[tuple[int, str], list[Item]] = {}
    for item in items:
        if not item.who.is_young_person:
            voices.setdefault((item.who.person_id, item.who.name), []).append(item)
    parts = []
    for theirs in voices.values():
        who = theirs[0].who
        order = {h: n for n, h in enumerate(SUPPORTER_ORDER)}
        theirs.sort(key=lambda i: (order.get(i.heading, len(order)), i.when, i.answer_id))
        lines = [DraftLine("quote", i.quote, _their(say, i.heading)) for i in theirs
                 if i.quote]
        lines += [DraftLine("summary", _supporter_cards(say, i), _their(say, i.heading))
                  for i in theirs if not i.quote and i.symbols]
        # A photo or voice note is named, never dropped: the draft cannot hold it.
        lines += [DraftLine("summary", text, _their(say, i.heading))
                  for i in theirs for text in _supporter_media(say, i)]
        if lines:
            parts.append(DraftPart(supporter_title(say, who), tuple(lines), who))
    return parts


def _supporter_media(say: Locale, item: Item) -> list[str]:
    """'Sent a photo (it is in the summary PDF)', 'Sent 2 voice notes (...)': what of an
    answer the draft cannot hold; [] for none."""
    out = []
    for found, one, many in ((item.photos, "section_a.their_photo", "section_a.their_photos"),
                             (item.voices, "section_a.their_voice", "section_a.their_voices")):
        if found:
            out.append(say(one if len(found) == 1 else many, count=len(found)))
    return out


def _their(say: Locale, heading: Heading) -> str:
    key = f"section_a.their.{heading.value}"
    return say(key) if say.has(key) else say("section_a.their.other")


def _supporter_cards(say: Locale, item: Item) -> str:
    return say("section_a.cards", cards=join_words([f"“{s.words}”" for s in item.symbols], say))


def supporter_title(say: Locale, who: Voice) -> str:
    """'Ann, parent or carer: their view' (their name and how they know the young person)."""
    name = f"summary.relationship.{who.relationship}"
    relationship = say(name) if say.has(name) else who.relationship
    return say("section_a.supporter_title", name=who.name, relationship=relationship)


def draft(say: Locale, items: Sequence[Item], day_lines: Sequence[DraftLine],
          day_quotes: Sequence[Item], mats: Sequence[Mat],
          outcomes: Outcomes | None = None) -> tuple[DraftPart, ...]:
    """The Section A draft: the young person's parts (every card they chose, said through
    its phrase; every quote; how they think they are getting on with their outcomes), then
    one part per supporter.

    Takes the words, every shared item of the period (the young person's and supporters'),
    the days' lines (sentences._draft_days) and quotes, the period's mats, and the outcomes
    part of the summary (bot.summary.outcomes; None: no outcomes). Returns the
    parts in order; a part with nothing in it is left out. Raises KeyError only for a
    locale key missing from every language (a defect the locale test catches).
    """
    d = _Draft(say, items)
    d.add("section_a.part.about", d.about())
    d.add("section_a.part.important_to", d.important_to())
    d.add("section_a.part.future", d.future())
    d.add("section_a.part.important_for", d.important_for())
    d.add("section_a.part.support", d.support())
    d.add("draft.days", [*day_lines, *quotes(day_quotes, say)])
    d.add("draft.working", d.working())
    d.add("section_a.part.outcomes", d.outcomes(outcomes or Outcomes()))
    d.add("draft.mats", d.mats(mats))
    return (*d.parts, *_supporter_parts(say, items))


# --- Section A on its own, as plain text (to paste into a local authority's template) ---------


def line_text(say: Locale, line: DraftLine, part: DraftPart, young_name: str) -> str:
    """One line as it is pasted: a summary sentence as it is; a quote in quotation marks
    with whose own words they are and who helped ("(Jo's own words, with help from my
    family)"); a supporter's line after its label."""
    text = quoted(say, line, part.voice.name if part.voice is not None else young_name)
    return f"{line.label}: {text}" if line.label else text


def quoted(say: Locale, line: DraftLine, name: str) -> str:
    """A line as pasted: a quote in quotation marks with whose own words they are and who
    helped give them ("“...” (Jo's own words, with help from my family)"); a summary
    sentence as it is."""
    if line.kind != "quote":
        return line.text
    if line.helped:
        return say("section_a.quoted_helped", text=line.text, name=name, helped=line.helped)
    return say("section_a.quoted", text=line.text, name=name)


def how_made(say: Locale, young_name: str, start: str, end: str) -> str:
    """The note on how the draft was made, for the top of a pasted copy."""
    return say("section_a.how_made", name=young_name, start=start, end=end)


def plain_text(say: Locale, parts: Sequence[DraftPart], young_name: str, start: str,
               end: str) -> str:
    """Section A on its own, as plain text: a title, how it was made, then each part's title
    and lines (quotes marked). Takes the drawn parts and the period in words."""
    title = say("section_a.title", name=young_name)
    out = [title, say("summary.period", start=start, end=end), "",
           how_made(say, young_name, start, end), ""]
    if not parts:
        out += [say("summary.section_a.empty", name=young_name), ""]
    for part in parts:
        out.append(part.title)
        out += [line_text(say, line, part, young_name) for line in part.lines]
        out.append("")
    return "\n".join(out)

