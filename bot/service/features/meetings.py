"""/meeting: the date of a young person's next planning meeting, picked with buttons (or typed),
and the gentle invitations the young person gets in the days before it.

The invitations are a periodic job. It claims each meeting row (Meeting.prepared_at) in its own
transaction before saying anything, so with several bot processes each invitation goes once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.render.cards import Tile
from bot.render.screens import Picture
from bot.service import callbacks, guard, picker, young_person
from bot.service.routes import ROUTES, command, pending, periodic, tap
from bot.service.types import Button, Command, Media, Reply, Result
from bot.store import repo, therapist_repo
from bot.store.models import Meeting, Person, Role
from bot.summary import load, words
from bot.summary.text import run_lines
from bot.timeutil import as_utc, local, local_zone, utcnow

if TYPE_CHECKING:
    from bot.service.conversation import Context

KIND = "meeting_date"
WEEKS = (1, 2, 3, 4, 6, 8)
MAX_AHEAD = timedelta(days=730)
MY_MEETING = "my_meeting"
MAX_SHARE_LINES = 12  # the list picture ends with "...and N more" after this many
_MONTHS = {name: n for n in range(1, 13)
           for name in (date(2000, n, 1).strftime("%B").lower(),
                        date(2000, n, 1).strftime("%b").lower())}
_MONTHS["sept"] = 9


def local_now(ctx: Context, now: datetime) -> datetime:
    """`now` in the service's time zone (bot.timeutil.local)."""
    return local(now, ctx.settings)


# --- the therapist sets the date --------------------------------------------------------------


PICK = picker.purpose("m", "th.pick.m", "🗓️",
                      lambda young_id: callbacks.MeetingTap("p", young_id).pack())


@command(Role.THERAPIST, "meeting")
async def meeting(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return await picker.pick_young_person(ctx, session, person, PICK.letter)


@tap(Role.THERAPIST, callbacks.MeetingTap)
@guard.for_young_person("meeting", lambda data: data.person_id)
async def on_tap(ctx: Context, session: AsyncSession, person: Person,
                 data: callbacks.MeetingTap, young: Person) -> Result:
    say = ctx.locale
    today = local_now(ctx, utcnow()).date()
    if data.op == "w" and data.value in WEEKS:
        return _days_of_week(ctx, young, today, data.value)
    if data.op == "d" and data.value is not None:
        chosen = _from_number(data.value)
        problem = _problem(chosen, today)
        if chosen is None or problem:
            return Result(toast=say("stale_button")).say(say(problem or "th.meeting_bad_date"))
        return await _save(ctx, session, person, young, chosen, today)
    if data.op == "t":
        person.pending = {"kind": KIND, "young_person_id": young.id}
        return Result(toast="✏️").say(say("th.meeting_type", name=young.display_name))
    if data.op == "x":
        cancelled = await therapist_repo.cancel_upcoming(session, young.id, today)
        repo.audit(session, person, "meeting_cancelled", young)
        key = "th.meeting_cancelled" if cancelled else "th.meeting_none"
        return Result(toast="👍").say(say(key, name=young.display_name), edit=True)
    return await _choose(ctx, session, young, today, edit=data.op == "p")


async def _choose(ctx: Context, session: AsyncSession, young: Person, today: date, *,
                  edit: bool) -> Result:
    say = ctx.locale
    upcoming = await therapist_repo.upcoming_meeting(session, young.id, today)
    lead = (say("th.meeting_current", name=young.display_name,
                date=words.weekday(upcoming.held_on)) if upcoming
            else say("th.meeting_unset", name=young.display_name))
    weeks = [Button(say("th.in_weeks", count=n) if n > 1 else say("th.in_a_week"),
                    callbacks.MeetingTap("w", young.id, n).pack()) for n in WEEKS]
    rows = [tuple(weeks[i:i + 2]) for i in range(0, len(weeks), 2)]
    rows.append((Button(say("th.meeting_type_button"),
                        callbacks.MeetingTap("t", young.id).pack()),))
    if upcoming:
        rows.append((Button(say("th.meeting_cancel_button"),
                            callbacks.MeetingTap("x", young.id).pack()),))
    return Result(toast="").say(f"{lead}\n{say('th.meeting_when')}", tuple(rows), edit=edit)


def _days_of_week(ctx: Context, young: Person, today: date, weeks: int) -> Result:
    """Monday to Friday of the week `weeks` from now (weekends are not meeting days)."""
    target = today + timedelta(weeks=weeks)
    monday = target - timedelta(days=target.weekday())
    days = [monday + timedelta(days=n) for n in range(5)]
    buttons = [Button(f"{d:%a} {d.day} {d:%b}", callbacks.MeetingTap("d", young.id,
                                                                      int(f"{d:%Y%m%d}")).pack())
               for d in days if d > today]
    rows = [tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2)]
    rows.append((Button(ctx.locale("control.back"), callbacks.MeetingTap("p", young.id).pack()),))
    return Result(toast="").say(ctx.locale("th.meeting_which_day", name=young.display_name),
                                tuple(rows), edit=True)


