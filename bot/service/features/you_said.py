"""/yousaid: closing the loop after a meeting.

Only after the meeting (its date has passed, or the therapist taps "The meeting has
happened"), the therapist picks what the young person said before it, writes what will happen
(or picks an item of the meeting record, /agreed), and MySay sends the young person a picture
card "You said ... so we will ...". The young person answers "Did people listen to me?" with
three symbols; the answer is kept in `you_said` and shown on /caseload and in the next summary.

What is offered is only what the young person said in a shared answer, each offer naming its
answer: the reasons they gave for bad days (most often first, each with the part of the day it
was about), the parts of the day they rated good, their questions, where they put every
Talking Mat card, their view of each outcome ("How am I getting on?") and their words about
it, what they picked as what would help (never the card "More"), what is important to them,
what made days good, and their own words. Everything is offered, a page at a time ("More (N
more)"), never cut. Never a supporter's view, never an answer kept private, never "not sure",
"I don't know" or a skipped outcome read as something said.

The draft lives in its `you_said` row (encrypted, sent_at empty), each item with the answer
and run it came from; the therapist's `pending` holds only ids and which question is open,
never the words.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.vocabulary import labelled
from bot.render.cards import Tile
from bot.render.screens import Picture
from bot.service import callbacks, guard, picker
from bot.service.features import meetings
from bot.service.routes import command, pending, tap
from bot.service.types import Button, Command, Media, Reply, Result
from bot.service.young_person import in_their_words, look_of
from bot.store import repo, therapist_repo
from bot.store.models import Meeting, Person, Role, YouSaid
from bot.summary import load
from bot.summary.classify import (
    BAD_DAYS,
    DAY_PARTS,
    GOOD_DAYS,
    IMPORTANT_TO,
    QUESTIONS,
    SUPPORT,
    VERDICTS,
)
from bot.summary.model import (
    TALKING_MAT,
    Item,
    Summary,
    Sym,
    last_period_items,
    lower_words,
)
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from bot.service.conversation import Context

KIND = "you_said"
FEATURE = "you_said"  # refusals are audited as refused_you_said
MAX_ITEMS = 5
MAX_WORDS = 200  # letters in one "you said" or "we will": the card must stay easy to read
# A page of offers: OFFER_THEMES buttons for what they picked, then OFFER_QUOTES of their own
# words (on the first page; later pages hold as many of either); "More" pages on, never cut.
OFFER_THEMES = 10
OFFER_QUOTES = 4
MORE = "more"  # the card "More" says only that there is more: never offered as said
OFFER_RECORD = 6  # items of the meeting record offered as "so we will"
LISTEN = (("yes", "😀"), ("a_bit", "😐"), ("no", "🙁"))
_QUOTE_REF = re.compile(r"^q(\d{1,12})$")
_RECORD_REF = re.compile(r"^r(\d{1,12})_([an])(\d{1,4})$")
_SYMBOL_REF = re.compile(r"[a-z0-9_]{1,24}")
# "we will ..." / "we'll ..." typed before what will happen: the card already says "So we will:".
_WE_WILL = re.compile(r"^(?:so\s+)?(?:we\s+will|we\s*['’]\s*ll)(?![a-z])[\s:,.;-]*",
                      re.IGNORECASE)


PICK = picker.purpose("y", "th.pick.y", "💬",
                      lambda young_id: callbacks.YouSaidTap("p", young_id).pack())


@dataclass(frozen=True)
class Offer:
    """Something the young person said, offered as a "you said" button.

    ref: what its button carries (q<answer id> for their own words, a<answer id>_<symbol> for
    something they picked); label: the button's words; said: the words for the card;
    answer_id, run_id: the shared answer (and its run) it comes from."""

    ref: str
    label: str
    said: str
    answer_id: int
    run_id: int


@command(Role.THERAPIST, "yousaid")
async def you_said(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return await picker.pick_young_person(ctx, session, person, PICK.letter)


@tap(Role.THERAPIST, callbacks.YouSaidTap)
async def on_tap(ctx: Context, session: AsyncSession, person: Person,
                 data: callbacks.YouSaidTap) -> Result:
    say = ctx.locale
    if data.op in ("p", "h"):  # these name the young person; the others a draft
        return await _start(ctx, session, person, data)
    found = await _draft(ctx, session, person, data.ident)
    if isinstance(found, Result):
        return found
    draft, young = found
    if data.op == "c":
        await session.delete(draft)
        person.pending = {}
        return Result(toast="👍").say(say("ys.cancelled"), edit=True)
    if data.op not in ("s", "w", "a", "g", "n"):
        return _refused(ctx, session, person, f"{data.op} on draft {data.ident}")
    meeting = await _held(ctx, session, young, edit=False)
    if isinstance(meeting, Result):
        return meeting
    if data.op == "s" and data.ref is not None:
        said = await _said_from_ref(ctx, session, person, young, meeting, data.ref)
        if said is None:
            return Result(toast=say("stale_button")).say(say("stale_button"))
        return await _ask_will(ctx, session, person, young, draft, meeting, said)
    if data.op == "w" and data.ref is not None:
        return await _will_from_record(ctx, session, person, young, draft, data.ref)
    if data.op == "n" and data.ref is not None and data.ref.isdigit():
        return await _ask_said(ctx, session, person, young, draft, meeting, edit=True,
                               page=int(data.ref))
    if data.op == "a":
        if len(_items(draft)) >= MAX_ITEMS:
            return Result(toast=say("ys.full", count=MAX_ITEMS))
        return await _ask_said(ctx, session, person, young, draft, meeting, edit=False)
    if data.op == "g":
        return await _send(ctx, session, person, young, draft, meeting)
    return Result(toast=say("stale_button")).say(say("stale_button"))


async def _start(ctx: Context, session: AsyncSession, person: Person,
                 data: callbacks.YouSaidTap) -> Result:
    """A young person picked (p), or "The meeting has happened" tapped (h, naming the meeting:
    meetings.it_happened): only after the meeting is what they said offered. A draft already
    about that meeting keeps its items; one about another meeting starts afresh. A "happened"
    button from before shows where things are now."""
    young = await guard.young_person_of(ctx, session, person, data.ident, FEATURE)
    if isinstance(young, Result):
        return young
    found = await meetings.meeting_to_close(
        ctx, session, person, young, data.op == "h", data.ref, _happened_button(young),
        callbacks.YouSaidTap("p", young.id).pack())
    if isinstance(found, Result):
        return found
    meeting, note = found
    draft = await therapist_repo.you_said_draft(session, person.id, young.id)
    if draft.meeting_id != meeting.id:  # a draft about another meeting (or none) starts empty;
        draft.items = "[]"             # one about this meeting keeps what was picked ("No",
        draft.meeting_id = meeting.id  # a stale button or picking them again loses nothing)
    return await _ask_said(ctx, session, person, young, draft, meeting, edit=True, note=note)


def _happened_button(young: Person) -> Callable[[str], str]:
    """The callback data of "The meeting has happened" for `young`, given the meeting's ref."""
    return lambda ref: callbacks.YouSaidTap("h", young.id, ref).pack()


