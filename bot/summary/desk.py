"""The summary and the export from the command line, for a therapist at a desk:

    python -m bot summary --young-person ID --out FILE.pdf [--png FILE.png] [--text FILE|-]
                          [--docx [FILE.docx]]
    python -m bot export --young-person ID --format json [--out FOLDER]

ID is the young person's Telegram user id or MySay's own id for them (`admin people` lists
both). `--docx` writes Section A on its own as a Word document, for a local authority's
template: to FILE.docx, or without a name next to the PDF (jo.pdf -> jo-section-a.docx), or
here. The read is made as their therapist (or `--therapist ID`), through the same access check
and audit log as in Telegram.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.services import load_content, ready_database
from bot.store import therapist_repo
from bot.store.models import Person
from bot.summary import load
from bot.summary.docx import section_a_docx
from bot.summary.export import export_for
from bot.summary.pdf import render_pdf
from bot.summary.picture import render_picture
from bot.summary.text import full_text
from bot.timeutil import as_utc, utcnow


class DeskError(Exception):
    """A problem the person at the desk can fix; printed as one sentence."""


async def _young_person(session: AsyncSession, ident: int) -> Person:
    found = await therapist_repo.find_young_person(session, ident)
    if not found:
        raise DeskError(f"No young person has the id {ident}. "
                        "`python -m bot admin people` lists everyone.")
    if len(found) > 1:
        ids = ", ".join(f"MySay id {p.id}" for p in found)
        raise DeskError(f"{ident} fits more than one young person ({ids}). "
                        "Please use the MySay id.")
    return found[0]


async def _viewer(session: AsyncSession, young: Person, ident: int | None) -> Person:
    if ident is None:
        helper = await therapist_repo.therapist_of(session, young.id)
        if helper is None:
            raise DeskError("This young person is on nobody's caseload, so there is no "
                            "therapist to read it as. Use --therapist ID.")
        return helper
    helper = await therapist_repo.find_therapist(session, ident)
    if helper is None:
        raise DeskError(f"No therapist has the id {ident}.")
    return helper


async def summary(settings: Settings, args: argparse.Namespace) -> int:
    if not (args.out or args.png or args.text or args.docx is not None):
        print("Say what to make: --out FILE.pdf, --png FILE.png, --text (FILE, or - for "
              "the screen) or --docx (FILE.docx: Section A as a Word document).",
              file=sys.stderr)
        return 2
    content = load_content(settings.flows_dir, settings.symbols_dir)
    db = await ready_database(settings)
    try:
        async with db.transaction() as session:
            young = await _young_person(session, args.young_person)
            viewer = await _viewer(session, young, args.therapist)
            built = await load.summary_for(session, content.engine, content.locale, viewer,
                                           young.id, utcnow(), purpose="command line")
    except DeskError as problem:
        print(problem, file=sys.stderr)
        return 2
    except load.NotAllowed:
        print("That therapist may not read this young person's summary.", file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    locale = content.locale
    if args.out:
        _write(Path(args.out), render_pdf(built, locale))
    if args.png:
        _write(Path(args.png), render_picture(built, locale))
    if args.docx is not None:
        _write(docx_path(args.docx, args.out, young.id, as_utc(built.made_at).date()),
               section_a_docx(built, locale))
    if args.text:
        words = full_text(built, locale)
        if args.text == "-":
            sys.stdout.write(words)
        else:
            _write(Path(args.text), words.encode("utf-8"))
    return 0


def docx_path(asked: str, pdf: str | None, young_id: int, made: date) -> Path:
    """Where `--docx` writes: the name given; else next to the PDF (jo.pdf ->
    jo-section-a.docx); else mysay-section-a-<MySay id>-<date>.docx here."""
    if asked:
        return Path(asked)
    if pdf:
        return Path(pdf).with_name(f"{Path(pdf).stem}-section-a.docx")
    return Path(f"mysay-section-a-{young_id}-{made:%Y-%m-%d}.docx")


def _write(path: Path, data: bytes) -> None:
    """Summaries hold a child's words: only the owner of the file may read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)
    print(f"Wrote {path}", file=sys.stderr)


async def export(settings: Settings, args: argparse.Namespace) -> int:
    content = load_content(settings.flows_dir, settings.symbols_dir)
    db = await ready_database(settings)
    now = utcnow()
    try:
        async with db.transaction() as session:
            young = await _young_person(session, args.young_person)
            viewer = await _viewer(session, young, args.therapist)
            made = await export_for(session, content.engine, viewer, young.id, now)
    except DeskError as problem:
        print(problem, file=sys.stderr)
        return 2
    except load.NotAllowed:
        print("That therapist may not export this young person's answers.", file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    folder = Path(args.out) / f"mysay-export-{young.id}-{as_utc(now):%Y-%m-%d}"
    target = made.write(folder)
    print(f"Wrote {target} and {len(made.files)} media files beside it.", file=sys.stderr)
    return 0
