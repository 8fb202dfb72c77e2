"""How long /caseload takes for a therapist with 200 young people (target: under 1 second).

Each young person has a year of flows (some shared, some private), meetings, a "you said" and
earlier summary reads, so every column of the caseload has something to count.

Run from the repository root:
    .venv/bin/python bench/caseload.py [--people 200] [--runs 5] [--database-url ...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


async def seed(db: object, people: int, flows_each: int) -> object:
    from bot.store import repo
    from bot.store.models import FlowRun, Meeting, YouSaid
    from bot.timeutil import utcnow

    now = utcnow()
    base = 8_500_000_000 + uuid.uuid4().int % 1_000_000 * 1000
    async with db.transaction() as session:  # type: ignore[attr-defined]
        therapist = await repo.add_person(session, telegram_user_id=base, chat_id=base,
                                          role="therapist", display_name="Sam Example",
                                          consented=True)
        for n in range(people):
            young = await repo.add_person(session, telegram_user_id=base + 1 + n,
                                          chat_id=base + 1 + n, role="young_person",
                                          display_name=f"Young Person {n:03d}", consented=True)
            await repo.link(session, therapist, young)
            for week in range(flows_each):
                when = now - timedelta(days=7 * week + n % 7)
                session.add(FlowRun(person_id=young.id, flow_id="check_in", step_id="_review",
                                    status="finished", state={}, version=5,
                                    shared=week % 4 != 0, shared_at=when, started_at=when,
                                    updated_at=when, finished_at=when))
            session.add(Meeting(young_person_id=young.id, therapist_id=therapist.id,
                                held_on=(now - timedelta(days=90 + n % 30)).date()))
            session.add(Meeting(young_person_id=young.id, therapist_id=therapist.id,
                                held_on=(now + timedelta(days=5 + n % 60)).date()))
            session.add(YouSaid(young_person_id=young.id, therapist_id=therapist.id,
                                items="[]", sent_at=now - timedelta(days=80),
                                listened=("yes", "a_bit", "no", None)[n % 4]))
            if n % 3 == 0:
                repo.audit(session, therapist, "read_summary", young, "bench")
        await session.flush()
        return therapist


async def main(people: int, runs: int, database_url: str | None) -> None:
    from cryptography.fernet import Fernet

    from bot.config import Settings
    from bot.service import therapist as therapist_side
    from bot.service.conversation import Context
    from bot.services import load_content
    from bot.store import crypto
    from bot.store.db import Database

    content = load_content()
    crypto.activate(crypto.Keyring([Fernet.generate_key()]))
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        db = Database(url)
        await db.upgrade()
        started = time.perf_counter()
        sam = await seed(db, people, 52)
        print(f"seeded {people} young people with 52 flows each in "
              f"{time.perf_counter() - started:.1f} s "
              f"({'PostgreSQL' if database_url else 'SQLite'})")

        async def no_username(_session: object) -> str | None:
            return None

        ctx = Context(content.engine, content.locale, Settings(_env_file=None), no_username)
        timings = []
        for _ in range(runs):
            first = time.perf_counter()
            async with db.transaction() as session:
                result = await therapist_side.caseload_page(ctx, session, sam, 0)  # type: ignore[arg-type]
            timings.append(time.perf_counter() - first)
        await db.dispose()
    print(result.replies[0].text.splitlines()[0], f"({len(result.replies[0].text)} characters,"
          f" {len(result.replies[0].buttons)} button rows)")
    print(f"/caseload: first {timings[0]:.3f} s, median {statistics.median(timings):.3f} s")
    print(f"Target: under 1 s. Median is {'under' if statistics.median(timings) < 1 else 'OVER'}"
          " it.")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    asyncio.run(main(max(1, args.people), max(1, args.runs), args.database_url))
