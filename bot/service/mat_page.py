"""The Talking Mat page (issue 16): what the page shows and what its moves do, as data.

No Telegram and no HTTP here: bot.webapp.server checks Telegram's initData and turns requests
into these calls; the unit of work runs each in one transaction. A move goes through the same
engine, run version and access checks as a tap on the chat's buttons, and the finished mat is
stored exactly as the chat stores it (bot.service.young_person).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, get_args
from urllib.parse import quote

from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.core import (
    LEFT_OFF,
    Action,
    ActionKind,
    InvalidAction,
    RunState,
    RunStatus,
    mat_order,
)
from bot.engine.flows import Step, StepType
from bot.engine.screen import MatCard, Screen, ScreenKind
from bot.render import pool, speech, symbol_set
from bot.render.cards import PALETTES
from bot.render.cards.shapes import emoji_image
from bot.render.fonts import FONT_FAMILIES
from bot.service import present, reading, young_person
from bot.service.types import Result
from bot.store import flow_repo, media_repo, repo
from bot.store.models import FlowRun, Person, Role

if TYPE_CHECKING:
    from bot.service.conversation import Context

log = logging.getLogger(__name__)

# What the page can ask for (PageMove.op).
MoveOp = Literal["place", "leave_off", "dont_know", "move", "back", "right", "stop", "chat"]
MOVE_OPS: tuple[str, ...] = get_args(MoveOp)


@dataclass(frozen=True)
class PageMove:
    """One move on the page: the run version the page last saw, what to do, the card (its
    stable id) and the column: 0-2, the top scale's points left to right, or -1 for left off."""

    version: int
    op: MoveOp
    card: str | None = None
    column: int | None = None


@dataclass(frozen=True)
class PageRequest:
    """One request from the page for run `run_id`: its state, a move, a card's picture or a
    card's words spoken (`card` "question" for the question itself)."""

    run_id: int
    what: Literal["state", "move", "picture", "speech"]
    move: PageMove | None = None
    card: str | None = None


@dataclass(frozen=True)
class ToMake:
    """Bytes a picture or speech request still needs, made once the transaction has
    committed (`made`), never while it is open: `kind` "symbol" (`source` is the symbol to
    draw as a PNG) or "speech" (`source` is the words to speak); `missing` is the 404 body
    when nothing comes of it (no symbol to draw, no speech here)."""

    kind: Literal["symbol", "speech"]
    source: str
    missing: dict[str, Any]


@dataclass
class PageAnswer:
    """What to answer the page: an HTTP status and a JSON body (the state, or an error with
    `stale`), or bytes for a picture or speech; and `result`, what to send to the young
    person's chat once the transaction has committed (after "This is right", "Stop for now"
    or going back to the chat), else None. `make`, when set, is the picture or speech still
    to make after the commit (`made` turns it into `data`)."""

    status: int
    body: dict[str, Any] | None = None
    data: bytes | None = None
    mime_type: str | None = None
    result: Result | None = field(default=None)
    make: ToMake | None = None


# -- access ---------------------------------------------------------------------------------

async def _open(ctx: Context, session: AsyncSession, person: Person | None,
                run_id: int, *, for_update: bool) -> FlowRun | PageAnswer:
    """The run the page asks about (locked as a chat tap locks it when `for_update`, for a
    move; read without a lock for the state, a picture or speech: repo.run_for_person), or
    the answer that refuses it: 403 for anyone but a young person and for a run not theirs
    (nothing of anyone else's is shown), 409 "gone" for a run no longer at a Talking Mat
    (finished, stopped for now, or moved on past the mat: a page from an old run)."""
    say = ctx.locale
    if person is None or person.role != Role.YOUNG_PERSON:
        return PageAnswer(403, {"error": say("mat_page.not_yours")})
    run = await repo.run_for_person(session, run_id, person.id, for_update=for_update)
    if run is None:
        return PageAnswer(403, {"error": say("mat_page.not_yours")})
    if run.status != RunStatus.ACTIVE or _mat_step(ctx, run.flow_id, run.step_id) is None:
        key = "mat_page.gone_paused" if run.status == RunStatus.PAUSED else "mat_page.gone"
        return PageAnswer(409, {"stale": True, "gone": True, "error": say(key)})
    return run