def _from_number(value: int) -> date | None:
    try:
        return date(value // 10000, value // 100 % 100, value % 100)
    except ValueError:
        return None


def _problem(chosen: date | None, today: date) -> str | None:
    if chosen is None:
        return "th.meeting_bad_date"
    if chosen < today:
        return "th.meeting_past"
    if chosen - today > MAX_AHEAD:
        return "th.meeting_too_far"
    return None


async def _save(ctx: Context, session: AsyncSession, person: Person, young: Person,
                held_on: date, today: date) -> Result:
    await therapist_repo.set_meeting(session, therapist=person, young_person=young,
                                     held_on=held_on, today=today)
    repo.audit(session, person, "meeting_set", young, detail=f"{held_on:%Y-%m-%d}")
    person.pending = {}
    first = max(invite_days(ctx), default=0)
    return Result(toast="🗓️").say(ctx.locale(
        "th.meeting_saved", name=young.display_name, date=words.weekday(held_on), days=first),
        edit=True)


@pending(KIND)
async def typed_date(ctx: Context, session: AsyncSession, person: Person,
                     payload: str | Media) -> Result:
    say = ctx.locale
    young = await guard.young_person_of(
        ctx, session, person, int((person.pending or {}).get("young_person_id", 0)), "meeting",
        waiting=True)
    if isinstance(young, Result):
        return young
    if isinstance(payload, Media):
        return Result().say(say("th.meeting_type", name=young.display_name))
    today = local_now(ctx, utcnow()).date()
    chosen = parse_date(payload, today)
    problem = _problem(chosen, today)
    if problem or chosen is None:
        return Result().say(say(problem or "th.meeting_bad_date"))
    return await _save(ctx, session, person, young, chosen, today)


def parse_date(text: str, today: date) -> date | None:
    """A typed date, UK order: 14/05/2026, 14-5-26, 2026-05-14, 14 May 2026, 14 May (the next
    one). None when it is not a real date."""
    words_ = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text.strip().lower()).replace(",", " ")
    try:
        if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", words_):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?", words_):
            year = _year(match[3], today)
            return _next(date(year or today.year, int(match[2]), int(match[1])), today, year)
        parts = words_.split()
        if parts and parts[0] in {"mon", "monday", "tue", "tuesday", "wed", "wednesday",
                                  "thu", "thursday", "fri", "friday", "sat", "saturday",
                                  "sun", "sunday"}:
            parts = parts[1:]
        if len(parts) in (2, 3) and parts[0].isdigit() and parts[1] in _MONTHS:
            year = _year(parts[2] if len(parts) == 3 else None, today)
            return _next(date(year or today.year, _MONTHS[parts[1]], int(parts[0])), today, year)
        if len(parts) in (2, 3) and parts[0] in _MONTHS and parts[1].isdigit():
            year = _year(parts[2] if len(parts) == 3 else None, today)
            return _next(date(year or today.year, _MONTHS[parts[0]], int(parts[1])), today, year)
    except ValueError:
        return None
    return None


