"""Does this process hold the keys to this database, and may it write there? (issue 11, point 2)

A wrong but well-formed data key opens the database without complaint: the first value read
fails later, inside a reply ("Sorry, something went wrong") or the retention job. So a small
known value, the canary, is kept encrypted in the facts table (app_state) and decrypted
before anything else runs. The canary is written the first time a database is checked: for a
database made before the canary existed, only if its newest encrypted values open with the
keys given (otherwise it would bless the wrong key). Key rotation re-encrypts it with the
rest (bot/safety/rotation.py), and an older key still listed keeps opening it, as it keeps
opening everything else.
"""

from __future__ import annotations

from sqlalchemy import LargeBinary, inspect, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import repo
from bot.store.crypto import DataKeyError, Keyring
from bot.store.db import Database
from bot.store.models import AppState, Person, encrypted_columns

CANARY_FACT = "data_key_canary"
# What the canary holds once decrypted. Not a secret: it only proves the key.
CANARY_PLAINTEXT = b"MySay data key check"


async def check(db: Database, keyring: Keyring) -> None:
    """Check that `keyring` opens the data in `db` (migrated already) and that `db` takes a
    write, writing the canary if the database has none yet.

    Raises DataKeyError if the keys do not open the canary (or, with no canary yet, the newest
    stored values); the driver's error (sqlalchemy.exc.DBAPIError) if the database cannot be
    written."""
    async with db.transaction() as session:
        stored = await repo.get_fact(session, CANARY_FACT)
        if stored is None:
            await _existing_values_open(session, keyring)
            await repo.set_fact(session, CANARY_FACT, keyring.encrypt(CANARY_PLAINTEXT).decode())
        else:
            _open_canary(keyring, stored)
            # A real write, so a database this process may only read fails here, not at the
            # first young person's answer (SQLite opens a read-only file without a word).
            await session.execute(update(AppState).where(AppState.key == CANARY_FACT)
                                  .values(value=AppState.value))


async def check_before_upgrade(db: Database, keyring: Keyring) -> None:
    """Before migrations run: some encrypt values already stored (0002 encrypts Telegram file
    ids), and under a wrong key they would write values no right key opens, beside values only
    the right key opens. So the keys must open what is there first: the canary if there is
    one, else the newest person's name (encrypted since the first migration). A new, empty
    database passes. Raises DataKeyError."""
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    if AppState.__tablename__ not in tables:
        return  # nothing stored yet
    async with db.transaction() as session:
        stored = await repo.get_fact(session, CANARY_FACT)
        if stored is not None:
            _open_canary(keyring, stored)
            return
        name = await session.scalar(select(type_coerce(Person.display_name, LargeBinary))
                                    .order_by(Person.id.desc()).limit(1))
        if name is not None:
            keyring.decrypt(bytes(name))


async def rotate_canary(session: AsyncSession, keyring: Keyring) -> None:
    """Re-encrypt the canary (if there is one) with the keyring's primary key, as rotation
    does every value. Raises DataKeyError if no key opens it; it is then left as it is."""
    stored = await repo.get_fact(session, CANARY_FACT)
    if stored is not None:
        await repo.set_fact(session, CANARY_FACT, keyring.rotate(stored.encode()).decode())


def _open_canary(keyring: Keyring, stored: str) -> None:
    if keyring.decrypt(stored.encode()) != CANARY_PLAINTEXT:
        raise DataKeyError("The data key check value holds something else.")


async def _existing_values_open(session: AsyncSession, keyring: Keyring) -> None:
    # The newest value of each encrypted column: written with the key in use most recently,
    # and one per column keeps the first start of a large database quick.
    for table, column in encrypted_columns():
        pk = next(iter(table.primary_key.columns))
        raw = await session.scalar(select(type_coerce(column, LargeBinary))
                                   .where(column.isnot(None)).order_by(pk.desc()).limit(1))
        if raw is not None:
            keyring.decrypt(bytes(raw))