def _mat_step(ctx: Context, flow_id: str, step_id: str) -> Step | None:
    """The Talking Mat step `step_id` of `flow_id`, or None when it is not a mat step."""
    flow = ctx.engine.flows.get(flow_id)
    if flow is None or not flow.has_step(step_id):
        return None
    step = flow.step(step_id)
    return step if step.type is StepType.MAT else None


# -- the state the page shows --------------------------------------------------------------

def _card(ctx: Context, state: RunState, card_id: str) -> MatCard:
    """A card of the mat: a symbol, the young person's own picture card or an outcome; a
    symbol taken out of the vocabulary since keeps its id as its words (as the engine does)."""
    try:
        return ctx.engine.card(state, card_id)
    except KeyError:
        return MatCard(card_id, card_id.replace("_", " "), "")


def _mat_ids(ctx: Context, state: RunState) -> tuple[str, list[str], list[str]]:
    """(topic, scale, cards) of the run's mat: the cards in the order given
    (FlowEngine.mat_setup), then any card placed that is no longer given (a reopened mat)."""
    step = _mat_step(ctx, state.flow_id, state.step_id)
    assert step is not None
    topic, scale, cards = ctx.engine.mat_setup(state, step)
    cards += [c for c, _ in state.placed if c not in cards]
    return topic, scale, cards


def _picture(run_id: int, card_id: str) -> str:
    """A card's picture address, relative to the page (`{P}/mat/`)."""
    return f"api/picture?run={run_id}&card={quote(card_id, safe='')}"


def _look(person: Person) -> dict[str, Any]:
    """The young person's display settings (/settings) and their palette's colours as
    #rrggbb, so the page looks like their picture cards (bot.render.cards PALETTES)."""
    style = young_person.style_of(person)
    name = style.palette if style.palette in PALETTES else "standard"
    palette = PALETTES[name]

    def hexed(rgb: tuple[int, int, int]) -> str:
        return "#{:02x}{:02x}{:02x}".format(*rgb)

    return {"text_scale": style.text_scale, "palette": name,
            "font": style.font if style.font in FONT_FAMILIES else "atkinson",
            "colours": {"background": hexed(palette.background), "text": hexed(palette.text),
                        "tile": hexed(palette.tile), "outline": hexed(palette.outline),
                        "accent": hexed(palette.accent)}}


def _words(ctx: Context, topic: str, screen: Screen) -> dict[str, str]:
    """The page's words in the young person's style: its buttons as the chat's own (so the
    page and the chat say the same), and the page's own (mat_page.*): everything the page
    shows or says out loud, so none of it is the page's English fallback (mat.js FALLBACK)."""
    say = ctx.locale
    counter = say("card_of", n=screen.card_number, total=screen.card_count) \
        if screen.card_number else ""
    return {"right": say("control.right"), "back": say("control.back"),
            "skip": say("control.skip"), "dont_know": say("control.dont_know"),
            "stop": say("control.stop"), "read": say("control.read"),
            "left_off": say("answer.left_off"), "card_of": counter,
            "look_prompt": say("mat_review_prompt", topic=topic),
            "move_hint": say("mat_page.move_hint"),
            "paused": say("paused"), "done": say("mat_page.done"), "chat": say("mat_page.chat"),
            # What the page says as a card is picked up, put down or taken back (for a
            # screen reader and the keyboard), and its own messages and their buttons.
            "picked": say("mat_page.picked"), "put_down": say("mat_page.put_down"),
            "under": say("mat_page.under"), "taken_back": say("mat_page.taken_back"),
            "no_speech": say("mat_page.no_speech"),
            "no_sound_play": say("mat_page.no_sound_play"),
            "not_saved": say("mat_page.not_saved"), "not_loaded": say("mat_page.not_loaded"),
            "open_again": say("mat_page.open_again"),
            "open_from_chat": say("mat_page.open_from_chat"),
            "close": say("mat_page.close"), "ok": say("mat_page.ok"),
            "try_again": say("mat_page.try_again")}


