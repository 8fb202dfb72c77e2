"""The young person's side: the menu, going through a flow, and anything unexpected on the way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.core import (
    HELPED,
    MAX_OWN_WORDS,
    OWN_WORDS_MARK,
    REVIEW,
    Action,
    ActionKind,
    AnswerRecord,
    InvalidAction,
    Outcome,
    RunState,
    RunStatus,
)
from bot.engine.flows import Flow, Step, StepType
from bot.engine.screen import OWN_CARD_MARK, Screen, ScreenKind
from bot.engine.vocabulary import labelled
from bot.render import speech
from bot.render.cards import CardStyle, Tile
from bot.render.screens import Picture
from bot.service import callbacks, present
from bot.service.drawing import Drawing, KeepWith, MatPicture, ProfilePicture, with_words
from bot.service.routes import ROUTES, command, tap
from bot.service.types import (
    Attachment,
    Button,
    Command,
    Edited,
    Event,
    Media,
    MediaKind,
    Reply,
    Result,
    Text,
)
from bot.store import flow_repo, media_repo, outcome_repo, repo
from bot.store.models import Assignment, FlowRun, Person, Role

if TYPE_CHECKING:
    from bot.service.conversation import Context

# Activities on one page of the menu; more go on further pages ("More ▶️"), never cut off.
MENU_PAGE = 12


# The settings that change how a reply is shown (Reply.look): the card's size, colours and
# letters; the style, whose words the adapter puts on a card; and words-only answers.
LOOK_KEYS = ("text_scale", "palette", "font", "style", "pictures")


def look_of(person: Person) -> tuple[tuple[str, object], ...]:
    """How pictures should look for this person (from /settings): the LOOK_KEYS they set."""
    prefs = person.preferences or {}
    return tuple((k, prefs[k]) for k in LOOK_KEYS if k in prefs)


def in_their_words(ctx: Context, person: Person | None) -> Context:
    """`ctx` with the locale in the style a young person chose ("grown_up": the plain words,
    media/locales/<language>/grown_up/); anyone else, or the default style: `ctx` itself."""
    style = (person.preferences or {}).get("style") if person is not None \
        and person.role == Role.YOUNG_PERSON else None
    if not style or ctx.locale.styled(str(style)) is ctx.locale:
        return ctx
    return replace(ctx, locale=ctx.locale.styled(str(style)))


def grown_up(person: Person) -> bool:
    """Whether the young person chose the grown-up style (/settings, or their therapist)."""
    return (person.preferences or {}).get("style") == "grown_up"


def style_of(person: Person) -> CardStyle:
    look: dict[str, Any] = dict(look_of(person))
    return CardStyle(text_scale=float(look.get("text_scale", 1.0)),
                     palette=str(look.get("palette", "standard")),
                     font=str(look.get("font", "atkinson")))


async def message(ctx: Context, session: AsyncSession, person: Person, event: Event) -> Result:
    """Anything that is not a command or a button: words, pictures, stickers, edits."""
    say = ctx.locale
    if isinstance(event, Text):
        return await typed(ctx, session, person, event.text, forwarded=event.forwarded)
    if isinstance(event, Edited):
        noticed = await watch(ctx, session, person, event.text, "edited") if event.text else []
        return watched(noticed, await where_you_are(ctx, session, person,
                                                    lead=say("edited_ignored")))
    if isinstance(event, Media):
        return await media_answer(ctx, session, person, event)
    return await where_you_are(ctx, session, person)


@command(Role.YOUNG_PERSON, "start", "menu")
async def show_menu(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return await menu(ctx, session, person)


@command(Role.YOUNG_PERSON, "continue")
async def continue_where_stopped(ctx: Context, session: AsyncSession, person: Person,
                                 _: Command) -> Result:
    return await resume(ctx, session, person)


@command(Role.YOUNG_PERSON, "help")
async def help_(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return await where_you_are(ctx, session, person, lead=ctx.locale("young_person_help"))


# /privacy is in bot/service/features/privacy.py (the picture explanation and the notice).


async def flows_for(ctx: Context, session: AsyncSession, person: Person) -> list[Flow]:
    """What the therapist set (/assign), or every young person's flow if nothing is set;
    without an activity that asks about their outcomes when they have none yet."""
    return await _with_outcomes(session, person,
                                _offered(ctx, await flow_repo.assignments(session, person.id)))


async def _with_outcomes(session: AsyncSession, person: Person, flows: list[Flow]) -> list[Flow]:
    """`flows`, less those that ask about outcomes ("How am I getting on?") when the young
    person has no outcomes set: there would be nothing of theirs to ask about."""
    if any(f.asks_outcomes for f in flows) and not await outcome_repo.current(session, person.id):
        return [f for f in flows if not f.asks_outcomes]
    return flows


def _offered(ctx: Context, assigned: Sequence[Assignment]) -> list[Flow]:
    flows = [ctx.engine.flows[a.flow_id] for a in assigned if a.flow_id in ctx.engine.flows]
    if flows:
        return flows
    return [f for f in ctx.engine.flows.values() if f.audience == "young_person"]


async def menu(ctx: Context, session: AsyncSession, person: Person, lead: str | None = None,
               *, edit: bool = False, page: int = 0) -> Result:
    """The activity menu: "Continue" (when a flow is under way), a page of the activities
    this person is offered, "More ▶️" / "◀️ Back" when there are more than MENU_PAGE, and
    "I don't feel safe". `page` counts from 0; one past the end shows the last page (the
    list got shorter since the button was sent)."""
    say = ctx.locale
    offered = await flows_for(ctx, session, person)
    pages = max(1, -(-len(offered) // MENU_PAGE))
    page = min(max(0, page), pages - 1)
    flows = offered[page * MENU_PAGE:(page + 1) * MENU_PAGE]
    rows = [(Button(labelled(ctx.engine.vocabulary[f.symbol].emoji, f.title),
                    callbacks.StartFlow(f.id).pack()),)
            for f in flows]
    run = await repo.current_run(session, person.id)
    if run is not None:
        resume = callbacks.RunTap.of(run.id, run.version, ActionKind.RESUME).pack()
        rows.insert(0, (Button(say("control.continue"), resume),))
    turn = _menu_turn(ctx, page, pages)
    if turn:
        rows.append(turn)
    rows.append((Button(say("control.unsafe"), callbacks.Unsafe().pack()),))
    where = say("menu.page", n=page + 1, total=pages) if pages > 1 else None
    text = "\n\n".join(p for p in (lead, say("menu_prompt"), where) if p)
    tiles = tuple(Tile(f.title, ctx.engine.vocabulary[f.symbol].emoji) for f in flows)
    # Flow titles and symbols only: one card for everyone with the same flows. Someone who
    # chose "Pictures: Words only" (/settings) gets the words and buttons alone.
    words_only = (person.preferences or {}).get("pictures") == "words"
    picture = Picture(say("menu_prompt"), tiles, shared=True) if tiles and not words_only \
        else None
    return Result().say_reply(Reply(text, tuple(rows), picture=picture, edit=edit,
                                    look=look_of(person)))


def _menu_turn(ctx: Context, page: int, pages: int) -> tuple[Button, ...]:
    """The row that turns the menu's pages: "◀️ Back" and / or "More ▶️" (none on one page)."""
    row = []
    if page > 0:
        row.append(Button(ctx.locale("menu.back"), callbacks.MenuPage(page - 1).pack()))
    if page + 1 < pages:
        row.append(Button(ctx.locale("menu.more"), callbacks.MenuPage(page + 1).pack()))
    return tuple(row)


