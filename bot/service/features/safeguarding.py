"""Safeguarding: "I don't feel safe", worrying words, and alerts that are never left unseen.

The young person always gets the same honest reply at once: it was passed on, a person does
not read messages all the time, when someone will, 999 and Childline. Never a promise of
secrecy. Their therapist and the service's safeguarding contact get an alert with an
Acknowledge button; one nobody acknowledges is sent again, then escalated, by a job.
Matching words only makes sure a person reads them; it decides nothing by itself.

Each time something is passed on it is an alert of its own, with its own button ("ga:<id>",
the wire format buttons have always had): acknowledging one marks that one seen and changes
that message, and any other alert still shows its own button (issue 11, point 7; before, later
words were added to the open alert and its second message shared the first one's button).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.core import RunStatus
from bot.render.cards import Tile
from bot.render.screens import Picture
from bot.safety import access, hours, keywords
from bot.service import callbacks, young_person
from bot.service.routes import command, pending, periodic, tap, watch_words
from bot.service.types import Attachment, Button, Command, Media, MediaKind, Reply, Result
from bot.store import media_repo, privacy_repo, repo
from bot.store.models import Alert, Person, Role
from bot.timeutil import local, local_zone, utcnow

if TYPE_CHECKING:
    from bot.service.conversation import Context

log = logging.getLogger(__name__)

MORE = "safety_more"  # person.pending kind while the young person says more
MAX_ALERT_WORDS = 3000  # what goes into one Telegram message, with room for the rest
JOB = "safeguarding-alerts"


# --- the young person's side -----------------------------------------------------------------


@tap(Role.YOUNG_PERSON, callbacks.Unsafe)
async def unsafe(ctx: Context, session: AsyncSession, person: Person,
                 _: callbacks.Unsafe) -> Result:
    """"I don't feel safe": the alert, and the safety reply as the last thing they are sent
    (issue 15, point 7): no menu after it, so 999 and Childline stay in view until they tap
    "Back to my activities" (or "Carry on where I was" mid-flow)."""
    run = await repo.current_run(session, person.id)
    mid_flow = run is not None and run.status == RunStatus.ACTIVE
    result = await raise_alert(ctx, session, person, source="button", words=None, matched=None,
                               carry_on=mid_flow)
    result.toast = ctx.locale("toast.safety")
    return result


@tap(Role.YOUNG_PERSON, callbacks.SafetyBack)
async def back_to_activities(ctx: Context, session: AsyncSession, person: Person,
                             _: callbacks.SafetyBack) -> Result:
    """"Back to my activities" on a safety reply: the menu, as a new message, so the safety
    reply (999, Childline) stays where it was above it."""
    result = await young_person.menu(ctx, session, person)
    result.toast = ""
    return result


@watch_words
async def worrying_words(ctx: Context, session: AsyncSession, person: Person, words: str,
                         source: str) -> Result | None:
    """Typed words, captions and edited words, checked against the list before the flow sees
    them. Returns the safety reply and the alerts, or None if nothing matched. The young
    person's side sends nothing else after it (bot.service.young_person.watched)."""
    if person.role != Role.YOUNG_PERSON:
        return None
    found = keywords.word_list(ctx.settings.safeguarding_words_file).find(words)
    if not found:
        return None
    matched = ", ".join(dict.fromkeys(
        f"{m.category.replace('_', ' ')}: {m.phrase.replace('*', '')}" for m in found))
    # The safety reply is all they hear (issue 12, point 8): mid-flow it carries the way on.
    run = await repo.current_run(session, person.id)
    mid_flow = run is not None and run.status == RunStatus.ACTIVE
    return await raise_alert(ctx, session, person, source=source, words=words, matched=matched,
                             carry_on=mid_flow)


@tap(Role.YOUNG_PERSON, callbacks.AlertMore)
async def tell_more(ctx: Context, session: AsyncSession, person: Person,
                    data: callbacks.AlertMore) -> Result:
    alert = await privacy_repo.alert_by_id(session, data.alert_id)
    if alert is None or alert.young_person_id != person.id:
        repo.audit(session, person, "refused_alert", detail=f"asked for alert {data.alert_id}")
        result = await young_person.where_you_are(ctx, session, person)
        result.toast = ctx.locale("not_allowed")
        return result
    person.pending = {"kind": MORE, "alert": alert.id}
    return Result(toast="✏️").say(ctx.locale("safety.more_prompt"))