def mat_state(ctx: Context, person: Person, run_id: int, version: int, state: RunState,
              stage: str | None = None) -> dict[str, Any]:
    """The page's whole view of the mat in `state` (a run at a Talking Mat step), as JSON.

    Takes the run's id and version, its state, and the stage to say (None: "place" while a
    card waits to be placed, else "look"; "done" after "This is right", "paused" after "Stop
    for now"). Every card of the mat is listed in the order given, with its column (0-2 under
    the top scale's points, -1 left off, None not placed yet) and `order`, its place in the
    mat as read (bot.engine.core.mat_order: column by column, each in the order placed). The
    shape is the issue 16 contract's."""
    at_mat = replace(state, status=RunStatus.ACTIVE)
    screen = ctx.engine.screen(at_mat, {})
    assert screen.mat is not None
    view = screen.mat
    current = view.current.symbol_id if view.current is not None else None
    topic, scale, cards = _mat_ids(ctx, at_mat)
    where = {card: column for card, column in state.placed if card != state.moving}
    read = [c for c in mat_order(state.placed) if c in where]
    stage = stage or ("place" if current is not None else "look")
    prompt = present.prompt_words(screen, ctx.locale) if screen.kind is ScreenKind.MAT_PLACE \
        else ctx.locale("mat_review_prompt", topic=view.topic.words)

    def shown(card_id: str) -> dict[str, Any]:
        card = _card(ctx, at_mat, card_id)
        return {"id": card_id, "words": card.words, "picture": _picture(run_id, card_id)}

    return {"run": run_id, "version": version, "stage": stage, "lang": ctx.locale.language,
            "prompt": prompt,
            "topic": shown(topic), "scale": [shown(s) for s in scale],
            "cards": [{**shown(c), "own": _card(ctx, at_mat, c).image is not None,
                       "column": where.get(c), "order": read.index(c) if c in where else None}
                      for c in cards],
            "current": current if stage == "place" else None,
            "card_number": screen.card_number or min(len(state.placed) + 1, len(cards)),
            "card_count": len(cards), "look": _look(person),
            "words": _words(ctx, view.topic.words, screen)}


async def page_state(ctx: Context, session: AsyncSession, person: Person | None,
                     run_id: int) -> PageAnswer:
    """The mat as it stands, for the page: 200 and `mat_state`, or the refusal of `_open`.
    Reads without locking the run (a chat tap is never kept waiting by the page)."""
    run = await _open(ctx, session, person, run_id, for_update=False)
    if isinstance(run, PageAnswer):
        return run
    assert person is not None
    return PageAnswer(200, mat_state(ctx, person, run.id, run.version, repo.run_state(run)))


# -- moves ----------------------------------------------------------------------------------

class _Refused(Exception):
    """A move that does not fit the mat as it stands (400)."""


def _put(column: int | None) -> Action:
    """The engine action that puts the card in hand under scale point `column` (0-2), or
    leaves it off (-1), as the chat's scale buttons and "Skip" do."""
    if column == LEFT_OFF:
        return Action(ActionKind.SKIP)
    if column not in (0, 1, 2):
        raise _Refused(f"no column {column}")
    return Action(ActionKind.CHOOSE, column)


def _actions(state: RunState, current: str | None, move: PageMove) -> list[Action]:
    """The engine actions a page move stands for (the issue 16 contract's rules), in order.
    Raises _Refused for a move that does not fit: a card that is not the one in hand, a card
    moved before every card is placed, "back" with nothing placed, an unknown op."""
    op = move.op
    if op in ("place", "leave_off", "dont_know"):
        if current is None or move.card != current:
            raise _Refused("not the card in hand")
        if op == "place":
            return [_put(move.column)]
        return [Action(ActionKind.SKIP if op == "leave_off" else ActionKind.DONT_KNOW)]
    if op == "move":
        cards = mat_order(state.placed)
        if current is not None or move.card not in cards:
            raise _Refused("not a card on the finished mat")
        # "Move a card", the card, then where it goes: as the chat's three taps.
        picking = [] if state.picking else [Action(ActionKind.MOVE)]
        return [*picking, Action(ActionKind.CHOOSE, cards.index(str(move.card))),
                _put(move.column)]
    if op == "back":
        if not state.placed:
            raise _Refused("nothing placed to take back")
        # Half way through the chat's "Move a card" (choosing the card): the page shows the
        # whole mat, so Back there takes back the last card, as it says.
        return [Action(ActionKind.BACK)] * (2 if state.picking else 1)
    if op == "right":
        if current is not None:
            raise _Refused("cards still to place")
        return [*([Action(ActionKind.BACK)] if state.picking else []), Action(ActionKind.RIGHT)]
    if op == "stop":
        return [Action(ActionKind.STOP)]
    raise _Refused(f"no such move {op!r}")