@tap(Role.YOUNG_PERSON, callbacks.MenuPage)
async def menu_turn(ctx: Context, session: AsyncSession, person: Person,
                    data: callbacks.MenuPage) -> Result:
    """A tap on "More ▶️" or "◀️ Back": that page of the menu, in place of the one tapped."""
    result = await menu(ctx, session, person, edit=True, page=data.page)
    result.toast = ""
    return result


async def where_you_are(ctx: Context, session: AsyncSession, person: Person,
                        lead: str | None = None) -> Result:
    """Show the current step again (with a short note first), or the menu if there is none."""
    run = await repo.current_run(session, person.id)
    if run is None or run.status != RunStatus.ACTIVE:
        return await menu(ctx, session, person, lead=lead)
    return _show(ctx, person, run, await _screen(ctx, session, run), lead=lead)


async def resume(ctx: Context, session: AsyncSession, person: Person) -> Result:
    run = await repo.current_run(session, person.id, for_update=True)
    if run is None:
        return await menu(ctx, session, person, lead=ctx.locale("nothing_active"))
    return await _apply(ctx, session, person, run, Action(ActionKind.RESUME), edit=False)


@tap(Role.YOUNG_PERSON, callbacks.StartFlow)
async def start_flow(ctx: Context, session: AsyncSession, person: Person,
                     data: callbacks.StartFlow) -> Result:
    return await _start_flow(ctx, session, person, data.flow_id)