@pending(MORE)
async def more_words(ctx: Context, session: AsyncSession, person: Person,
                     payload: str | Media) -> Result:
    """What the young person adds after "I want to say more": passed on, words or voice."""
    say = ctx.locale
    attachment: Attachment | None = None
    if isinstance(payload, Media):
        if payload.kind not in (MediaKind.VOICE, MediaKind.PHOTO):
            return Result().say(say("safety.more_empty"))
        if payload.data is None:  # still waiting for their words: they can send it again
            return Result().say(say(payload.why_no_data()))
        kind = "voice" if payload.kind is MediaKind.VOICE else "photo"
        media_id = await media_repo.keep(
            session, owner_id=person.id, kind=kind, data=payload.data,
            mime_type=payload.mime_type or ("audio/ogg" if kind == "voice" else "image/jpeg"))
        attachment = Attachment(kind, payload.data, f"{kind}-{media_id}."
                                f"{'ogg' if kind == 'voice' else 'jpg'}")
        words = payload.caption or f"[{kind} {media_id}]"
    else:
        words = payload.strip()
        if not words:
            return Result().say(say("safety.more_empty"))
    person.pending = {}
    run = await repo.current_run(session, person.id)
    result = await raise_alert(ctx, session, person, source="more", words=words, matched=None,
                               attachment=attachment, more=True,
                               carry_on=run is not None and run.status == RunStatus.ACTIVE)
    return result


async def raise_alert(ctx: Context, session: AsyncSession, person: Person, *, source: str,
                      words: str | None, matched: str | None,
                      attachment: Attachment | None = None, more: bool = False,
                      carry_on: bool = False) -> Result:
    """Store the alert (in this update's transaction, so it survives any restart), tell the
    young person at once, and message everyone who must see it. `carry_on` adds a "Carry on"
    button to the young person's reply, for when that reply is all they are sent mid-flow."""
    therapists = await privacy_repo.therapists_of(session, person.id)
    # An earlier one nobody has seen yet: the young person hears "sent ... too". This is still
    # an alert of its own, so its message has its own button and is acknowledged on its own.
    first = await privacy_repo.open_alert(session, person.id) is None
    alert = await privacy_repo.add_alert(
        session, young_person=person, therapist=therapists[0] if therapists else None,
        source=source[:20], words=words, matched=matched)
    repo.audit(session, person, "alert_created", person, detail=f"alert {alert.id} {source}")
    log.warning("safety alert %s raised (%s); waiting for a person to acknowledge it",
                alert.id, source)
    result = Result()
    result.say_reply(_reply_to_young_person(ctx, person, therapists, alert, first=first,
                                            more=more, carry_on=carry_on))
    what = _what(ctx, person, source, words, more=more)
    for reply in await _to_recipients(ctx, session, person, alert, therapists, what,
                                      lead=None, attachment=attachment):
        result.say_reply(reply)
    return result


def _reply_to_young_person(ctx: Context, person: Person, therapists: Sequence[Person],
                           alert: Alert, *, first: bool, more: bool,
                           carry_on: bool = False) -> Reply:
    """Every safety reply ends the same way: nobody reads all the time, when someone will,
    999 and Childline. Never a promise to keep it secret. It is a picture card with 999 and
    Childline large (`safety_card`), the words as its caption, and a way on: "I want to say
    more", with `carry_on` "Carry on where I was" (the step they are on now), and "Back to
    my activities" (issue 15, point 7)."""
    say = ctx.locale
    name = therapists[0].display_name if therapists else None
    helper = say("safety.helper_therapist", name=name) if name else say("safety.helper_service")
    tail = say("safety.tail", when=when_someone_reads(ctx, utcnow(), name))
    buttons: list[tuple[Button, ...]] = []
    if more:
        text = f"{say('safety.more_thanks')}\n{tail}"
    else:
        key = "safety.reply" if first else "safety.reply_again"
        text = f"{say(key, helper=helper)}\n{tail}"
        buttons.append((Button(say("safety.tell_more"), callbacks.AlertMore(alert.id).pack()),))
    if carry_on:
        buttons.append((Button(say("safety.carry_on"), callbacks.CarryOn().pack()),))
    buttons.append((Button(say("safety.back"), callbacks.SafetyBack().pack()),))
    return Reply(text, tuple(buttons), picture=safety_card(ctx), look=young_person.look_of(person))