def _year(text: str | None, today: date) -> int | None:
    if text is None:
        return None
    if not text.isdigit():
        raise ValueError(text)
    return int(text) + (today.year // 100) * 100 if len(text) == 2 else int(text)


def _next(day: date, today: date, year: int | None) -> date:
    """Without a year, the next such day (14 May typed in June means next May)."""
    if year is None and day < today:
        return day.replace(year=day.year + 1)
    return day


# --- the young person is invited to get ready -------------------------------------------------


def invite_days(ctx: Context) -> list[int]:
    """Days before a meeting when the young person is invited to get ready (e.g. 7 and 2)."""
    days = []
    for part in str(ctx.settings.meeting_invite_days).split(","):
        if part.strip().isdigit() and 0 < int(part) <= 60:
            days.append(int(part))
    return sorted(set(days), reverse=True) or [7]


def invite_window(ctx: Context) -> tuple[time, time]:
    start, end = str(ctx.settings.meeting_invite_hours).split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


def due_stage(meeting: Meeting, today: date, stages: list[int], zone: ZoneInfo) -> int | None:
    """The invitation due now (days before the meeting), if it has not gone yet."""
    left = (meeting.held_on - today).days
    passed = [s for s in stages if 0 < left <= s]
    if not passed:
        return None
    stage = min(passed)
    if meeting.prepared_at is not None:
        sent_on = as_utc(meeting.prepared_at).astimezone(zone).date()
        if sent_on >= meeting.held_on - timedelta(days=stage):
            return None
    return stage


@periodic("meeting_invites", 900)
async def invite_to_get_ready(ctx: Context, session: AsyncSession, now: datetime) -> list[Reply]:
    zone = local_zone(ctx.settings)
    here = local(now, ctx.settings)
    start, end = invite_window(ctx)
    if not start <= here.time() < end:  # after school, never at night
        return []
    stages = invite_days(ctx)
    today = here.date()
    replies: list[Reply] = []
    for meeting in await therapist_repo.meetings_between(session, today,
                                                         today + timedelta(days=max(stages))):
        if due_stage(meeting, today, stages, zone) is None:
            continue
        young = await repo.person_by_id(session, meeting.young_person_id)
        if young is None or not young.active or young.role != Role.YOUNG_PERSON:
            continue
        if await therapist_repo.therapist_of(session, young.id) is None:
            continue  # no longer on a caseload: nobody to get ready for
        if not await therapist_repo.claim_meeting(session, meeting, now):
            continue  # another process sent it
        repo.audit(session, None, "meeting_invite_sent", young,
                   detail=f"{(meeting.held_on - today).days} days before")
        offered = {f.id for f in await young_person.flows_for(ctx, session, young)}
        replies.append(invitation(ctx, young, meeting, today, MY_MEETING in offered))
    return replies


def invitation(ctx: Context, young: Person, meeting: Meeting, today: date,
               offer_my_meeting: bool) -> Reply:
    """The gentle invitation: the date as a picture, and what they can do (or not)."""
    say = ctx.locale
    left = (meeting.held_on - today).days
    when = f"{meeting.held_on:%A} {meeting.held_on.day} {meeting.held_on:%B}"
    soon = say("th.ready_tomorrow") if left == 1 else say("th.ready_in_days", count=left)
    picture = Picture(say("th.ready_card_title"), (Tile(when, "🗓️"), Tile(soon, "⏳")))
    rows = []
    if offer_my_meeting:  # only when "My meeting" is one of the things they may do
        rows.append((Button(say("th.ready_my_meeting"), callbacks.StartFlow(MY_MEETING).pack()),))
    rows.append((Button(say("th.ready_see"), callbacks.ReadyTap("s", meeting.id).pack()),))
    rows.append((Button(say("th.ready_not_now"), callbacks.ReadyTap("n", meeting.id).pack()),))
    text = say("th.ready_text", date=when, count=left)
    return Reply(text, tuple(rows), picture=picture, chat_id=young.chat_id,
                 look=young_person.look_of(young), about=young.id)


@tap(Role.YOUNG_PERSON, callbacks.ReadyTap)
async def ready(ctx: Context, session: AsyncSession, person: Person,
                data: callbacks.ReadyTap) -> Result:
    say = ctx.locale
    found = await session.get(Meeting, data.meeting_id)
    if found is None or found.young_person_id != person.id:
        repo.audit(session, person, "refused_meeting", detail=f"meeting {data.meeting_id}")
        return Result(toast=say("not_allowed"))
    if data.op == "n":
        return Result(toast="👍").say(say("th.ready_later"))
    return await what_i_share(ctx, session, person)


async def what_i_share(ctx: Context, session: AsyncSession, person: Person) -> Result:
    """The young person's own shared answers for this meeting, as a list picture: what their
    therapist will see (and how many they kept just for themself)."""
    say = ctx.locale
    try:
        built = await load.summary_for(session, ctx.engine, say, person, person.id, utcnow(),
                                       purpose="get ready")
    except load.NotAllowed:
        return Result(toast=say("not_allowed"))
    lines = run_lines(built, young_only=True)
    change = say("th.share_change") if (Role.YOUNG_PERSON, "mine") in ROUTES.commands else ""
    if not lines:
        text = say("th.share_nothing", private=built.private_count)
        return Result(toast="👀").say("\n".join(p for p in (text, change) if p))
    text = say("th.share_text", count=built.shared_count, private=built.private_count)
    picture = Picture(say("th.share_title"), lines=tuple(lines[:MAX_SHARE_LINES]), as_list=True)
    return Result(toast="👀").say_reply(Reply("\n".join(p for p in (text, change) if p),
                                             picture=picture, look=young_person.look_of(person),
                                             about=person.id))


# --- after the meeting: has it happened? (/yousaid, /agreed) ----------------------------------


NEAR = timedelta(days=1)  # a meeting set for today or tomorrow is marked held without asking
_HAPPENED_REF = re.compile(r"^([my])(\d{1,12})$")


def happened_ref(meeting: Meeting | None, *, confirmed: bool = False) -> str:
    """What a "The meeting has happened" button carries to name its meeting: m<meeting id>
    (m0 when none was set), or y<meeting id> once the therapist said yes to moving it to
    today. Takes the young person's upcoming meeting (or None); returns the ref."""
    return f"{'y' if confirmed else 'm'}{meeting.id if meeting else 0}"


@dataclass(frozen=True)
class Happened:
    """What a tap on "The meeting has happened" came to.

    meeting: the meeting now kept as held today (go on with it), else None: the button no
    longer applies, so the caller shows its current screen under `note`; ask: a question to
    answer first (moving a meeting set for later to today), to show as it is."""

    meeting: Meeting | None = None
    note: str = ""
    ask: Result | None = None


async def held_meeting(ctx: Context, session: AsyncSession, young: Person,
                       button: Callable[[str], str], *, edit: bool,
                       note: str = "") -> Meeting | Result:
    """The young person's newest meeting that has happened (its date has passed, or the
    therapist said it happened: therapist_repo.past_meetings); else a kind explanation (under
    `note`) with the button "The meeting has happened", whose callback data is
    `button(ref)` for the ref naming the upcoming meeting (`happened_ref`; the caller's own
    kind, so the tap comes back to the same feature). Raises nothing."""
    say = ctx.locale
    today = local_now(ctx, utcnow()).date()
    held = await therapist_repo.last_held_meeting(session, young.id, today)
    if held is not None:
        return held
    upcoming = await therapist_repo.upcoming_meeting(session, young.id, today)
    text = (say("mr.not_yet", name=young.display_name, date=words.weekday(upcoming.held_on))
            if upcoming else say("mr.no_meeting", name=young.display_name))
    return Result(toast="").say(
        "\n\n".join(p for p in (note, text) if p),
        ((Button(say("mr.happened_button"), button(happened_ref(upcoming))),),), edit=edit)


async def next_meeting_row(ctx: Context, session: AsyncSession, young: Person,
                           button: Callable[[str], str]
                           ) -> tuple[str, tuple[Button, ...] | None]:
    """When the young person also has a next meeting set (not yet happened), a line saying
    which meeting this is about and the "The meeting has happened" button naming that next
    meeting (callback data `button(ref)`, see `held_meeting`); else ("", None). For /yousaid
    and /agreed, which work on the newest meeting held."""
    today = local_now(ctx, utcnow()).date()
    held = await therapist_repo.last_held_meeting(session, young.id, today)
    upcoming = await therapist_repo.upcoming_meeting(session, young.id, today)
    if held is None or upcoming is None:
        return "", None
    note = ctx.locale("mr.about_held", name=young.display_name,
                      held=words.weekday(held.held_on), next=words.weekday(upcoming.held_on))
    return note, (Button(ctx.locale("mr.happened_button"), button(happened_ref(upcoming))),)


async def meeting_to_close(ctx: Context, session: AsyncSession, person: Person,
                           young: Person, tapped_happened: bool, ref: str | None,
                           button: Callable[[str], str],
                           current: str) -> tuple[Meeting, str] | Result:
    """The meeting a feature that follows a meeting (/yousaid, /agreed) acts on, with a note
    to show above its screen: after "The meeting has happened" (`tapped_happened`, naming the
    meeting by `ref`: it_happened) the meeting kept as held today, else the newest meeting
    held (held_meeting). A Result instead when there is a question to answer first or no
    meeting has happened yet (with the "happened" button, `button(ref)`; `current` is the
    caller's current screen for "No"). The caller has checked `person` may act for `young`
    (bot.service.guard). Raises nothing."""
    note = ""
    if tapped_happened:
        happened = await it_happened(ctx, session, person, young, ref, button, current)
        if happened.ask is not None:
            return happened.ask
        if happened.meeting is not None:
            return happened.meeting, happened.note
        note = happened.note
    found = await held_meeting(ctx, session, young, button, edit=True, note=note)
    return found if isinstance(found, Result) else (found, note)


async def it_happened(ctx: Context, session: AsyncSession, person: Person, young: Person,
                      ref: str | None, button: Callable[[str], str],
                      current: str) -> Happened:
    """The therapist tapped "The meeting has happened" naming a meeting (`ref`, see
    `happened_ref`). Only a meeting still upcoming is kept as held today (audited); one set
    for more than a day ahead only after the therapist says yes (the question's Yes is
    `button(y<id>)`, its No `current`, the caller's current screen). With m0 (no meeting was
    set) a meeting held today is made, only if the young person still has none. A button
    from before (no ref, or a meeting no longer upcoming) changes nothing: Happened with no
    meeting and the words "That button is from before". The caller has checked `person` may
    act for `young` (bot.service.guard). Raises nothing."""
    say = ctx.locale
    now = utcnow()
    today = local_now(ctx, now).date()
    stale = Happened(note=say("stale_button"))
    match = _HAPPENED_REF.match(ref or "")
    if match is None:
        return stale
    meeting: Meeting | None
    if int(match[2]) == 0:
        meeting = await therapist_repo.first_meeting_held_today(
            session, therapist=person, young_person=young, today=today, now=now)
    else:
        found = await therapist_repo.upcoming_meeting(session, young.id, today)
        # Only the next meeting may be said to have happened: a later one, or one already
        # held or cancelled, is not what the button showed any more.
        if found is None or found.id != int(match[2]):
            return stale
        if match[1] == "m" and found.held_on - today > NEAR:
            return Happened(ask=_ask_to_move(ctx, young, found, button, current))
        meeting = await therapist_repo.mark_meeting_happened(
            session, young_person_id=young.id, meeting_id=found.id, today=today, now=now)
    if meeting is None:
        return stale
    repo.audit(session, person, "meeting_happened", young, detail=f"{meeting.held_on:%Y-%m-%d}")
    return Happened(meeting, say("mr.happened", name=young.display_name,
                                 date=words.weekday(meeting.held_on)))


def _ask_to_move(ctx: Context, young: Person, meeting: Meeting, button: Callable[[str], str],
                 current: str) -> Result:
    """"Mark the meeting on {date} as held today?", Yes / No, before a meeting set for later
    is moved to today."""
    say = ctx.locale
    rows = ((Button(say("mr.move_yes"), button(happened_ref(meeting, confirmed=True))),
             Button(say("mr.move_no"), current)),)
    return Result(toast="").say(say("mr.move_ask", name=young.display_name,
                                    date=words.weekday(meeting.held_on)), rows, edit=True)