@tap(Role.YOUNG_PERSON, callbacks.RunTap)
async def run_tap(ctx: Context, session: AsyncSession, person: Person,
                  data: callbacks.RunTap) -> Result:
    say = ctx.locale
    run = await repo.run_for_person(session, data.run_id, person.id)
    if run is None:  # not theirs, or never existed: refuse, show nothing of anyone else's
        result = await where_you_are(ctx, session, person)
        result.toast = say("not_allowed")
        return result
    if data.version != run.version:
        return await _stale(ctx, session, person, run, data)
    if data.extra == callbacks.READ_ALOUD:
        return await read_aloud(ctx, session, person, run)
    if data.extra is not None:  # "Something else": typing is always open, so just say so
        return Result(toast=say("type_now")).say(say("type_now"))
    # A choice is named by its id and found on the step as it is now (issue 13, point 1);
    # the answers read for that are the ones the action is applied to (no second read).
    answers = await repo.answers_of(session, run.id) if data.names_choice else None
    action = data.action_on(None if answers is None
                            else ctx.engine.screen(repo.run_state(run), answers))
    if action is None:  # a button from before issue 13 (by position), or a choice gone since
        # The tapped card is of this very screen: it shows the note and the step in place, so
        # no second card of the step is left with live buttons above the new one.
        return await _from_before(ctx, session, person, run, edit=True)
    return await _apply(ctx, session, person, run, action, edit=True, answers=answers)


async def typed(ctx: Context, session: AsyncSession, person: Person, text: str, *,
                forwarded: bool = False) -> Result:
    """Words typed at a step are their answer; `forwarded` words (sent on from someone else)
    are kept marked as such, and the young person is told (issue 12, point 4)."""
    run = await repo.current_run(session, person.id, for_update=True)
    noticed = await watch(ctx, session, person, text, "words")
    if run is None or run.status != RunStatus.ACTIVE:
        result = await menu(ctx, session, person, lead=ctx.locale("use_buttons"))
    elif len(text) > MAX_OWN_WORDS:
        result = _show(ctx, person, run, await _screen(ctx, session, run),
                       lead=ctx.locale("too_long", limit=MAX_OWN_WORDS))
    else:
        action = Action(ActionKind.TEXT, text=text, forwarded=forwarded)
        result = await _apply(ctx, session, person, run, action, edit=False,
                              lead=_lead(ctx, None, forwarded))
    return watched(noticed, result)


def _lead(ctx: Context, key: str | None, forwarded: bool) -> str | None:
    """What to say above the next step: `key`'s words, then, for something sent on from
    someone else, that it was kept marked as such."""
    parts = [ctx.locale(k) for k in (key, "forwarded_kept" if forwarded else None) if k]
    return "\n".join(parts) or None


async def watch(ctx: Context, session: AsyncSession, person: Person, words: str,
                source: str) -> list[Reply]:
    """Let every watcher (safeguarding) see the words first; their replies go first. Words
    sent on from someone else are watched too: a disclosure can come in a forward."""
    replies: list[Reply] = []
    for watcher in ROUTES.watchers:
        found = await watcher(ctx, session, person, words, source)
        if found is not None:
            replies += found.replies
    return replies