async def _held(ctx: Context, session: AsyncSession, young: Person, *,
                edit: bool, note: str = "") -> Meeting | Result:
    """The meeting being closed (the newest one held), or the kind "not yet" with its button."""
    return await meetings.held_meeting(ctx, session, young, _happened_button(young), edit=edit,
                                       note=note)


def _refused(ctx: Context, session: AsyncSession, person: Person, what: str) -> Result:
    repo.audit(session, person, f"refused_{FEATURE}", detail=f"asked for {what}")
    return guard.refusal(ctx)


async def _draft(ctx: Context, session: AsyncSession, person: Person, draft_id: int, *,
                 waiting: bool = False) -> tuple[YouSaid, Person] | Result:
    """The draft and its young person, only if the draft is this therapist's and unsent, and
    the young person is still theirs (bot.service.guard); else the refusal."""
    draft = await therapist_repo.you_said_by_id(session, draft_id)
    if draft is None or draft.therapist_id != person.id or draft.sent_at is not None:
        if waiting:
            person.pending = {}
            return guard.refusal(ctx, waiting=True)
        return _refused(ctx, session, person, f"draft {draft_id}")
    young = await guard.young_person_of(ctx, session, person, draft.young_person_id or 0,
                                        FEATURE, waiting=waiting)
    return young if isinstance(young, Result) else (draft, young)


