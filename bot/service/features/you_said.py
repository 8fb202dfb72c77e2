"""/yousaid: closing the loop after a meeting.

The therapist picks what the young person said (from what they shared, or typed), writes what
will happen, and MySay sends the young person a picture card "You said ... so we will ...".
The young person answers "Did people listen to me?" with three symbols; the answer is kept in
`you_said` and shown on /caseload and in the next summary.

The draft lives in its `you_said` row (encrypted, sent_at empty); the therapist's `pending`
holds only ids and which question is open, never the words.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.render.cards import Tile
from bot.render.screens import Picture
from bot.service import callbacks, guard, picker
from bot.service.routes import command, pending, tap
from bot.service.types import Button, Command, Media, Reply, Result
from bot.service.young_person import look_of
from bot.store import repo, therapist_repo
from bot.store.models import Person, Role, YouSaid
from bot.summary import load
from bot.summary.model import (
    TALKING_MAT,
    Item,
    Summary,
    Sym,
    last_period_items,
    lower_words,
    tally,
    you_said_items,
)
from bot.timeutil import as_utc, utcnow

if TYPE_CHECKING:
    from bot.service.conversation import Context

KIND = "you_said"
FEATURE = "you_said"  # refusals are audited as refused_you_said
MAX_ITEMS = 5
MAX_WORDS = 200  # letters in one "you said" or "we will": the card must stay easy to read
OFFER_THEMES = 5
OFFER_QUOTES = 4
LISTEN = (("yes", "😀"), ("a_bit", "😐"), ("no", "🙁"))
_QUOTE_REF = re.compile(r"^q(\d{1,12})$")


PICK = picker.purpose("y", "th.pick.y", "💬",
                      lambda young_id: callbacks.YouSaidTap("p", young_id).pack())


@command(Role.THERAPIST, "yousaid")
async def you_said(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return await picker.pick_young_person(ctx, session, person, PICK.letter)


@tap(Role.THERAPIST, callbacks.YouSaidTap)
async def on_tap(ctx: Context, session: AsyncSession, person: Person,
                 data: callbacks.YouSaidTap) -> Result:
    say = ctx.locale
    if data.op == "p":  # the picker's button names the young person; the others a draft
        young = await guard.young_person_of(ctx, session, person, data.ident, FEATURE)
        if isinstance(young, Result):
            return young
        draft = await therapist_repo.you_said_draft(session, person.id, young.id)
        draft.items = "[]"
        return await _ask_said(ctx, session, person, young, draft, edit=True)
    found = await _draft(ctx, session, person, data.ident)
    if isinstance(found, Result):
        return found
    draft, young = found
    if data.op == "s" and data.ref is not None:
        said = await _said_from_ref(ctx, session, person, young, data.ref)
        if said is None:
            return Result(toast=say("stale_button")).say(say("stale_button"))
        return _ask_will(ctx, person, young, draft, said)
    if data.op == "a":
        if len(_items(draft)) >= MAX_ITEMS:
            return Result(toast=say("ys.full", count=MAX_ITEMS))
        return await _ask_said(ctx, session, person, young, draft, edit=False)
    if data.op == "g":
        return await _send(ctx, session, person, young, draft)
    if data.op == "c":
        await session.delete(draft)
        person.pending = {}
        return Result(toast="👍").say(say("ys.cancelled"), edit=True)
    return _refused(ctx, session, person, f"{data.op} on draft {data.ident}")


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


def _items(draft: YouSaid) -> list[dict[str, str]]:
    return [{"said": s, "will": w} for s, w in you_said_items(draft.items)]


def _store(draft: YouSaid, items: list[dict[str, str]]) -> None:
    draft.items = json.dumps(items, ensure_ascii=False)


# --- what did they say? -----------------------------------------------------------------------


async def _summary(ctx: Context, session: AsyncSession, person: Person,
                   young: Person) -> Summary:
    return await load.summary_for(session, ctx.engine, ctx.locale, person, young.id, utcnow(),
                                  purpose="you said")


def _offers(ctx: Context, built: Summary) -> list[tuple[str, str, str]]:
    """(ref, button label, the words for the card): the young person's most frequent themes,
    then their newest own words."""
    mine = last_period_items(built)
    offers: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for heading in _headings_by_weight(mine):
        for symbol, said in _themes(ctx, built, mine, heading):
            if symbol.id in seen or len(offers) >= OFFER_THEMES:
                continue
            seen.add(symbol.id)
            offers.append((symbol.id, f"{symbol.emoji} {said}"[:60], said))
    for item in [i for i in mine if i.quote][:OFFER_QUOTES]:
        quote = f"“{item.quote}”"
        offers.append((f"q{item.answer_id}", f"💬 {_clip(quote, 50)}", _clip(quote, MAX_WORDS)))
    return offers


def _themes(ctx: Context, built: Summary, mine: list[Item],
            heading: str) -> list[tuple[Sym, str]]:
    """(symbol, the words for the card) to offer under one heading, most frequent first. A
    Talking Mat card comes with where the young person put it ("you put homework under
    “Don't like”"), newest mat first, a card from each scale point in turn; cards left off
    are not offered as something said."""
    if heading != TALKING_MAT:
        return [(symbol, _theme_words(ctx, heading, symbol))
                for symbol, _ in tally([i for i in mine if i.heading == heading])]
    offers = []
    since = {i.run_id for i in mine}  # the same window as every other offer
    for mat in reversed(built.mats):
        if not mat.who.is_young_person or mat.run_id not in since:
            continue
        # A card from each scale point in turn, so what they did not like is offered too.
        for row in range(max(len(column) for column in mat.columns)):
            offers += [(column[row], ctx.locale("ys.theme.talking_mat",
                                                words=lower_words(column[row].words),
                                                scale=point.words))
                       for point, column in zip(mat.scale, mat.columns, strict=True)
                       if row < len(column)]
    return offers


def _headings_by_weight(items: list[Item]) -> list[str]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item.heading] = counts.get(item.heading, 0) + 1
    return sorted(counts, key=lambda h: -counts[h])


def _theme_words(ctx: Context, heading: str, symbol: Sym) -> str:
    key = f"ys.theme.{heading}"
    words = lower_words(symbol.words)
    return ctx.locale(key, words=words) if ctx.locale.has(key) else symbol.words


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


async def _ask_said(ctx: Context, session: AsyncSession, person: Person, young: Person,
                    draft: YouSaid, *, edit: bool) -> Result:
    offers = _offers(ctx, await _summary(ctx, session, person, young))
    rows = [(Button(label, callbacks.YouSaidTap("s", draft.id, ref).pack()),)
            for ref, label, _ in offers]
    rows.append((Button(ctx.locale("ys.cancel"), callbacks.YouSaidTap("c", draft.id).pack()),))
    person.pending = {"kind": KIND, "draft": draft.id, "await": "said"}
    lead = "ys.ask_said" if offers else "ys.ask_said_typed"
    return Result(toast="").say(ctx.locale(lead, name=young.display_name), tuple(rows),
                                edit=edit)


async def _said_from_ref(ctx: Context, session: AsyncSession, person: Person, young: Person,
                         ref: str) -> str | None:
    if match := _QUOTE_REF.match(ref):
        answer = await therapist_repo.shared_answer(session, young.id, int(match[1]))
        # Words sent on from someone else are not something they said (issue 12).
        if answer is None or not answer.own_words or (answer.detail or {}).get("forwarded"):
            return None
        return _clip(f"“{answer.own_words}”", MAX_WORDS)
    offers = _offers(ctx, await _summary(ctx, session, person, young))
    return next((said for found, _, said in offers if found == ref), None)


def _ask_will(ctx: Context, person: Person, young: Person, draft: YouSaid, said: str) -> Result:
    items = [*_items(draft), {"said": said, "will": ""}]
    _store(draft, items)
    person.pending = {"kind": KIND, "draft": draft.id, "await": "will"}
    return Result(toast="👍").say(ctx.locale("ys.ask_will", name=young.display_name, said=said))


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
    if not words:
        return Result().say(say("ys.type_please"))
    if len(words) > MAX_WORDS:
        return Result().say(say("ys.too_long", limit=MAX_WORDS, name=young.display_name))
    if waiting.get("await") == "said":
        return _ask_will(ctx, person, young, draft, words)
    items = _items(draft)
    if not items or items[-1]["will"]:
        return await _ask_said(ctx, session, person, young, draft, edit=False)
    items[-1]["will"] = words
    _store(draft, items)
    person.pending = {}
    return _preview(ctx, young, draft, items)


def _preview(ctx: Context, young: Person, draft: YouSaid,
             items: list[dict[str, str]]) -> Result:
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


def card(ctx: Context, items: list[dict[str, str]]) -> Picture:
    """The "you said ... so we will ..." card, in the list-picture style the review uses."""
    lines: list[tuple[str, str]] = []
    for item in items:
        lines.append(("💬", ctx.locale("ys.card_said", said=item["said"])))
        lines.append(("👉", ctx.locale("ys.card_will", will=item["will"])))
    return Picture(ctx.locale("ys.card_title"), lines=tuple(lines), as_list=True)


def card_words(ctx: Context, items: list[dict[str, str]]) -> str:
    """The same as the card, in words (for screen readers, and when pictures do not load)."""
    return "\n".join(f"{ctx.locale('ys.card_said', said=i['said'])}\n"
                     f"{ctx.locale('ys.card_will', will=i['will'])}" for i in items)


# --- sending, and the young person's answer ---------------------------------------------------


async def _send(ctx: Context, session: AsyncSession, person: Person, young: Person,
                draft: YouSaid) -> Result:
    say = ctx.locale
    items = [i for i in _items(draft) if i["said"] and i["will"]]
    if not items:
        return Result(toast=say("ys.nothing_yet"))
    now = utcnow()
    today = as_utc(now).date()
    held = await therapist_repo.past_meetings(session, young.id, today + timedelta(days=1))
    draft.meeting_id = held[0].id if held else None
    _store(draft, items)
    draft.sent_at = now
    person.pending = {}
    repo.audit(session, person, "you_said_sent", young, detail=f"{len(items)} items")
    look = look_of(young)
    question = Picture(say("ys.listen_title"),
                       tuple(Tile(say(f"summary.listened.{key}"), emoji) for key, emoji in LISTEN),
                       shared=True)  # locale words only
    buttons = ((*(Button(f"{emoji} {say(f'summary.listened.{key}')}",
                         callbacks.YouSaidTap("l", draft.id, str(n)).pack())
                  for n, (key, emoji) in enumerate(LISTEN)),),)
    return (Result(toast="📤")
            .say(say("ys.sent", name=young.display_name), edit=True)
            .say_reply(Reply(say("ys.card_text") + "\n\n" + card_words(ctx, items),
                             picture=card(ctx, items), chat_id=young.chat_id, look=look,
                             about=young.id))
            .say_reply(Reply(say("ys.listen_text"), buttons, picture=question,
                             chat_id=young.chat_id, look=look)))


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
