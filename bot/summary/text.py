"""What a young person shared, as plain text for the therapist, newest first."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.core import FlowEngine
from bot.i18n import Locale
from bot.store import repo
from bot.store.models import FlowRun, Person
from bot.timeutil import as_utc

# Telegram allows 4096 characters a message; leave room for safety.
CHUNK = 3800


async def shared_answers(engine: FlowEngine, locale: Locale, session: AsyncSession,
                         young_person: Person, runs: Sequence[FlowRun]) -> list[str]:
    """Only runs the young person chose to share reach here (the caller passes shared runs)."""
    blocks = [locale("summary_title", name=young_person.display_name)]
    for run in runs:
        if not run.shared:
            continue
        flow = engine.flows.get(run.flow_id)
        title = flow.title if flow else run.flow_id
        when = as_utc(run.shared_at or run.updated_at).strftime("%d %b %Y")
        lines = [locale("summary_flow", title=title, date=when)]
        if flow is not None:
            answers = await repo.answers_of(session, run.id)
            path = tuple(run.state.get("history", ())) if run.state else ()
            for line in engine.review_lines(flow.id, path, answers):
                lines.append(f"{line.emoji} {line.question} → {line.answer}")
        blocks.append("\n".join(lines))
    return _chunks(blocks)


def _chunks(blocks: list[str]) -> list[str]:
    chunks: list[str] = []
    current = ""
    for block in blocks:
        while len(block) > CHUNK:  # one very long answer: cut it on a line if possible
            cut = block.rfind("\n", 0, CHUNK)
            cut = cut if cut > 0 else CHUNK
            chunks.append(block[:cut])
            block = block[cut:].lstrip("\n")
        if current and len(current) + len(block) + 2 > CHUNK:
            chunks.append(current)
            current = block
        else:
            current = f"{current}\n\n{block}" if current else block
    if current:
        chunks.append(current)
    return chunks
