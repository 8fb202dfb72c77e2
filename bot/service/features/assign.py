"""/assign: a therapist chooses what a young person gets (and a Talking Mat's topic and cards).

The choices in progress live in the therapist's `pending` (the database), so a restart or a
second bot process changes nothing; "save" replaces the young person's assignments.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.flows import Flow, Step, StepType
from bot.engine.vocabulary import labelled
from bot.service import callbacks, guard, picker
from bot.service.present import ticked
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
                      lambda young_id: callbacks.AssignTap("p", young_id).pack())


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
    # A flow by its id; an old "f" button named it by position (before issue 13), which a new
    # flow file may have shifted: it toggles nothing, the list as it is now is shown again.
    picked = callbacks.ref_index(data.ref, [f.id for f in flows]) if data.op == "F" else None
    if picked is not None:
        chosen = set(draft["flows"]) ^ {flows[picked].id}
        draft["flows"] = [f.id for f in flows if f.id in chosen]
    elif data.op == "d":
        mat_flow = next((f for f in flows if f.id in draft["flows"] and _mat_step(f)), None)
        if mat_flow is not None:
            person.pending = {**draft, "stage": "topic"}
            return Result(toast="👍").say_reply(_topic_reply(ctx, young, mat_flow))
        return await _save(ctx, session, person, young, draft)
    elif data.op in ("t", "c", "T", "C"):
        return await _mat_choice(ctx, session, person, young, draft, data)
    elif data.op == "s":
        return await _save(ctx, session, person, young, draft)
    person.pending = draft
    old = data.op in ("f", "F") and picked is None
    return Result(toast=ctx.locale("stale_button") if old else "").say(
        ctx.locale("assign.pick_flows", name=young.display_name),
        _flow_buttons(ctx, young, draft), edit=data.op in ("f", "F"))


async def _fresh_draft(session: AsyncSession, young: Person) -> dict[str, Any]:
    current = await flow_repo.assignments(session, young.id)
    mat = next((a.options.get("mat") for a in current if a.options.get("mat")), None)
    return {"kind": KIND, "young": young.id, "flows": [a.flow_id for a in current],
            "mat": mat or {}}


def _flow_buttons(ctx: Context, young: Person, draft: dict[str, Any]) -> Keyboard:
    rows = []
    for flow in _young_flows(ctx):
        label = labelled(ctx.engine.vocabulary[flow.symbol].emoji, flow.title)
        data = callbacks.AssignTap("F", young.id, ref=callbacks.short_ref(flow.id)).pack()
        rows.append((Button(ticked(label, flow.id in draft["flows"]), data),))
    rows.append((Button(ctx.locale("control.done"), callbacks.AssignTap("d", young.id).pack()),))
    return tuple(rows)


def _topic_reply(ctx: Context, young: Person, flow: Flow) -> Reply:
    step = _mat_step(flow)
    assert step is not None
    topics = list(step.topics) or [step.topic]
    rows = tuple((Button(labelled(ctx.engine.vocabulary[t].emoji, ctx.engine.vocabulary[t].words),
                         callbacks.AssignTap("T", young.id, ref=callbacks.short_ref(t)).pack()),)
                 for t in topics)
    return Reply(ctx.locale("assign.pick_topic"), rows)


async def _mat_choice(ctx: Context, session: AsyncSession, person: Person, young: Person,
                      draft: dict[str, Any], data: callbacks.AssignTap) -> Result:
    flow = next((f for f in _young_flows(ctx) if _mat_step(f)), None)
    step = _mat_step(flow) if flow else None
    if flow is None or step is None:
        return Result(toast=ctx.locale("not_allowed"))
    topics = list(step.topics) or [str(step.topic)]
    mat = dict(draft.get("mat") or {})
    # A topic or card by its id; an old "t" or "c" button named it by position (before issue
    # 13): it changes nothing, and the list as it is now is shown again.
    old = ctx.locale("stale_button")
    if data.op in ("t", "T"):
        index = callbacks.ref_index(data.ref, topics)
        if index is None:
            return Result(toast=old).say_reply(replace(_topic_reply(ctx, young, flow), edit=True))
        topic = topics[index]
        mat = {"topic": topic, "cards": list(step.topics.get(topic, step.choices))}
    else:
        offered = step.topics.get(mat.get("topic", ""), step.choices)
        index = callbacks.ref_index(data.ref, offered)
        if index is not None:
            chosen = set(mat.get("cards", [])) ^ {offered[index]}
            mat["cards"] = [c for c in offered if c in chosen]
    draft = {**draft, "mat": mat}
    person.pending = draft
    offered = step.topics.get(mat.get("topic", ""), step.choices)
    rows = [(Button(ticked(labelled(ctx.engine.vocabulary[c].emoji, ctx.engine.vocabulary[c].words),
                           c in mat.get("cards", [])),
                    callbacks.AssignTap("C", young.id, ref=callbacks.short_ref(c)).pack()),)
            for c in offered]
    rows.append((Button(ctx.locale("assign.save"), callbacks.AssignTap("s", young.id).pack()),))
    return Result(toast=old if index is None else "").say(
        ctx.locale("assign.pick_cards"), tuple(rows), edit=True)


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