def watched(noticed: list[Reply], result: Result) -> Result:
    """What to send after words were watched: `result` if the watchers said nothing, else only
    what they said (issue 12, point 8).

    After a disclosure the safety reply is the only thing the young person reads: a menu, a
    "Please use the buttons" or the step again after it reads as "not understood". What the
    words did still stands (an answer kept, the step moved on: the caller has applied it);
    mid-flow the safety reply has a "Carry on" button that shows where they are now
    (bot.service.features.safeguarding), and at the menu nothing more is needed (the menu
    they typed under is still there).
    """
    if not noticed:
        return result
    return Result(replies=list(noticed))


@tap(Role.YOUNG_PERSON, callbacks.CarryOn)
async def carry_on(ctx: Context, session: AsyncSession, person: Person,
                   _: callbacks.CarryOn) -> Result:
    """"Carry on" on a safety reply: the step they are on now, or the menu. A new message:
    the safety reply (999, Childline) stays as it was."""
    result = await where_you_are(ctx, session, person)
    result.toast = ""
    return result


_KEPT_KINDS = {MediaKind.PHOTO: "photo", MediaKind.VOICE: "voice"}


async def media_answer(ctx: Context, session: AsyncSession, person: Person,
                       media: Media) -> Result:
    """A photo or voice note as an answer, with its caption as their words; the words sent
    with any other file are the answer (the file is not kept); anything else gets a kind word
    and the step. The later items of an album join the answer its first item gave."""
    noticed = await watch(ctx, session, person, media.caption, "caption") if media.caption \
        else []
    run = await repo.current_run(session, person.id, for_update=True)
    result = await _album_item(ctx, session, person, run, media) if media.media_group \
        else None
    if result is None:
        result = await _one_media(ctx, session, person, run, media)
    return watched(noticed, result)


async def _one_media(ctx: Context, session: AsyncSession, person: Person, run: FlowRun | None,
                     media: Media) -> Result:
    """A photo, voice note or other file on its own (or the first item of an album)."""
    say = ctx.locale
    album = media.media_group
    words = (media.caption or "").strip()
    if media.kind not in _KEPT_KINDS:
        if words and run is not None and run.status == RunStatus.ACTIVE:
            # A file sent with words: the words are their answer, the file is not kept.
            action = Action(ActionKind.TEXT, text=words, forwarded=media.forwarded)
            return await _apply(ctx, session, person, run, action, edit=False,
                                lead=_lead(ctx, "file_words_kept", media.forwarded),
                                album=album)
        if album is not None and run is not None \
                and ctx.engine.accepts_media(repo.run_state(run)):
            # A video in an album at a step that takes photos: the album's photos may still
            # answer it. Say once that this kind is not kept; the step stays open for them.
            return await _file_not_kept(ctx, session, person, album, show_step=True)
        _album_told(person, album)
        return await where_you_are(ctx, session, person,
                                   lead=say("album_not_here" if album else "use_buttons"))
    if media.data is None:  # the step is shown again, so they can send it again
        return await where_you_are(ctx, session, person, lead=say(media.why_no_data()))
    if run is None or not ctx.engine.accepts_media(repo.run_state(run)):
        _album_told(person, album)
        return await where_you_are(ctx, session, person,
                                   lead=say("album_not_here" if album else "media_not_here"))
    kind = _KEPT_KINDS[media.kind]
    action = Action(ActionKind.MEDIA, text=media.caption, forwarded=media.forwarded,
                    media=(await _keep_media(session, person, media), kind))
    return await _apply(ctx, session, person, run, action, edit=False,
                        lead=_lead(ctx, f"{kind}_kept", media.forwarded), album=album)


async def _keep_media(session: AsyncSession, person: Person, media: Media) -> int:
    """Store a fetched photo or voice note as the young person's; returns its media id."""
    assert media.data is not None
    kind = _KEPT_KINDS[media.kind]
    return await media_repo.keep(
        session, owner_id=person.id, kind=kind, data=media.data,
        mime_type=media.mime_type or ("image/jpeg" if kind == "photo" else "audio/ogg"),
        telegram_file_id=media.file_id)


