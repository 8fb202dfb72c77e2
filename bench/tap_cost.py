"""CPU per update in MySay's own layers (conversation and database), without Telegram or HTTP.

    .venv/bin/python bench/tap_cost.py [--taps 600] [--people 1 20]

Each young person (one, then twenty at once) goes round the Good day / Bad day check-in (the
menu, "Good", "Friend", "Done", a typed sentence, "Share") through `Conversation.handle`, each
update in its own transaction with its update id claimed, as bot/telegram/handlers.py does.
Prints CPU and wall milliseconds per update for SQLite and (when it answers) PostgreSQL; for
PostgreSQL the server's own work is not counted. A quick check while working on
bench/throughput.py's figures, which include everything else.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402

from bench.throughput import ROUND, WORDS, database, postgres_answers  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.service.types import Command, Result, Sender, Tap, Text  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.store import crypto, repo  # noqa: E402
from bot.store.models import InvitationKind, Role  # noqa: E402


def button(result: Result, label: str) -> str:
    for reply in reversed(result.replies):
        for row in reply.buttons:
            for b in row:
                if label in b.label:
                    return b.data
    raise SystemExit(f"no button {label!r} in {[r.text for r in result.replies]}")


async def measure(kind: str, taps: int, people: int = 1) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="mysay-tapcost-") as folder:
        async with database(kind, Path(folder)) as url:
            key = Fernet.generate_key().decode()
            settings = Settings(telegram_bot_token="1:not-a-real-token", database_url=url,
                                data_keys=key, data_dir=Path(folder))
            services = build_services(settings)
            crypto.activate(crypto.Keyring.from_string(key))
            await services.db.upgrade()
            updates = itertools.count(1)

            async def send(sender: Sender, event: object) -> Result:
                async with services.db.transaction() as session:
                    assert await repo.claim_update(session, next(updates))
                    return await services.conversation.handle(session, sender, event)

            async with services.db.transaction() as session:
                therapist = await repo.add_person(
                    session, telegram_user_id=7_000_000, chat_id=7_000_000,
                    role=Role.THERAPIST, display_name="Sam", consented=True)
                codes = [await repo.create_invitation(
                    session, kind=InvitationKind.YOUNG_PERSON, days=14, created_by=therapist,
                    label="Jo") for _ in range(people)]
            senders = [Sender(7_000_001 + i, 7_000_001 + i, "Jo") for i in range(people)]
            results = {}
            for sender, code in zip(senders, codes, strict=True):
                result = await send(sender, Command("start", (code,)))
                results[sender] = await send(sender, Tap(button(result, "Yes")))
            done = 0

            async def person(sender: Sender) -> None:
                nonlocal done
                result = results[sender]
                while done < taps:
                    for label in ROUND:
                        event = Text(WORDS) if label is None else Tap(button(result, label))
                        result = await send(sender, event)
                        done += 1

            cpu, wall = time.process_time(), time.perf_counter()
            await asyncio.gather(*(person(s) for s in senders))
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            await services.close()
            return cpu * 1000 / done, wall * 1000 / done


async def main(taps: int, people: list[int]) -> None:
    kinds = ["sqlite"] + (["postgres"] if await postgres_answers() else [])
    print("people  database    CPU ms/update  wall ms/update")
    for count in people:
        for kind in kinds:
            cpu, wall = await measure(kind, taps, count)
            print(f"{count:>6}  {kind:<10}  {cpu:>13.2f}  {wall:>14.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--taps", type=int, default=600)
    parser.add_argument("--people", type=int, nargs="+", default=[1, 20],
                        help="young people tapping at once")
    options = parser.parse_args()
    asyncio.run(main(options.taps, options.people))
