"""What `python -m bot admin rotate-key`, `admin alerts` and `admin deletions` do
(bot/cli.py calls these)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.safety import erase, rotation
from bot.services import ready_database
from bot.store import crypto, privacy_repo, repo
from bot.store.crypto import Keyring
from bot.store.models import Alert, Person
from bot.timeutil import as_utc, utcnow

Say = Callable[[str], None]


async def rotate_key(settings: Settings, say: Say = print) -> int:
    """Re-encrypt everything with the first data key, and report what was done.

    Returns 0 when every value opens with the first key alone, else 1. Raises DataSetupError
    (before any key is added) if the keys given do not open the data (bot/store/keycheck.py)."""
    db = await ready_database(settings)
    try:
        keyring = _rotation_keyring(settings, say)
        report = await rotation.rotate_all(db, keyring)
        for column, count in report.counts.items():
            say(f"  {column:<28} {count:>8}")
        say(f"Re-encrypted {report.total} values with the first key.")
        left = await rotation.unreadable_with(db, Keyring([keyring.primary]))
        async with db.transaction() as session:
            repo.audit(session, None, "rotated_data_key",
                       detail=f"{report.total} values; {len(report.unreadable)} unreadable")
    finally:
        await db.dispose()
    if report.unreadable:
        say(f"{len(report.unreadable)} values could not be read with any key and were left "
            "as they are (changed on disk, or a key is missing):")
        for where in report.unreadable:
            say(f"  {where}")
        return 1
    if left:
        say(f"{len(left)} values still need an older key.")
        return 1
    say("Every value now opens with the first key alone. Keep older keys only while backups "
        "made with them still matter.")
    return 0


def _rotation_keyring(settings: Settings, say: Say) -> Keyring:
    """The keys to rotate with: MYSAY_DATA_KEYS as given, or the key file with a new key put in
    front of it (and made the active keyring)."""
    if settings.data_keys is None:
        keyring = rotation.add_key_to_file(settings.ensure_data_dir())
        crypto.activate(keyring)  # whatever is written from here on uses the new key
        say("Added a new data key in front of the key file. The old key stays in the file, "
            "so older backups can still be read.")
        return keyring
    if len(settings.data_keys.get_secret_value().split(",")) == 1:
        say("MYSAY_DATA_KEYS has one key: values are re-encrypted with that same key. "
            "To change key, put a new one first (python -m bot admin new-key).")
    return crypto.active_keyring()


def _status(alert: Alert, people: dict[int, Person]) -> str:
    if alert.acknowledged_at is not None:
        who = people.get(alert.acknowledged_by_id or 0)
        return f"seen {as_utc(alert.acknowledged_at):%Y-%m-%d %H:%M} by " \
               f"{who.display_name if who else 'someone since removed'}"
    parts = ["OPEN"]
    if alert.reminded_at is not None:
        parts.append(f"last sent {as_utc(alert.reminded_at):%H:%M}")
    if alert.escalated_at is not None:
        parts.append(f"escalated {as_utc(alert.escalated_at):%Y-%m-%d %H:%M}")
    return ", ".join(parts)


async def list_alerts(settings: Settings, *, only_open: bool, words: bool,
                      say: Say = print) -> int:
    """Every safety alert, newest first. The young person's words only with --words."""
    db = await ready_database(settings)
    try:
        async with db.transaction() as session:
            alerts = await privacy_repo.all_alerts(session, only_open=only_open)
            people = await privacy_repo.people_named_in(
                session, [i for a in alerts
                          for i in (a.young_person_id, a.therapist_id, a.acknowledged_by_id)])
            say(f"{'alert':>5}  {'raised (UTC)':<16}  {'young person':<24}  {'source':<8} status")
            for alert in alerts:
                young = people.get(alert.young_person_id or 0)
                who = f"#{young.id} {young.display_name}" if young else "(erased)"
                say(f"{alert.id:>5}  {as_utc(alert.created_at):%Y-%m-%d %H:%M}  {who:<24}  "
                    f"{alert.source:<8} {_status(alert, people)}")
                if alert.matched:
                    say(f"{'':>7}noticed: {alert.matched}")
                if words and alert.words:
                    say(f"{'':>7}words: {alert.words}")
            if not alerts:
                say("No safety alerts." if not only_open else "No open safety alerts.")
            repo.audit(session, None, "listed_alerts",
                       detail=f"{len(alerts)} alerts{', with words' if words else ''}")
    finally:
        await db.dispose()
    return 0


async def deletions(settings: Settings, *, confirm: int | None = None, say: Say = print) -> int:
    """Deletion requests, newest first; `confirm` erases the young person of one open request
    (for a service admin when no therapist can, or again after restoring a backup)."""
    db = await ready_database(settings)
    try:
        async with db.transaction() as session:
            if confirm is not None:
                return await _confirm(session, confirm, say)
            requests = await privacy_repo.all_deletions(session)
            people = await privacy_repo.people_named_in(
                session, [r.young_person_id for r in requests])
            say(f"{'request':>7}  {'asked (UTC)':<16}  {'young person':<24}  decision")
            for request in requests:
                young = people.get(request.young_person_id or 0)
                who = f"#{young.id} {young.display_name}" if young else "(erased)"
                decided = request.decision or "WAITING"
                say(f"{request.id:>7}  {as_utc(request.requested_at):%Y-%m-%d %H:%M}  "
                    f"{who:<24}  {decided}")
            if not requests:
                say("No deletion requests.")
    finally:
        await erase.settled()  # the SQLite checkpoint after an erasure
        await db.dispose()
    return 0


async def _confirm(session: AsyncSession, request_id: int, say: Say) -> int:
    request = await privacy_repo.deletion_by_id(session, request_id)
    young = None if request is None else await repo.person_by_id(
        session, request.young_person_id or 0)
    if request is None or young is None:
        say(f"Request {request_id}: nobody to erase (unknown request, or already erased).")
        return 1
    if await erase.blocking_alert(session, young.id) is not None:
        say(f"Request {request_id}: {young.display_name} has a safety alert nobody has "
            "acknowledged. See to it first (admin alerts --open).")
        return 1
    request.decision, request.decided_at = "confirmed", utcnow()
    erased = await erase.erase_young_person(session, young)
    repo.audit(session, None, "deletion_confirmed", detail=f"request {request_id}: {erased}")
    say(f"Request {request_id}: erased ({erased}).")
    return 0