async def _file_not_kept(ctx: Context, session: AsyncSession, person: Person, album: str, *,
                         show_step: bool) -> Result:
    """An album item MySay does not keep (a video, a file): said once per album (noted in the
    database, so a restart keeps it), with the step again when nothing of the album has
    answered it yet; later such items of the same album are silent."""
    if (person.pending or {}).get("album_files") == album:
        return Result()
    person.pending = {**(person.pending or {}), "album_files": album}
    if show_step:
        return await where_you_are(ctx, session, person, lead=ctx.locale("album_file_not_kept"))
    return Result().say(ctx.locale("album_file_not_kept"))


def _album_told(person: Person, album: str | None) -> None:
    """An album that answers nothing here: note it (in the database, so a restart keeps it),
    so its other items get no answer of their own."""
    if album is not None:
        person.pending = {**(person.pending or {}), "album": album}


async def _album_item(ctx: Context, session: AsyncSession, person: Person, run: FlowRun | None,
                      media: Media) -> Result | None:
    """A later item of an album (several photos or videos sent at once share a
    media_group_id, and Telegram sends each as its own update, in any order and batch): it
    joins the answer an earlier item gave, silently, or is silent if the young person was
    already told the album does not fit here. None: no item of it was seen yet."""
    if run is not None:
        answers = await repo.answers_of(session, run.id)
        first = next((a for a in answers.values() if a.media_group == media.media_group), None)
        if first is not None:
            return await _join_album(ctx, session, person, run, first, media)
    if (person.pending or {}).get("album") == media.media_group:
        return Result()
    return None


async def _join_album(ctx: Context, session: AsyncSession, person: Person, run: FlowRun,
                      answer: AnswerRecord, media: Media) -> Result:
    """Add one more album item to the answer its first item gave: the photo or voice note, and
    the caption's words (usually on one item only, whichever comes). No new message: the
    first item was acknowledged. Only an item that could not be fetched gets a word."""
    result = Result()
    kept = answer.media
    if media.kind in _KEPT_KINDS and media.data is not None:
        kept = (*kept, (await _keep_media(session, person, media), _KEPT_KINDS[media.kind]))
    elif media.kind in _KEPT_KINDS:
        result.say(ctx.locale(media.why_no_data()))
    elif media.media_group is not None:  # a video among the photos: said once, not kept
        result = await _file_not_kept(ctx, session, person, media.media_group, show_step=False)
    words = answer.own_words
    caption = (media.caption or "").strip()
    if caption:
        words = (f"{words}\n{caption}" if words else caption)[:MAX_OWN_WORDS]
    await repo.put_answer(session, run.id, replace(
        answer, own_words=words, media=kept, forwarded=answer.forwarded or media.forwarded))
    if run.step_id == REVIEW:
        # The review its first item brought no longer shows all of the album: a new run
        # version makes its buttons stale, so Share there shows the review again, whole,
        # instead of sharing what they have not seen.
        await repo.save_state(session, run, repo.run_state(run))
    return result


async def read_aloud(ctx: Context, session: AsyncSession, person: Person,
                     run: FlowRun) -> Result:
    """The question as a voice message: the therapist's own recording if there is one, else
    synthetic speech, else a kind note that no voice is available."""
    screen = await _screen(ctx, session, run)
    words = present.prompt_words(screen, ctx.locale)
    spoken = " ".join([words, *(f"{o.words}." for o in screen.options)])
    therapists = await flow_repo.therapists_of(session, person.id)
    audio = await media_repo.recording(session, therapists, run.flow_id, run.step_id)
    audio = audio or await speech.speak(spoken)
    if audio is None:
        return Result(toast="🔇").say(ctx.locale("no_voice"))
    return Result(toast="🔈").say_reply(
        Reply(words, attachment=Attachment("voice", audio, "question.ogg")))