async def page_move(ctx: Context, session: AsyncSession, person: Person | None, run_id: int,
                    move: PageMove) -> PageAnswer:
    """One move from the page, through the same engine, run version and store as a tap on
    the chat's buttons (young_person._apply): the engine actions it stands for are applied
    in order and saved once (one run version step), in the caller's transaction.

    Returns 200 with the mat's new state (stage "done" after "right", "paused" after "stop"),
    and for "right", "stop" and "chat" the Result for the young person's chat (the finished
    mat's picture and the next step; the paused message; the step again). Refusals: those of
    `_open`; 409 `stale` with the current state when `move.version` is not the run's version
    (nothing changes); 400 with the current state for a move that does not fit."""
    run = await _open(ctx, session, person, run_id, for_update=True)
    if isinstance(run, PageAnswer):
        return run
    assert person is not None
    state = repo.run_state(run)
    if move.version != run.version:
        return PageAnswer(409, {"stale": True, "error": ctx.locale("mat_page.stale"),
                                "state": mat_state(ctx, person, run.id, run.version, state)})
    if move.op == "chat":  # the page closed unfinished: the chat gets live buttons again
        result = await young_person.where_you_are(ctx, session, person)
        return PageAnswer(200, mat_state(ctx, person, run.id, run.version, state),
                          result=result)
    answers = await repo.answers_of(session, run.id)
    screen = ctx.engine.screen(state, answers)
    current = screen.mat.current.symbol_id if screen.mat and screen.mat.current else None
    try:
        actions = _actions(state, current, move)
        before = state
        for action in actions[:-1]:
            before = ctx.engine.apply(before, answers, action).state
        ctx.engine.apply(before, answers, actions[-1])  # checked before anything is stored
    except (_Refused, InvalidAction) as refused:
        log.info("mat page move refused: %s", refused)
        return PageAnswer(400, {"stale": False, "error": ctx.locale("mat_page.bad_move"),
                                "state": mat_state(ctx, person, run.id, run.version, state)})
    result = await young_person._apply(ctx, session, person, run, actions[-1], edit=False,
                                       answers=answers, state=before)
    if move.op == "right":
        return PageAnswer(200, mat_state(ctx, person, run.id, run.version, before, "done"),
                          result=result)
    now = repo.run_state(run)
    if move.op == "stop":
        return PageAnswer(200, mat_state(ctx, person, run.id, run.version, now, "paused"),
                          result=result)
    return PageAnswer(200, mat_state(ctx, person, run.id, run.version, now))


# -- pictures and speech --------------------------------------------------------------------

PICTURE_SIDE = 144  # px: a card's symbol on the page (shown at up to 72 CSS px on 2x screens)