def _items(draft: YouSaid) -> list[dict[str, Any]]:
    """The draft's items as stored: {"said", "will"} and where the said came from
    ("answer_id", "run_id") and the will ("record_id", "record_item"), when they did."""
    try:
        data = json.loads(draft.items or "[]")
    except ValueError:
        return []
    return [{**d, "said": str(d.get("said", "")), "will": str(d.get("will", ""))}
            for d in data if isinstance(d, dict)] if isinstance(data, list) else []


def _store(draft: YouSaid, items: list[dict[str, Any]]) -> None:
    draft.items = json.dumps(items, ensure_ascii=False)


def strip_we_will(text: str) -> str:
    """What will happen, without a leading "we will" / "we'll" (the card already says "So we
    will:"), so the card never reads "So we will: we will ...". Takes and returns words."""
    return _WE_WILL.sub("", text.strip(), count=1).strip()


# --- what did they say? -----------------------------------------------------------------------


async def _summary(ctx: Context, session: AsyncSession, person: Person, young: Person,
                   meeting: Meeting) -> Summary:
    """What the young person shared for the meeting being closed (audited as read)."""
    return await load.summary_for(session, ctx.engine, ctx.locale, person, young.id, utcnow(),
                                  purpose="you said", before=meeting.held_on)


def offers(ctx: Context, built: Summary, until: date) -> list[Offer]:
    """Everything the young person said up to the meeting on `until`, as "you said" offers, in
    the order they are shown: first a few of each kind (the reasons they gave for bad parts of
    the day, most often first; the parts they rated good; their questions; where they put each
    Talking Mat card; their views of their outcomes; what would help; what is important to
    them; what made days good) and their newest own words; then the rest of each kind. Nothing
    is left out (the therapist pages through them: page_of). Only their own shared answers
    (the summary holds no private one), never one answered "I don't know", never a "not sure"
    or "OK" read as good, never a skipped outcome read as a view."""
    mine = [i for i in last_period_items(built) if i.when <= until and not i.dont_know]
    first: list[Offer] = []
    rest: list[Offer] = []
    seen: set[str] = set()
    for kind, limit in ((_bad_reasons, 3), (_good_parts, 2), (_questions, 2), (_mat_offers, 3),
                        (partial(_outcome_views, until=until), 3), (_support, 2), (_important, 2),
                        (_good_reasons, 2)):
        fresh = [o for o in kind(ctx, built, mine) if o.ref not in seen]
        seen.update(o.ref for o in fresh)
        first += fresh[:limit]
        rest += fresh[limit:]
    quotes: list[Offer] = []
    for quote in [*_quotes(mine), *_outcome_quotes(built, until)]:
        if quote.ref not in seen:  # an outcome's words are also an item of the summary
            seen.add(quote.ref)
            quotes.append(quote)
    # The first page: OFFER_THEMES of what they picked, then OFFER_QUOTES of their words.
    return [*first[:OFFER_THEMES], *quotes[:OFFER_QUOTES], *first[OFFER_THEMES:], *rest,
            *quotes[OFFER_QUOTES:]]