async def _start_flow(ctx: Context, session: AsyncSession, person: Person, flow_id: str) -> Result:
    assigned = await flow_repo.assignments(session, person.id)
    offered = await _with_outcomes(session, person, _offered(ctx, assigned))
    if flow_id not in ctx.engine.flows or flow_id not in {f.id for f in offered}:
        return await menu(ctx, session, person, lead=ctx.locale("stale_button"))
    current = await repo.current_run(session, person.id, for_update=True)
    if current is not None and current.flow_id == flow_id:
        # A second tap on the same menu button: carry on where they are, don't start again.
        return await _apply(ctx, session, person, current, Action(ActionKind.RESUME), edit=True)
    if current is not None and current.status == RunStatus.ACTIVE:
        await repo.save_state(session, current,
                              replace(repo.run_state(current), status=RunStatus.PAUSED))
    chosen = next((a for a in reversed(assigned) if a.flow_id == flow_id), None)
    options = await run_options(ctx, session, person, ctx.engine.flows[flow_id],
                                dict(chosen.options or {}) if chosen is not None else {})
    state, screen = ctx.engine.start(flow_id, options)
    run = await repo.start_run(session, person.id, state)
    return Result(toast="▶️").say_reply(present.screen_reply(
        screen, run.id, run.version, ctx.locale, edit=True, look=look_of(person),
        about=person.id, page=ctx.settings.mat_page_url))


async def run_options(ctx: Context, session: AsyncSession, person: Person, flow: Flow,
                      options: dict[str, Any]) -> dict[str, Any]:
    """What this run needs besides the flow file: the therapist's choices (`options`: a mat's
    topic and cards), the young person's own picture cards, answers to offer again, and the
    outcomes in their plan for a flow that asks about them."""
    cards = await media_repo.personal_cards(session, person.id)
    if cards:
        options["cards"] = cards
    offered: dict[str, list[str]] = {}
    for step in flow.steps:
        for other_flow, step_ids in (step.offer_from or {}).items():
            picked = await flow_repo.earlier_choices(session, person.id, other_flow, step_ids)
            if picked:
                offered.setdefault(step.id, []).extend(picked)
    if offered:
        options["offered"] = offered
    if flow.asks_outcomes:  # the outcomes as worded now: the answers keep these words
        options["outcomes"] = outcome_repo.as_run_options(
            await outcome_repo.current(session, person.id))
    return options


async def _apply(ctx: Context, session: AsyncSession, person: Person, run: FlowRun,
                 action: Action, *, edit: bool, lead: str | None = None,
                 album: str | None = None,
                 answers: dict[str, AnswerRecord] | None = None,
                 state: RunState | None = None) -> Result:
    """Apply one action to the run, store what it gives and show the next screen. `album`:
    the media_group_id of the album this action's media or words came from, kept on the
    answer so the album's later items join it (_album_item). `answers`: the run's answers
    if the caller has just read them. `state`: where the run is, when the caller has already
    taken earlier steps of one move with the engine (the mat page's "move a card" is several
    engine actions saved once, bot.service.mat_page); else the run as stored."""
    if answers is None:
        answers = await repo.answers_of(session, run.id)
    if state is None:
        state = repo.run_state(run)
    try:
        outcome = ctx.engine.apply(state, answers, action)
    except InvalidAction:
        # Words where this step takes only buttons (the review), or a button it can't take.
        typed_words = action.kind is ActionKind.TEXT
        note = ctx.locale("buttons_here" if typed_words else "stale_button")
        result = _show(ctx, person, run, await _screen(ctx, session, run), lead=note,
                       edit=edit and not typed_words)
        result.toast = None if typed_words else note
        return result
    extra: list[Reply] = []
    if outcome.mat_finished and outcome.answer is not None:
        outcome, picture = await _keep_mat(ctx, session, person, run, outcome)
        extra.append(picture)
    if outcome.answer is not None and album is not None:
        outcome = replace(outcome, answer=replace(outcome.answer, media_group=album))
    if outcome.answer is not None:
        await repo.put_answer(session, run.id, outcome.answer)
        answers = {**answers, outcome.answer.step_id: outcome.answer}
    if outcome.keep_only is not None:
        await repo.drop_answers_except(session, run.id, outcome.keep_only)
        answers = {k: v for k, v in answers.items() if k in outcome.keep_only}
    if outcome.changed:
        await repo.save_state(session, run, outcome.state)
    screen = outcome.screen
    if screen.kind is ScreenKind.FINISHED:
        return await _finished(ctx, session, person, run, outcome, answers, edit=edit)
    look = look_of(person)
    if screen.kind is ScreenKind.PAUSED:
        return Result(toast="⏸️").say_reply(present.screen_reply(
            screen, run.id, run.version, ctx.locale, edit=edit, lead=ctx.locale("paused"),
            look=look, about=person.id, page=ctx.settings.mat_page_url))
    result = Result(toast="")
    result.replies += extra
    shown = present.screen_replies(screen, run.id, run.version, ctx.locale,
                                   edit=edit and not extra, lead=lead, look=look,
                                   about=person.id, page=ctx.settings.mat_page_url)
    if action.kind is ActionKind.TOGGLE:  # a tick: the same question, nothing new to say
        shown = [replace(reply, redraw=True) for reply in shown]
    result.replies += shown
    # With "Read to me" on, the conversation reads this (and every other) screen out loud
    # (bot.service.reading).
    return result