def safety_card(ctx: Context) -> Picture:
    """The safety reply's picture: 999 and Childline's number as large tiles. Locale words
    only, the same for everyone, so its upload is re-used for all (Picture.shared)."""
    say = ctx.locale
    return Picture(say("safety.card_title"),
                   (Tile(say("safety.card_999"), "🚨"), Tile(say("safety.card_childline"), "☎️")),
                   footer=say("safety.card_footer"), shared=True)


def when_someone_reads(ctx: Context, now: datetime, name: str | None) -> str:
    """'Sam should read it tomorrow, after 9am.' from the service's working hours."""
    say = ctx.locale
    settings = ctx.settings
    work = hours.working_time(settings.working_days, settings.working_hours,
                              local_zone(settings))
    nxt = hours.next_read(now, work)
    who = name or say("safety.who_service")
    return say(f"safety.when.{nxt.kind.value}", who=who, start=hours.clock(nxt.start),
               end=hours.clock(nxt.end), day=say(f"day.{hours.DAYS[nxt.day]}"))


def _what(ctx: Context, person: Person, source: str, words: str | None, *, more: bool) -> str:
    say = ctx.locale
    name = person.display_name
    if words is None:
        return say("alert.what_button", name=name)
    shown = words if len(words) <= MAX_ALERT_WORDS else words[:MAX_ALERT_WORDS] + "…"
    if more:
        return say("alert.what_more", name=name, words=shown)
    if source == "caption":
        return say("alert.what_caption", name=name, words=shown)
    return say("alert.what_words", name=name, words=shown)


# --- the people who must see it --------------------------------------------------------------


async def recipients(ctx: Context, session: AsyncSession,
                     therapists: Sequence[Person]) -> list[Person]:
    """The young person's therapists and the safeguarding contact, each once."""
    people = list(therapists)
    contact = await privacy_repo.safeguarding_contact(session, ctx.settings.safeguarding_contact)
    if contact is not None and contact.id not in {p.id for p in people}:
        people.append(contact)
    return people


async def _to_recipients(ctx: Context, session: AsyncSession, young: Person, alert: Alert,
                         therapists: Sequence[Person], what: str, *, lead: str | None,
                         attachment: Attachment | None = None,
                         only: Sequence[Person] | None = None) -> list[Reply]:
    say = ctx.locale
    people = list(only) if only is not None else await recipients(ctx, session, therapists)
    if not people:
        log.error("safety alert %s has nobody to go to: set MYSAY_SAFEGUARDING_CONTACT",
                  alert.id)
        return []
    text = alert_text(ctx, young, alert, therapists, what)
    if lead:
        text = f"{lead}\n\n{text}"
    button = ((Button(say("alert.ack_button"), callbacks.AlertAck(alert.id).pack()),),)
    replies = []
    for person in people:
        replies.append(Reply(text, button, chat_id=person.chat_id))
        if attachment is not None:
            replies.append(Reply(say("alert.what_voice", name=young.display_name),
                                 attachment=attachment, chat_id=person.chat_id))
    return replies


def alert_text(ctx: Context, young: Person, alert: Alert, therapists: Sequence[Person],
               what: str) -> str:
    say = ctx.locale
    lines = [say("alert.new", name=young.display_name, what=what,
                 time=_local(ctx, alert.created_at))]
    if alert.matched:
        lines.append(say("alert.matched", matched=alert.matched))
    lines.append(say("alert.therapist", names=", ".join(t.display_name for t in therapists))
                 if therapists else say("alert.no_therapist"))
    return "\n".join(lines)


def _local(ctx: Context, when: datetime) -> str:
    return local(when, ctx.settings).strftime("%a %d %b %Y, %H:%M")


# --- acknowledging ---------------------------------------------------------------------------


