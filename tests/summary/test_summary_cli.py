"""The summary and the export from the command line, run as real processes on a database seeded
with a made-up young person (bot/summary/demo.py)."""

from __future__ import annotations

import io
import json
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from docx import Document
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from bot.store import crypto, repo
from bot.store.db import Database
from bot.store.models import AuditEntry
from bot.summary import demo
from bot.timeutil import utcnow
from tests.conftest import DATA_KEY
from tests.test_cli import run_cli

BASE = 7_100_000_000


@pytest.fixture
async def seeded(database_url: str) -> AsyncIterator[tuple[Database, demo.Seeded]]:
    crypto.activate(crypto.Keyring.from_string(DATA_KEY))
    db = Database(database_url)
    await db.upgrade()
    async with db.transaction() as session:
        made = await demo.seed_young_person(session, utcnow(), telegram_base=BASE, weeks=30,
                                            photos=4, mats=2)
        other = await repo.add_person(session, telegram_user_id=BASE + 50, chat_id=BASE + 50,
                                      role="therapist", display_name="Kim Example",
                                      consented=True)
        assert other.id
    yield db, made
    await db.dispose()


def cli(database_url: str, tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli(*args, tmp_path=tmp_path, DATABASE_URL=database_url)


async def test_summary_as_pdf_picture_and_text_by_telegram_id(
        seeded: tuple[Database, demo.Seeded], database_url: str, tmp_path: Path) -> None:
    db, made = seeded
    result = cli(database_url, tmp_path, "summary", "--young-person", str(BASE + 1),
                 "--out", "jo.pdf", "--png", "jo.png", "--text", "jo.txt")
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / "jo.pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    recent = [w for w in made.shared_words if w.endswith(("week 0)", "week 1)", "week 2)"))]
    assert recent and all(f"“{w}”" in text for w in recent)
    assert not any(w in text for w in made.private_words)
    assert "Since the last meeting" in text and "Compared with the time before" in text
    assert "Ann Example's view (parent or carer)" in text
    with Image.open(tmp_path / "jo.png") as picture:
        assert picture.format == "PNG" and picture.width == 1080
    words = (tmp_path / "jo.txt").read_text()
    assert "Section A draft" in words and all(f"“{w}”" in words for w in recent)
    for name in ("jo.pdf", "jo.png", "jo.txt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    async with db.transaction() as session:
        rows = (await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "read_summary"))).all()
    assert [(r.actor_id, r.subject_id, r.detail) for r in rows] == [
        (made.therapist.id, made.young_person.id, "command line")]


async def test_summary_text_to_the_screen_by_mysay_id(
        seeded: tuple[Database, demo.Seeded], database_url: str, tmp_path: Path) -> None:
    _, made = seeded
    result = cli(database_url, tmp_path, "summary", "--young-person",
                 str(made.young_person.id), "--text")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Jo Example's views")
    assert "Quote: “" in result.stdout and "Summarised: " in result.stdout


async def test_kind_refusals(seeded: tuple[Database, demo.Seeded], database_url: str,
                             tmp_path: Path) -> None:
    assert seeded[1].young_person.telegram_user_id == BASE + 1
    cases = [
        (("summary", "--young-person", "424242", "--out", "x.pdf"), "No young person"),
        (("summary", "--young-person", str(BASE + 1)), "Say what to make"),
        (("summary", "--young-person", str(BASE + 1), "--therapist", str(BASE + 50),
          "--out", "x.pdf"), "may not read"),
        (("summary", "--young-person", str(BASE + 1), "--therapist", "99", "--out", "x.pdf"),
         "No therapist"),
        (("export", "--young-person", str(BASE + 2)), "No young person"),  # the supporter
    ]
    for args, words in cases:
        result = cli(database_url, tmp_path, *args)
        assert result.returncode == 2, args
        assert words in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "x.pdf").exists()


async def test_export_json_with_media_beside_it(seeded: tuple[Database, demo.Seeded],
                                                database_url: str, tmp_path: Path) -> None:
    db, made = seeded
    result = cli(database_url, tmp_path, "export", "--young-person", str(BASE + 1),
                 "--format", "json", "--out", "out")
    assert result.returncode == 0, result.stderr
    folder = next((tmp_path / "out").iterdir())
    data = json.loads((folder / "export.json").read_text())
    assert data["format"] == "mysay-export-1"
    assert data["young_person"] == {"mysay_id": made.young_person.id,
                                    "telegram_user_id": BASE + 1, "name": "Jo Example"}
    said = [a["own_words"] for r in data["runs"] for a in r["answers"] if a["own_words"]]
    assert set(made.shared_words) <= set(said)
    assert not set(made.private_words) & set(said)
    assert data["private_flows"] == len(made.private_words)
    assert {r["by"]["role"] for r in data["runs"]} == {"young_person", "supporter"}
    media = [m for r in data["runs"] for a in r["answers"] for m in a["media"]]
    assert {m["kind"] for m in media} == {"photo", "mat"}
    assert len(media) == made.photos + made.mats
    for item in media:
        content = (folder / item["file"]).read_bytes()
        with Image.open(io.BytesIO(content)) as picture:
            # Photos as they arrived, mats as drawn (bot.render.cards.shapes.encode): JPEG,
            # named for what they are.
            assert picture.format == "JPEG" and item["file"].endswith(".jpg")
    mats = [a["mat"] for r in data["runs"] for a in r["answers"] if a["step_id"] == "mat"]
    assert len(mats) == made.mats  # each with where every card went, in the order placed
    for mat in mats:
        points = [p["id"] for p in mat["scale"]]
        assert mat["cards"] and all(c["placed"] in points for c in mat["cards"])
    assert data["you_said"][0]["listened"] == "a_bit"
    async with db.transaction() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert "export" in actions


async def test_admin_people_lists_both_ids(seeded: tuple[Database, demo.Seeded],
                                           database_url: str, tmp_path: Path) -> None:
    _, made = seeded
    result = cli(database_url, tmp_path, "admin", "people")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "Jo Example" in line)
    assert line.split()[:3] == [str(made.young_person.id), str(BASE + 1), "young_person"]


async def test_section_a_as_a_word_document_next_to_the_pdf_or_on_its_own(
        seeded: tuple[Database, demo.Seeded], database_url: str, tmp_path: Path) -> None:
    _, made = seeded
    result = cli(database_url, tmp_path, "summary", "--young-person", str(BASE + 1),
                 "--out", "out/jo.pdf", "--docx")
    assert result.returncode == 0, result.stderr
    beside = tmp_path / "out" / "jo-section-a.docx"
    assert stat.S_IMODE(beside.stat().st_mode) == 0o600
    paragraphs = [p.text for p in Document(str(beside)).paragraphs]
    assert paragraphs[0] == "Section A: Jo Example's views, interests and aspirations (draft)"
    assert "Ann Example, parent or carer: their view" in paragraphs
    recent = [w for w in made.shared_words if w.endswith("week 0)")]
    assert recent and all(f"“{w}” (Jo Example's own words)" in paragraphs for w in recent)
    assert not any(w in " ".join(paragraphs) for w in made.private_words)
    alone = cli(database_url, tmp_path, "summary", "--young-person", str(BASE + 1),
                "--docx", "sa.docx")
    assert alone.returncode == 0, alone.stderr
    assert (tmp_path / "sa.docx").exists() and not (tmp_path / "jo.pdf").exists()