async def _keep_mat(ctx: Context, session: AsyncSession, person: Person, run: FlowRun,
                    outcome: Outcome) -> tuple[Outcome, Reply]:
    """The finished mat is the record: where each card went is kept in the run's options (for
    the summary and for comparing mats over time), and its picture is drawn and kept with the
    answer after this transaction commits (bot.service.drawing): the reply describes it."""
    assert outcome.answer is not None
    view, placed = ctx.engine.finished_mat(outcome.state, outcome.answer.step_id)
    photo_ids = {c.image for column in view.columns for c in column if c.image is not None}
    photos = await media_repo.contents(session, photo_ids)
    run.options = {**(run.options or {}), **placed}
    answer = outcome.answer
    # A reopened mat keeps its first picture; the new one is only shown.
    keep = None if any(kind == "mat" for _, kind in answer.media) else KeepWith(
        person.id, "mat", run.id, answer.step_id)
    picture = MatPicture(view, style_of(person), tuple(sorted(photos.items())))
    caption = with_words(ctx.locale("mat_saved"), picture, ctx.locale("picture_words_below"))
    return outcome, Reply(caption, drawing=Drawing(picture, "mat.jpg", keep))


async def _finished(ctx: Context, session: AsyncSession, person: Person, run: FlowRun,
                    outcome: Outcome, answers: dict[str, AnswerRecord], *, edit: bool) -> Result:
    helped = answers.get(HELPED)
    # Everyone who helped, joined by "," (flow_runs.helped_by, widened by migration 0003).
    run.helped_by = ",".join(helped.choices) if helped and helped.choices else None
    flow = ctx.engine.flows[run.flow_id]
    # The style's words: no celebrating in the grown-up style.
    result = Result(toast=ctx.locale("toast.shared") if outcome.state.shared else "🔒")
    if flow.ends_with == "profile":
        result.replies.append(await _keep_profile(ctx, session, person, run, flow, answers))
    done = await menu(ctx, session, person, lead=ctx.locale(outcome.screen.notice or "kept"),
                      edit=edit and not result.replies)
    result.replies += done.replies
    return result


async def _keep_profile(ctx: Context, session: AsyncSession, person: Person, run: FlowRun,
                        flow: Flow, answers: dict[str, AnswerRecord]) -> Reply:
    """The one-page profile as one picture, with their own photo if they sent one (described
    here, drawn after commit)."""
    state = repo.run_state(run)
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    photo_id: int | None = None
    for step in flow.steps:
        answer = answers.get(step.id)
        if answer is None:
            continue
        if step.type is StepType.PHOTO:
            photo_id = next((m for m, kind in answer.media if kind == "photo"), photo_id)
            continue
        items = [(ctx.engine.card(state, c).emoji or OWN_CARD_MARK, ctx.engine.card(state, c).words)
                 for c in answer.choices]
        if answer.own_words and answer.forwarded:  # never quoted as their own words
            items.append((OWN_WORDS_MARK,
                          f"{answer.own_words} {ctx.locale('answer.forwarded')}"))
        elif answer.own_words:
            items.append((OWN_WORDS_MARK, f"“{answer.own_words}”"))
        if items:
            sections.append((_profile_heading(flow, step, grown_up(person)), items))
    if grown_up(person):  # "What people like about me" once, with the words they added
        sections = _merged(sections)
    photo = (await media_repo.contents(session, [photo_id])).get(photo_id) if photo_id else None
    # Drawn and kept (as the run's `profile_media`) after this transaction commits.
    picture = ProfilePicture(ctx.locale("profile_title"),
                             tuple((heading, tuple(items)) for heading, items in sections),
                             photo, style_of(person))
    caption = with_words(ctx.locale("profile_ready"), picture,
                         ctx.locale("picture_words_below"))
    return Reply(caption, drawing=Drawing(
        picture, "me.jpg", KeepWith(person.id, "profile", run.id)))