@tap(Role.THERAPIST, callbacks.AlertAck)
@tap(Role.ADMIN, callbacks.AlertAck)
async def acknowledge(ctx: Context, session: AsyncSession, person: Person,
                      data: callbacks.AlertAck) -> Result:
    say = ctx.locale
    alert = await privacy_repo.alert_by_id(session, data.alert_id)
    young = None if alert is None else await access.responsible_for(
        session, person, alert.young_person_id,
        safeguarding_contact=ctx.settings.safeguarding_contact)
    if alert is None or young is None:
        repo.audit(session, person, "refused_alert", detail=f"asked for alert {data.alert_id}")
        return Result(toast=say("not_allowed")).say(say("not_allowed"))
    if alert.acknowledged_at is not None:
        return await _seen_already(ctx, session, young, alert)
    alert.acknowledged_at, alert.acknowledged_by_id = utcnow(), person.id
    repo.audit(session, person, "alert_acknowledged", young, detail=f"alert {alert.id}")
    log.info("safety alert %s acknowledged", alert.id)
    therapists = await privacy_repo.therapists_of(session, young.id)
    result = Result(toast="✅")
    result.say(_seen_text(ctx, young, alert, therapists, person), edit=True)
    for other in await recipients(ctx, session, therapists):
        if other.id != person.id:
            result.say_reply(Reply(say("alert.acked_other", who=person.display_name,
                                       name=young.display_name), chat_id=other.chat_id))
    theirs = young_person.in_their_words(ctx, young).locale  # in the young person's style
    told = (theirs("safety.seen_by", who=person.display_name) if person.role == Role.THERAPIST
            else theirs("safety.seen_by_service"))
    result.say_reply(Reply(told, chat_id=young.chat_id))
    return result


def _seen_text(ctx: Context, young: Person, alert: Alert, therapists: Sequence[Person],
               seen_by: Person | None) -> str:
    """An acknowledged alert's message: what it was about, then who saw it and when."""
    say = ctx.locale
    what = _what(ctx, young, alert.source, alert.words, more=alert.source == "more")
    who = seen_by.display_name if seen_by else say("mydata.someone")
    seen = say("alert.acked", who=who, time=_local(ctx, alert.acknowledged_at or utcnow()))
    return f"{alert_text(ctx, young, alert, therapists, what)}\n\n{seen}"


async def _seen_already(ctx: Context, session: AsyncSession, young: Person,
                        alert: Alert) -> Result:
    """A tap on an alert someone has already acknowledged (a double tap, another recipient's
    copy, or the first message of one that was sent again): said kindly, and the tapped
    message shows who saw it instead of a button that no longer does anything."""
    who = await repo.person_by_id(session, alert.acknowledged_by_id or 0)
    therapists = await privacy_repo.therapists_of(session, young.id)
    name = who.display_name if who else ctx.locale("mydata.someone")
    return Result(toast=ctx.locale("alert.acked_already", who=name)).say(
        _seen_text(ctx, young, alert, therapists, who), edit=True)


# --- reminders and escalation ----------------------------------------------------------------


@periodic(JOB, 60)
async def remind(ctx: Context, session: AsyncSession, now: datetime) -> list[Reply]:
    """Alerts nobody acknowledged: after one wait, sent again; after two, escalated to the
    safeguarding contact; after that, sent again each wait until someone acknowledges."""
    minutes = ctx.settings.alert_ack_minutes
    replies: list[Reply] = []
    for alert in await privacy_repo.alerts_due(session, now, timedelta(minutes=minutes)):
        young = await repo.person_by_id(session, alert.young_person_id or 0)
        if young is None:
            continue
        replies += await _remind_one(ctx, session, alert, young, now, minutes)
    return replies


async def _remind_one(ctx: Context, session: AsyncSession, alert: Alert, young: Person,
                      now: datetime, minutes: int) -> list[Reply]:
    say = ctx.locale
    therapists = await privacy_repo.therapists_of(session, young.id)
    what = _what(ctx, young, alert.source, alert.words, more=alert.source == "more")
    escalate = alert.reminded_at is not None and alert.escalated_at is None
    alert.reminded_at = now  # claimed: another process will not send this one again now
    if not escalate:
        log.warning("safety alert %s not acknowledged; sending it again", alert.id)
        return await _to_recipients(ctx, session, young, alert, therapists, what,
                                    lead=say("alert.reminder"))
    alert.escalated_at = now
    log.error("safety alert %s not acknowledged after %s minutes; escalating", alert.id,
              2 * minutes)
    contact = await privacy_repo.safeguarding_contact(session, ctx.settings.safeguarding_contact)
    admins = [] if contact is not None else list(await privacy_repo.admins(session))
    everyone = await recipients(ctx, session, therapists) + admins
    return await _to_recipients(ctx, session, young, alert, therapists, what,
                                lead=say("alert.escalated", minutes=2 * minutes),
                                only=everyone)


# --- the safeguarding contact as a MySay person ----------------------------------------------


@command(Role.ADMIN, "help", "start")
async def admin_help(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return Result().say(ctx.locale("admin_help"))
