"""/assign: a therapist chooses what a young person gets (and a Talking Mat's topic and cards).

The choices in progress live in the therapist's `pending` (the database), so a restart or a
second bot process changes nothing; "save" replaces the young person's assignments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.flows import Flow, Step, StepType
from bot.service import callbacks, guard, picker
from bot.service.routes import command, tap
from bot.service.types import Button, Command, Keyboard, Reply, Result
from bot.store import flow_repo, repo
from bot.store.models import Person, Role

if TYPE_CHECKING:
    from bot.service.conversation import Context

KIND = "assign"


def _young_flows(ctx: Context) -> list[Flow]:
    return [f for f in ctx.engine.flows.values() if f.audience == "young_person"]


def _mat_step(flow: Flow) -> Step | None:
    return next((s for s in flow.steps if s.type is StepType.MAT), None)


# Page buttons "pk:a:<page>"; a young person's button is today's "as:p:<id>".
PICK = picker.purpose("a", "assign.pick_person", "🗂️",
                      lambda young_id: callbacks.assign_tap("p", young_id))


@command(Role.THERAPIST, "assign")
async def pick_young_person(ctx: Context, session: AsyncSession, person: Person,
                            _: Command) -> Result:
    """Whom to set things up for: the shared picker, a page at a time."""
    return await picker.pick_young_person(ctx, session, person, PICK.letter)


@tap(Role.THERAPIST, callbacks.AssignTap)
@guard.for_young_person("assign", lambda data: data.person_id)
async def on_tap(ctx: Context, session: AsyncSession, person: Person,
                 data: callbacks.AssignTap, young: Person) -> Result:
    draft = dict(person.pending or {})
    if data.op == "p" or draft.get("kind") != KIND or draft.get("young") != young.id:
        draft = await _fresh_draft(session, young)
    flows = _young_flows(ctx)
    if data.op == "f" and data.index is not None and data.index < len(flows):
        chosen = set(draft["flows"]) ^ {flows[data.index].id}
        draft["flows"] = [f.id for f in flows if f.id in chosen]
    elif data.op == "d":
        mat_flow = next((f for f in flows if f.id in draft["flows"] and _mat_step(f)), None)
        if mat_flow is not None:
            person.pending = {**draft, "stage": "topic"}
            return Result(toast="👍").say_reply(_topic_reply(ctx, young, mat_flow))
        return await _save(ctx, session, person, young, draft)
    elif data.op in ("t", "c"):
        return await _mat_choice(ctx, session, person, young, draft, data)
    elif data.op == "s":
        return await _save(ctx, session, person, young, draft)
    person.pending = draft
    return Result(toast="").say(ctx.locale("assign.pick_flows", name=young.display_name),
                                _flow_buttons(ctx, young, draft), edit=data.op == "f")


async def _fresh_draft(session: AsyncSession, young: Person) -> dict[str, Any]:
    current = await flow_repo.assignments(session, young.id)
    mat = next((a.options.get("mat") for a in current if a.options.get("mat")), None)
    return {"kind": KIND, "young": young.id, "flows": [a.flow_id for a in current],
            "mat": mat or {}}


def _flow_buttons(ctx: Context, young: Person, draft: dict[str, Any]) -> Keyboard:
    rows = []
    for i, flow in enumerate(_young_flows(ctx)):
        mark = "✅" if flow.id in draft["flows"] else ctx.engine.vocabulary[flow.symbol].emoji
        rows.append((Button(f"{mark} {flow.title}", callbacks.assign_tap("f", young.id, i)),))
    rows.append((Button(ctx.locale("control.done"), callbacks.assign_tap("d", young.id)),))
    return tuple(rows)


def _topic_reply(ctx: Context, young: Person, flow: Flow) -> Reply:
    step = _mat_step(flow)
    assert step is not None
    topics = list(step.topics) or [step.topic]
    rows = tuple((Button(f"{ctx.engine.vocabulary[t].emoji} {ctx.engine.vocabulary[t].words}",
                         callbacks.assign_tap("t", young.id, i)),)
                 for i, t in enumerate(topics))
    return Reply(ctx.locale("assign.pick_topic"), rows)


async def _mat_choice(ctx: Context, session: AsyncSession, person: Person, young: Person,
                      draft: dict[str, Any], data: callbacks.AssignTap) -> Result:
    flow = next((f for f in _young_flows(ctx) if _mat_step(f)), None)
    step = _mat_step(flow) if flow else None
    if step is None or data.index is None:
        return Result(toast=ctx.locale("not_allowed"))
    topics = list(step.topics) or [str(step.topic)]
    mat = dict(draft.get("mat") or {})
    if data.op == "t":
        if data.index >= len(topics):
            return Result(toast=ctx.locale("not_allowed"))
        topic = topics[data.index]
        mat = {"topic": topic, "cards": list(step.topics.get(topic, step.choices))}
    else:
        offered = step.topics.get(mat.get("topic", ""), step.choices)
        if data.index >= len(offered):
            return Result(toast=ctx.locale("not_allowed"))
        chosen = set(mat.get("cards", [])) ^ {offered[data.index]}
        mat["cards"] = [c for c in offered if c in chosen]
    draft = {**draft, "mat": mat}
    person.pending = draft
    offered = step.topics.get(mat["topic"], step.choices)
    rows = [(Button(f"{'✅' if c in mat['cards'] else ctx.engine.vocabulary[c].emoji} "
                    f"{ctx.engine.vocabulary[c].words}", callbacks.assign_tap("c", young.id, i)),)
            for i, c in enumerate(offered)]
    rows.append((Button(ctx.locale("assign.save"), callbacks.assign_tap("s", young.id)),))
    return Result(toast="").say(ctx.locale("assign.pick_cards"), tuple(rows), edit=True)


async def _save(ctx: Context, session: AsyncSession, person: Person, young: Person,
                draft: dict[str, Any]) -> Result:
    mat = draft.get("mat") or {}
    if mat and len(mat.get("cards", [])) < 2:
        return Result(toast=ctx.locale("assign.two_cards"))
    chosen = {f: ({"mat": mat} if mat and _mat_step(ctx.engine.flows[f]) else {})
              for f in draft["flows"] if f in ctx.engine.flows}
    await flow_repo.assign(session, young_person_id=young.id, assigned_by_id=person.id,
                           flows=chosen)
    person.pending = {}
    repo.audit(session, person, "assigned_flows", young, ",".join(chosen))
    titles = ", ".join(ctx.engine.flows[f].title for f in chosen) or ctx.locale("assign.none")
    return Result(toast="✅").say(ctx.locale("assign.saved", name=young.display_name,
                                             flows=titles), edit=True)