def _profile_heading(flow: Flow, step: Step, first_person: bool) -> str:
    """A profile section's heading: the step's question ("What do people like about you?"),
    or, in the grown-up style (`first_person`), the first-person label of the first step
    with the same summary heading ("What people like about me"; issue 15, point 4)."""
    if not first_person:
        return str(step.prompt)
    heading = flow.heading_of(step)[0]
    first = next((s for s in flow.steps if flow.heading_of(s)[0] == heading and s.label), step)
    return str(first.label or step.prompt)


def _merged(sections: list[tuple[str, list[tuple[str, str]]]]
            ) -> list[tuple[str, list[tuple[str, str]]]]:
    """Sections with the same heading as one, in the order the headings first came."""
    merged: dict[str, list[tuple[str, str]]] = {}
    for heading, items in sections:
        merged.setdefault(heading, []).extend(items)
    return list(merged.items())


async def _stale(ctx: Context, session: AsyncSession, person: Person, run: FlowRun,
                 data: callbacks.RunTap) -> Result:
    """A button from an earlier screen. A double tap gets a quiet 'got it'; anything older
    gets a short note and the step they are really on."""
    if data.version == run.version - 1:
        # A double tap, or a tap on a screen whose reply never arrived (the bot was stopped,
        # or Telegram lost it): the tapped message shows where they are. If it already does,
        # Telegram answers "not modified" and nothing changes.
        if run.status == RunStatus.FINISHED:
            result = await menu(ctx, session, person, edit=True)
        else:
            shown = present.screen_replies(
                await _screen(ctx, session, run), run.id, run.version, ctx.locale, edit=True,
                look=look_of(person), about=person.id, page=ctx.settings.mat_page_url)
            # The screen they already have: nothing new to read out (bot.service.reading).
            result = Result(replies=[replace(reply, redraw=True) for reply in shown])
        result.toast = ctx.locale("already_done")
        return result
    return await _from_before(ctx, session, person, run)


async def _from_before(ctx: Context, session: AsyncSession, person: Person,
                       run: FlowRun, *, edit: bool = False) -> Result:
    """A button from an older screen: a short note ("That button is from before") and the
    step they are really on, or the menu if the run is over. `edit`: in the tapped message
    (a button of the screen shown now), not as a new one below (a tap on an older screen)."""
    if run.status != RunStatus.ACTIVE:
        result = await menu(ctx, session, person, edit=edit, lead=ctx.locale("stale_button"))
    else:
        result = _show(ctx, person, run, await _screen(ctx, session, run),
                       lead=ctx.locale("stale_button"), edit=edit)
    result.toast = ctx.locale("stale_button")
    return result


async def _screen(ctx: Context, session: AsyncSession, run: FlowRun) -> Screen:
    return ctx.engine.screen(repo.run_state(run), await repo.answers_of(session, run.id))


def _show(ctx: Context, person: Person, run: FlowRun, screen: Screen,
          lead: str | None = None, edit: bool = False) -> Result:
    """The run's `screen` as replies, under `lead` if given; `edit`: in the tapped message."""
    return Result(replies=present.screen_replies(screen, run.id, run.version, ctx.locale,
                                                 edit=edit, lead=lead, look=look_of(person),
                                                 about=person.id,
                                                 page=ctx.settings.mat_page_url))