def page_of(found: list[Offer], page: int) -> tuple[list[Offer], int]:
    """The offers on page `page` (from 0; one past the end gives the last page) and how many
    come after it, so a long list is paged, never cut."""
    size = OFFER_THEMES + OFFER_QUOTES
    last = max(0, (len(found) - 1) // size)
    page = min(max(page, 0), last)
    return found[page * size:(page + 1) * size], max(0, len(found) - (page + 1) * size)


def _quote_offer(quote_words: str, answer_id: int, run_id: int) -> Offer:
    quote = f"“{quote_words}”"
    return Offer(f"q{answer_id}", f"💬 {_clip(quote, 50)}", _clip(quote, MAX_WORDS),
                 answer_id, run_id)


def _quotes(mine: list[Item]) -> list[Offer]:
    """Their own words, newest first, each naming its answer."""
    return [_quote_offer(i.quote, i.answer_id, i.run_id) for i in mine if i.quote]


def _outcome_quotes(built: Summary, until: date) -> list[Offer]:
    """Their own words about each outcome (at any step of its round), each naming its answer;
    never words sent on from someone else (the summary holds them apart)."""
    found = []
    for progress in built.outcomes.progress:
        for view in reversed(progress.views):
            if view.when > until:
                continue
            words = ([(view.in_words, view.answer_id)] if view.in_words else []) + list(
                zip(view.quotes, view.quote_ids, strict=False))
            found += [_quote_offer(w, a, view.run_id) for w, a in words if a]
    return found


def _outcome_views(ctx: Context, built: Summary, mine: list[Item], *,
                   until: date) -> list[Offer]:
    """Each outcome's latest view as the young person gave it, a point of the scale ("“I can
    ask for help in class” is getting better"), naming the scale step's answer; none for an
    outcome skipped or answered "I don't know" (their words, if any, are offered as quotes)."""
    found = []
    for progress in built.outcomes.progress:
        view = next((v for v in reversed(progress.views)
                     if v.view is not None and v.answer_id
                     and v.when <= until), None)
        if view is None or view.view is None:
            continue
        outcome = view.words_asked or progress.words
        key = f"ys.offer.outcome.{view.view.id}"
        said = (ctx.locale(key, outcome=outcome) if ctx.locale.has(key) else
                ctx.locale("ys.offer.outcome.any", outcome=outcome, view=view.view.words))
        label = labelled(view.view.emoji, said).strip()
        found.append(Offer(_symbol_ref(view.answer_id, view.view), _clip(label, 60),
                           _clip(said, MAX_WORDS), view.answer_id, view.run_id))
    return found


def _symbol_ref(answer_id: int, symbol: Sym) -> str:
    """a<answer id>_<symbol id>, the symbol as a short digest when it is long or unusual."""
    sid = symbol.id if _SYMBOL_REF.fullmatch(symbol.id) else hashlib.blake2s(
        symbol.id.encode(), digest_size=6).hexdigest()
    return f"a{answer_id}_{sid}"


def _picked(items: Iterable[Item], symbols: Callable[[Item], Iterable[Sym]]
            ) -> list[tuple[Sym, int, Item]]:
    """(symbol, in how many answers, the newest item naming it), most answers first (ties by
    words): "too loud" given for three parts of the day counts three. `items` are newest
    first."""
    counted: dict[str, tuple[Sym, set[int], Item]] = {}
    for item in items:
        for symbol in symbols(item):
            entry = counted.setdefault(symbol.id, (symbol, set(), item))
            entry[1].add(item.answer_id)
    ranked = sorted(counted.values(), key=lambda e: (-len(e[1]), e[0].words))
    return [(symbol, len(answers), item) for symbol, answers, item in ranked]


def _offer(ctx: Context, symbol: Sym, count: int, item: Item, said: str) -> Offer:
    label = labelled(symbol.emoji, said).strip()
    if count > 1:  # the therapist sees which reason came up most
        label = ctx.locale("ys.offer.count", label=label, count=count)
    return Offer(_symbol_ref(item.answer_id, symbol), _clip(label, 60), _clip(said, MAX_WORDS),
                 item.answer_id, item.run_id)


def _reasons(item: Item) -> list[Sym]:
    """What the young person picked as the reason (not a verdict, not a part of the day)."""
    return [s for s in item.symbols if s.id not in VERDICTS and s.id not in DAY_PARTS]


def _bad_reasons(ctx: Context, built: Summary, mine: list[Item]) -> list[Offer]:
    """The reasons they gave for bad days, the reason given most often first: one offer for
    each part of the day it was given for, naming that part ("too loud makes lessons hard")
    and its answer; a reason given for a whole day, once, with how often."""
    bad = [i for i in mine if i.heading == BAD_DAYS and i.verdict == "bad"]
    found: list[Offer] = []
    for symbol, _, _ in _picked(bad, _reasons):
        # Newest day first; within one run, the parts in the order of the day.
        given = sorted((i for i in bad if any(s.id == symbol.id for s in _reasons(i))),
                       key=lambda i: (-i.when.toordinal(), i.answer_id))
        for item in given:
            if item.about is not None and item.about.id in DAY_PARTS:
                said = ctx.locale("ys.offer.bad_part", words=lower_words(symbol.words),
                                  part=lower_words(item.about.words))
                found.append(_offer(ctx, symbol, 1, item, said))
        whole_days = [i for i in given if i.about is None or i.about.id not in DAY_PARTS]
        if whole_days:
            found.append(_offer(ctx, symbol, len(whole_days), whole_days[0],
                                _theme_words(ctx, BAD_DAYS, symbol)))
    return found


def _support(ctx: Context, built: Summary, mine: list[Item]) -> list[Offer]:
    """What they picked as what would help ("What would make more good days?"), with the
    question it answered; never the card "More" (it means only "there is more")."""
    asked = [i for i in mine if i.heading == SUPPORT]
    found: list[Offer] = []
    for question in dict.fromkeys(i.question for i in asked):
        found += [_offer(ctx, s, n, i, ctx.locale("ys.offer.support",
                                                   words=lower_words(s.words),
                                                   question=question.rstrip()))
                  for s, n, i in _picked([i for i in asked if i.question == question],
                                         _helps)]
    return found


def _helps(item: Item) -> list[Sym]:
    """What an answer picked as help: not a verdict, not a part of the day, not "More"."""
    return [s for s in _reasons(item) if s.id != MORE]


def _good_part_symbols(item: Item) -> list[Sym]:
    """The parts of the day an answer rates good: the part a "How is the morning?" step is
    about, when the answer is Good itself; or parts picked as what made a good day."""
    if item.about is not None and any(s.id == "good" for s in item.symbols):
        return [item.about]
    return [s for s in item.symbols if s.id in DAY_PARTS]


def _good_parts(ctx: Context, built: Summary, mine: list[Item]) -> list[Offer]:
    good = [i for i in mine if i.heading == GOOD_DAYS and i.verdict == "good"]
    return [_offer(ctx, s, n, i, ctx.locale("ys.offer.good_part", part=lower_words(s.words)))
            for s, n, i in _picked(good, _good_part_symbols)]


def _good_reasons(ctx: Context, built: Summary, mine: list[Item]) -> list[Offer]:
    good = [i for i in mine if i.heading == GOOD_DAYS and i.verdict == "good"]
    return [_offer(ctx, s, n, i, _theme_words(ctx, GOOD_DAYS, s))
            for s, n, i in _picked(good, _reasons)]


def _questions(ctx: Context, built: Summary, mine: list[Item]) -> list[Offer]:
    asked = [i for i in mine if i.heading == QUESTIONS]
    return [_offer(ctx, s, n, i, _theme_words(ctx, QUESTIONS, s))
            for s, n, i in _picked(asked, _reasons)]


def _important(ctx: Context, built: Summary, mine: list[Item]) -> list[Offer]:
    important = [i for i in mine if i.heading == IMPORTANT_TO]
    return [_offer(ctx, s, n, i, _theme_words(ctx, IMPORTANT_TO, s))
            for s, n, i in _picked(important, _reasons)]


def _mat_offers(ctx: Context, built: Summary, mine: list[Item]) -> list[Offer]:
    """Where the young person put each Talking Mat card ("you put homework under “Don't
    like”"), newest mat first, a card from each scale point in turn; cards left off are not
    offered as something said."""
    answer_of = {i.run_id: i for i in mine if i.heading == TALKING_MAT}  # the same window
    found: list[Offer] = []
    seen: set[str] = set()
    for mat in reversed(built.mats):
        item = answer_of.get(mat.run_id)
        if not mat.who.is_young_person or item is None:
            continue
        # A card from each scale point in turn, so what they did not like is offered too.
        for row in range(max(len(column) for column in mat.columns)):
            for point, column in zip(mat.scale, mat.columns, strict=True):
                if row < len(column) and column[row].id not in seen:
                    seen.add(column[row].id)
                    said = ctx.locale("ys.theme.talking_mat",
                                      words=lower_words(column[row].words), scale=point.words)
                    found.append(_offer(ctx, column[row], 1, item, said))
    return found


def _theme_words(ctx: Context, heading: str, symbol: Sym) -> str:
    key = f"ys.theme.{heading}"
    words = lower_words(symbol.words)
    return ctx.locale(key, words=words) if ctx.locale.has(key) else symbol.words


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


async def _ask_said(ctx: Context, session: AsyncSession, person: Person, young: Person,
                    draft: YouSaid, meeting: Meeting, *, edit: bool, note: str = "",
                    page: int = 0) -> Result:
    """What did they say? A page of offers (page_of), "More" on to the next page while any
    are left, then the meeting row and Cancel."""
    found = offers(ctx, await _summary(ctx, session, person, young, meeting), meeting.held_on)
    shown, left = page_of(found, page)
    rows = [(Button(o.label, callbacks.YouSaidTap("s", draft.id, o.ref).pack()),)
            for o in shown]
    if left:
        rows.append((Button(ctx.locale("ys.offer.more", count=left),
                            callbacks.YouSaidTap("n", draft.id, str(page + 1)).pack()),))
    elif page:
        rows.append((Button(ctx.locale("ys.offer.first"),
                            callbacks.YouSaidTap("n", draft.id, "0").pack()),))
    which, happened = await meetings.next_meeting_row(ctx, session, young,
                                                      _happened_button(young))
    if happened is not None:  # a next meeting is set: say which one this is about
        rows.append(happened)
    rows.append((Button(ctx.locale("ys.cancel"), callbacks.YouSaidTap("c", draft.id).pack()),))
    person.pending = {"kind": KIND, "draft": draft.id, "await": "said"}
    lead = ctx.locale("ys.ask_said" if found else "ys.ask_said_typed", name=young.display_name)
    return Result(toast="").say("\n\n".join(p for p in (note, which, lead) if p), tuple(rows),
                                edit=edit)


async def _said_from_ref(ctx: Context, session: AsyncSession, person: Person, young: Person,
                         meeting: Meeting, ref: str) -> Offer | None:
    """The offer a "you said" button names, worked out again from what is shared now (so an
    answer made private since, or a button forged, gives None)."""
    if match := _QUOTE_REF.match(ref):
        answer = await therapist_repo.shared_answer(session, young.id, int(match[1]))
        # Words sent on from someone else are not something they said (issue 12).
        if answer is None or not answer.own_words or (answer.detail or {}).get("forwarded"):
            return None
        quote = f"“{answer.own_words}”"
        return Offer(ref, quote, _clip(quote, MAX_WORDS), answer.id, answer.run_id)
    built = await _summary(ctx, session, person, young, meeting)
    return next((o for o in offers(ctx, built, meeting.held_on) if o.ref == ref), None)


async def _ask_will(ctx: Context, session: AsyncSession, person: Person, young: Person,
                    draft: YouSaid, meeting: Meeting, said: Offer | str) -> Result:
    # Typed words are the therapist's paraphrase: marked, so the summary never shows them as
    # the young person's traced words.
    item: dict[str, Any] = (
        {"said": said, "will": "", "typed_by": "therapist"} if isinstance(said, str) else
        {"said": said.said, "will": "", "answer_id": said.answer_id, "run_id": said.run_id})
    _store(draft, [*_items(draft), item])
    person.pending = {"kind": KIND, "draft": draft.id, "await": "will"}
    text = ctx.locale("ys.ask_will", name=young.display_name, said=item["said"])
    rows = await _record_buttons(session, draft, meeting)
    if rows:
        text += "\n\n" + ctx.locale("ys.will_from_record")
    return Result(toast="👍").say(text, rows)


async def _record_buttons(session: AsyncSession, draft: YouSaid,
                          meeting: Meeting) -> tuple[tuple[Button, ...], ...]:
    """The meeting record's items (what was agreed, then the next steps), each a "so we will"
    button naming the record and the item's number; only a final record (Done), whose items
    no longer change."""
    record = await therapist_repo.meeting_record_of(session, meeting.id)
    if record is None or record.final_at is None:
        return ()
    rows = []
    for part, items in (("a", record.agreed or []), ("n", record.next_steps or [])):
        for entry in items:
            words = strip_we_will(str(entry.get("text", "")))
            if words and isinstance(entry.get("n"), int):
                ref = f"r{record.id}_{part}{entry['n']}"
                rows.append((Button(f"👉 {_clip(words, 56)}",
                                    callbacks.YouSaidTap("w", draft.id, ref).pack()),))
    return tuple(rows[:OFFER_RECORD])


async def _will_from_record(ctx: Context, session: AsyncSession, person: Person,
                            young: Person, draft: YouSaid, ref: str) -> Result:
    """An item of the meeting record picked as "so we will": only one of this young person's
    record, only while a "you said" waits for it."""
    say = ctx.locale
    match = _RECORD_REF.match(ref)
    record = (await therapist_repo.meeting_record_by_id(session, int(match[1]))
              if match else None)
    if (match is None or record is None or record.young_person_id != young.id
            or record.final_at is None):
        return _refused(ctx, session, person, f"record item {ref}")
    part = record.agreed if match[2] == "a" else record.next_steps
    entry = next((e for e in part or [] if e.get("n") == int(match[3])), None)
    words = strip_we_will(str(entry.get("text", ""))) if entry else ""
    items = _items(draft)
    if not words or not items or items[-1]["will"]:
        return Result(toast=say("stale_button")).say(say("stale_button"))
    items[-1].update(will=_clip(words, MAX_WORDS), record_id=record.id,
                     record_item=f"{match[2]}{match[3]}")
    _store(draft, items)
    person.pending = {}
    return _preview(ctx, young, draft, items)


@pending(KIND)
async def typed(ctx: Context, session: AsyncSession, person: Person,
                payload: str | Media) -> Result:
    say = ctx.locale
    waiting: dict[str, Any] = dict(person.pending or {})
    found = await _draft(ctx, session, person, int(waiting.get("draft", 0)), waiting=True)
    if isinstance(found, Result):
        return found
    draft, young = found
    if isinstance(payload, Media):
        return Result().say(say("ys.type_please"))
    words = " ".join(payload.split())
    if waiting.get("await") != "said":
        words = strip_we_will(words)
    if not words:
        return Result().say(say("ys.type_please"))
    if len(words) > MAX_WORDS:
        return Result().say(say("ys.too_long", limit=MAX_WORDS, name=young.display_name))
    meeting = await _held(ctx, session, young, edit=False)
    if isinstance(meeting, Result):
        person.pending = {}
        return meeting
    if waiting.get("await") == "said":
        return await _ask_will(ctx, session, person, young, draft, meeting, words)
    items = _items(draft)
    if not items or items[-1]["will"]:
        return await _ask_said(ctx, session, person, young, draft, meeting, edit=False)
    items[-1]["will"] = words
    _store(draft, items)
    person.pending = {}
    return _preview(ctx, young, draft, items)


def _preview(ctx: Context, young: Person, draft: YouSaid,
             items: list[dict[str, Any]]) -> Result:
    say = ctx.locale
    rows = []
    if len(items) < MAX_ITEMS:
        rows.append((Button(say("ys.add"), callbacks.YouSaidTap("a", draft.id).pack()),))
    rows.append((Button(say("ys.send", name=young.display_name),
                        callbacks.YouSaidTap("g", draft.id).pack()),))
    rows.append((Button(say("ys.cancel"), callbacks.YouSaidTap("c", draft.id).pack()),))
    text = say("ys.preview", name=young.display_name) + "\n\n" + card_words(ctx, items)
    return Result(toast="").say_reply(Reply(text, tuple(rows), picture=card(ctx, items),
                                            about=young.id))


def card(ctx: Context, items: list[dict[str, Any]]) -> Picture:
    """The "you said ... so we will ..." card, in the list-picture style the review uses."""
    lines: list[tuple[str, str]] = []
    for item in items:
        lines.append(("💬", ctx.locale("ys.card_said", said=item["said"])))
        lines.append(("👉", ctx.locale("ys.card_will", will=item["will"])))
    return Picture(ctx.locale("ys.card_title"), lines=tuple(lines), as_list=True)


def card_words(ctx: Context, items: list[dict[str, Any]]) -> str:
    """The same as the card, in words (for screen readers, and when pictures do not load)."""
    return "\n".join(f"{ctx.locale('ys.card_said', said=i['said'])}\n"
                     f"{ctx.locale('ys.card_will', will=i['will'])}" for i in items)


# --- sending, and the young person's answer ---------------------------------------------------


async def _send(ctx: Context, session: AsyncSession, person: Person, young: Person,
                draft: YouSaid, meeting: Meeting) -> Result:
    """Send the card, only after the meeting (the caller found `meeting`, the one held), and
    only the items still fit to send: one whose answer the young person has made private since
    (or that is gone) is left out, and the therapist told which, without its words; with
    nothing left, nothing is sent."""
    say = ctx.locale
    items = [i for i in _items(draft) if i["said"] and i["will"]]
    if not items:
        return Result(toast=say("ys.nothing_yet"))
    items, left_out = await _still_shared(session, young, items)
    if left_out:
        _store(draft, items)  # the private words are not kept in the draft either
    if not items:
        person.pending = {}
        rows = ((Button(say("ys.add"), callbacks.YouSaidTap("a", draft.id).pack()),),
                (Button(say("ys.cancel"), callbacks.YouSaidTap("c", draft.id).pack()),))
        return Result(toast="").say(say("ys.all_left_out", name=young.display_name), rows,
                                    edit=True)
    now = utcnow()
    draft.meeting_id = meeting.id
    _store(draft, items)
    draft.sent_at = now
    person.pending = {}
    repo.audit(session, person, "you_said_sent", young,
               detail=f"{len(items)} items, {len(left_out)} left out as private")
    told = [say("ys.left_out", will=i["will"], name=young.display_name) for i in left_out]
    look = look_of(young)
    question = Picture(say("ys.listen_title"),
                       tuple(Tile(say(f"summary.listened.{key}"), emoji) for key, emoji in LISTEN),
                       shared=True)  # locale words only
    buttons = ((*(Button(f"{emoji} {say(f'summary.listened.{key}')}",
                         callbacks.YouSaidTap("l", draft.id, str(n)).pack())
                  for n, (key, emoji) in enumerate(LISTEN)),),)
    return (Result(toast="📤")
            .say("\n\n".join([*told, say("ys.sent", name=young.display_name)]), edit=True)
            .say_reply(Reply(in_their_words(ctx, young).locale("ys.card_text") + "\n\n"
                             + card_words(ctx, items),
                             picture=card(ctx, items), chat_id=young.chat_id, look=look,
                             about=young.id))
            .say_reply(Reply(say("ys.listen_text"), buttons, picture=question,
                             chat_id=young.chat_id, look=look)))


async def _still_shared(session: AsyncSession, young: Person, items: list[dict[str, Any]]
                       ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The draft's items split into those fit to send and those left out: an item naming an
    answer (answer_id) goes only while that answer is shared now; typed items always go."""
    traced = [i["answer_id"] for i in items if _traced(i)]
    shared = await therapist_repo.shared_answer_ids(session, young.id, traced)
    kept = [i for i in items if not _traced(i) or i["answer_id"] in shared]
    return kept, [i for i in items if _traced(i) and i["answer_id"] not in shared]


def _traced(item: dict[str, Any]) -> bool:
    answer = item.get("answer_id")
    return isinstance(answer, int) and not isinstance(answer, bool)


@tap(Role.YOUNG_PERSON, callbacks.YouSaidTap)
async def listened(ctx: Context, session: AsyncSession, person: Person,
                   data: callbacks.YouSaidTap) -> Result:
    say = ctx.locale
    found = await therapist_repo.you_said_by_id(session, data.ident)
    index = int(data.ref) if data.op == "l" and data.ref and data.ref.isdigit() else -1
    if (found is None or found.young_person_id != person.id or found.sent_at is None
            or not 0 <= index < len(LISTEN)):
        repo.audit(session, person, "refused_you_said", detail=f"answer to {data.ident}")
        return Result(toast=say("not_allowed"))
    answer = LISTEN[index][0]
    if found.listened == answer:
        return Result(toast=say("already_done"))
    changed = found.listened is not None
    found.listened, found.answered_at = answer, utcnow()
    repo.audit(session, person, "you_said_answered", person, detail=answer)
    result = Result(toast=LISTEN[index][1]).say(say(f"ys.thanks.{answer}"), edit=True)
    helper = await repo.person_by_id(session, found.therapist_id or 0)
    if helper is not None and helper.active:
        key = "ys.told_therapist_changed" if changed else "ys.told_therapist"
        result.say_reply(Reply(say(key, name=person.display_name,
                                   answer=say(f"summary.listened.{answer}")),
                               chat_id=helper.chat_id))
    return result