@lru_cache(maxsize=512)
def _symbol_png(emoji: str, side: int, symbols: int) -> bytes | None:
    """A symbol drawn as a PNG `side` px square (transparent around it), as the picture cards
    draw it (bot.render.cards emoji_image: the service's own symbol set, else OpenMoji).
    Kept per symbol, size and symbol set (`symbols`: its id, so a new set draws anew)."""
    picture = emoji_image(emoji, side)
    if picture is None:
        return None
    canvas = Image.new("RGBA", (side, side))
    canvas.paste(picture, ((side - picture.width) // 2, (side - picture.height) // 2), picture)
    out = io.BytesIO()
    canvas.save(out, "PNG", optimize=True)
    return out.getvalue()


def _image_type(data: bytes) -> str:
    """The type of a kept photo: kept photos are JPEG or PNG (bot.render.safe_image)."""
    return "image/png" if data.startswith(b"\x89PNG\r\n\x1a\n") else "image/jpeg"


async def page_picture(ctx: Context, session: AsyncSession, run: FlowRun,
                       card_id: str) -> PageAnswer:
    """The picture of `card_id` on the mat of `run` (already opened by `_open`: its topic, a
    scale point or a card), decided inside the transaction and made after it: the young
    person's own picture card (or an outcome's picture) is their photo as kept (200 with its
    bytes); a symbol is left to draw after the commit (`make`, a PNG of PICTURE_SIDE px).
    404 for an id not on this run's mat, or with nothing to draw (the page shows the words
    alone)."""
    missing = {"error": ctx.locale("mat_page.no_picture")}
    state = repo.run_state(run)
    topic, scale, cards = _mat_ids(ctx, state)
    if card_id not in (topic, *scale, *cards):
        return PageAnswer(404, missing)
    card = _card(ctx, state, card_id)
    if card.image is not None:
        photo = (await media_repo.contents(session, [card.image])).get(card.image)
        if not photo:
            return PageAnswer(404, missing)
        return PageAnswer(200, data=photo, mime_type=_image_type(photo))
    if not card.emoji:
        return PageAnswer(404, missing)
    return PageAnswer(200, make=ToMake("symbol", card.emoji, missing))


async def page_speech(ctx: Context, session: AsyncSession, run: FlowRun,
                      card_id: str) -> PageAnswer:
    """`card_id`'s words spoken (OGG Opus, bot.render.speech), for a card on the mat of `run`
    (already opened by `_open`); for "question", the therapist's own recording of the mat
    step (as "Read it to me" in the chat, young_person.read_aloud: 200 with its bytes) else
    the question spoken. The words are left to speak after the commit (`make`). 404 with
    the page's words for an id not on the mat (or no speech here, found after the commit)."""
    missing = {"error": ctx.locale("mat_page.no_speech")}
    state = repo.run_state(run)
    if card_id == QUESTION:
        therapists = await flow_repo.therapists_of(session, run.person_id)
        recorded = await media_repo.recording(session, therapists, run.flow_id, run.step_id)
        if recorded is not None:
            return PageAnswer(200, data=recorded, mime_type="audio/ogg")
        screen = ctx.engine.screen(state, {})
        said = reading.plain(present.prompt_words(screen, ctx.locale))
        return PageAnswer(200, make=ToMake("speech", said, missing))
    topic, scale, cards = _mat_ids(ctx, state)
    if card_id not in (topic, *scale, *cards):
        return PageAnswer(404, missing)
    return PageAnswer(200, make=ToMake("speech", _card(ctx, state, card_id).words, missing))


QUESTION = "question"  # page_speech's id for the mat's question itself


async def made(answer: PageAnswer) -> PageAnswer:
    """`answer` with the picture or speech it still needs made (`answer.make`), outside any
    transaction: a symbol drawn in the drawing pool (bot.render.pool, off the event loop),
    words spoken by bot.render.speech. Returns `answer` itself when there is nothing to
    make; 404 with `make.missing` when nothing comes of it. Raises what drawing raises."""
    make = answer.make
    if make is None:
        return answer
    if make.kind == "symbol":
        data = await pool.drawn(_symbol_png, make.source, PICTURE_SIDE,
                                id(symbol_set.active()))
        mime_type = "image/png"
    else:
        data = await speech.speak(make.source)
        mime_type = "audio/ogg"
    if data is None:
        return PageAnswer(404, make.missing)
    return PageAnswer(200, data=data, mime_type=mime_type)


async def answer(ctx: Context, session: AsyncSession, person: Person | None,
                 request: PageRequest) -> PageAnswer:
    """One request from the page, answered: the state, a move, a picture or speech. A
    picture or speech the run's checks refuse gets that refusal (403, 409); one not on the
    mat, 404. Only a move locks the run; a picture or a card's speech is decided here and
    made after the commit (`made`). Raises nothing for what the page sends: a move without
    `move` is a 400."""
    if request.what == "state":
        return await page_state(ctx, session, person, request.run_id)
    if request.what == "move":
        if request.move is None or request.move.op not in MOVE_OPS:
            return PageAnswer(400, {"stale": False, "error": ctx.locale("mat_page.bad_move")})
        return await page_move(ctx, session, person, request.run_id, request.move)
    if request.what not in ("picture", "speech"):
        return PageAnswer(400, {"stale": False, "error": ctx.locale("mat_page.bad_move")})
    run = await _open(ctx, session, person, request.run_id, for_update=False)
    if isinstance(run, PageAnswer):
        return run
    if request.what == "picture":
        return await page_picture(ctx, session, run, request.card or "")
    return await page_speech(ctx, session, run, request.card or "")
