"""How long the pre-meeting summary takes for a young person with a year of weekly flows
(about 300 answers, 5 Talking Mats, 20 photos): read from the database, build, draw the PDF and
the picture. The target is under 2 seconds in all.

Run from the repository root:
    .venv/bin/python bench/summary.py [--runs 5] [--database-url postgresql+asyncpg://...]

Without --database-url it uses a new SQLite file in a temporary folder. With --save FOLDER it
also writes the last PDF and picture there (the README's sample page is the PDF's page 2:
`pdftoppm -f 2 -l 2 -r 70 -png FOLDER/summary.pdf /tmp/page`, then copy it to
docs/images/summary-page.png). The first run is
"cold" (fonts and the PDF library load then); the rest are warm (a bot that is running).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


async def main(runs: int, database_url: str | None, save: Path | None = None) -> None:
    started = time.perf_counter()
    from cryptography.fernet import Fernet

    from bot.services import load_content
    from bot.store import crypto
    from bot.store.db import Database
    from bot.summary import demo, load
    from bot.summary.pdf import render_pdf
    from bot.summary.picture import render_picture
    from bot.timeutil import utcnow

    content = load_content()
    print(f"import and load content: {time.perf_counter() - started:.2f} s")
    crypto.activate(crypto.Keyring([Fernet.generate_key()]))
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        db = Database(url)
        await db.upgrade()
        now = utcnow()
        base = 8_000_000_000 + uuid.uuid4().int % 1_000_000 * 10
        async with db.transaction() as session:
            seeded = await demo.seed_young_person(session, now, telegram_base=base)
        print(f"seeded: {seeded.answers} answers, {seeded.photos} photos, {seeded.mats} mats "
              f"({'PostgreSQL' if database_url else 'SQLite'})")
        timings: dict[str, list[float]] = {"read and build": [], "PDF": [], "picture": [],
                                           "total": []}
        pages = 0
        for _ in range(runs):
            first = time.perf_counter()
            async with db.transaction() as session:
                built = await load.summary_for(session, content.engine, content.locale,
                                               seeded.therapist, seeded.young_person.id, now,
                                               purpose="bench")
            second = time.perf_counter()
            pdf = render_pdf(built, content.locale)
            third = time.perf_counter()
            png = render_picture(built, content.locale, "JPEG")
            fourth = time.perf_counter()
            timings["read and build"].append(second - first)
            timings["PDF"].append(third - second)
            timings["picture"].append(fourth - third)
            timings["total"].append(fourth - first)
            pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
        await db.dispose()
    if save is not None:
        await asyncio.to_thread(_save, save, pdf, png)
    print(f"PDF: {len(pdf) // 1024} KB, about {pages} pages; picture (JPEG, as sent to "
          f"Telegram): {len(png) // 1024} KB")
    for name, values in timings.items():
        warm = values[1:] or values
        print(f"{name:>15}: cold {values[0]:.3f} s, warm median {statistics.median(warm):.3f} s")
    verdict = "under" if statistics.median(timings["total"][1:] or timings["total"]) < 2 else \
        "OVER"
    print(f"Target: under 2 s. Warm total is {verdict} it.")


def _save(folder: Path, pdf: bytes, picture: bytes) -> None:
    """Write the PDF and the picture into `folder` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.pdf").write_bytes(pdf)
    (folder / "summary.jpg").write_bytes(picture)
    print(f"saved {folder / 'summary.pdf'} and {folder / 'summary.jpg'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--save", type=Path, default=None,
                        help="write the last PDF and picture into this folder")
    args = parser.parse_args()
    asyncio.run(main(max(1, args.runs), args.database_url, args.save))
