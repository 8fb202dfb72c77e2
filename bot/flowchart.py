"""A Mermaid diagram of each flow's steps and branches, for a reader of docs/flows/.

`python -m bot flowchart` writes docs/flows/<flow id>.md from the flow files (and an index,
docs/flows/README.md); tests/test_flowchart.py fails when a committed file is not what the
flow files make today. The diagram is drawn from the flow as the engine loads it, so a
`repeat:` block shows as its rounds (one box each) and `continue` as the step it goes to.

What the engine adds after the last step is drawn too (bot/engine/core.py): "Who helped you
answer?" (unless the flow sets `ask_who_helped: false`), then the review, where the young
person shares, keeps it private, or changes an answer and comes back. Back, Stop, Skip and
"I don't know" are on every question and are not drawn: a skipped choice goes where
"otherwise" goes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from bot.engine.flows import END, Flow, Step, StepType

GENERATED_NOTE = ("Made from the flow file by `python -m bot flowchart` "
                  "(tests/test_flowchart.py checks it is current): do not edit it by hand.")

# Node names for what the engine adds around the flow's own steps.
# ("e_": the engine's; not "x_" or "o_", which Mermaid can read as an arrow's end.)
START, HELPED, REVIEW, CHANGE, SHARED, KEPT = ("e_start", "e_helped", "e_review", "e_change",
                                               "e_shared", "e_kept")
PROMPT_SHOWN = 60  # characters of a prompt in a box; the flow file has the rest


def node_id(step_id: str) -> str:
    """A step's Mermaid node name: prefixed, so no step id can be a Mermaid word (`end`)."""
    return f"s_{step_id}"


def _text(words: str) -> str:
    """Words safe inside a quoted Mermaid label."""
    short = words if len(words) <= PROMPT_SHOWN else words[:PROMPT_SHOWN - 1].rstrip() + "…"
    return short.replace("\"", "#quot;").replace("\n", " ")


def _branches(step: Step) -> bool:
    return isinstance(step.next, dict) and any(k != "default" for k in step.next)


def _box(step: Step) -> str:
    """One step: its id and type over its prompt; a diamond where the choice decides the way,
    a slanted box for own words or a photo, a double box for a Talking Mat."""
    label = f"\"{step.id} · {step.type.value}<br/>{_text(step.prompt)}\""
    if _branches(step):
        return f"{node_id(step.id)}{{{label}}}"
    if step.type in (StepType.TEXT, StepType.PHOTO):
        return f"{node_id(step.id)}[/{label}/]"
    if step.type is StepType.MAT:
        return f"{node_id(step.id)}[[{label}]]"
    return f"{node_id(step.id)}[{label}]"


def _target(flow: Flow, step_id: str) -> str:
    """Where a step id (or END) is drawn: END goes on to "Who helped" or the review."""
    if step_id == END:
        return HELPED if flow.ask_who_helped else REVIEW
    return node_id(step_id)


def _edges(flow: Flow, step: Step) -> list[str]:
    """The arrows out of one step: one per way the choice can go (choices that go the same
    way share an arrow), then "otherwise" for the default way (a skip, or any other choice)."""
    if not _branches(step):
        return [f"  {node_id(step.id)} --> {_target(flow, flow.default_next(step))}"]
    assert isinstance(step.next, dict)
    by_target: dict[str, list[str]] = {}
    for choice, target in step.next.items():
        if choice != "default":
            by_target.setdefault(target, []).append(choice)
    lines = [f"  {node_id(step.id)} -->|\"{', '.join(choices)}\"| {_target(flow, target)}"
             for target, choices in by_target.items()]
    lines.append(f"  {node_id(step.id)} -->|otherwise| "
                 f"{_target(flow, flow.default_next(step))}")
    return lines


def _rounds(steps: Iterable[Step]) -> list[tuple[str | None, list[Step]]]:
    """Steps in file order, grouped into runs of one `repeat:` round (None: not in a round)."""
    groups: list[tuple[str | None, list[Step]]] = []
    for step in steps:
        if groups and step.round is not None and groups[-1][0] == step.round:
            groups[-1][1].append(step)
        else:
            groups.append((step.round, [step]))
    return groups


def mermaid(flow: Flow) -> str:
    """The flow as a Mermaid `flowchart` (top to bottom), without the ``` fence."""
    lines = ["flowchart TD", f"  {START}([\"Start: {_text(flow.title)}\"])",
             f"  {START} --> {node_id(flow.steps[0].id)}"]
    for round_item, steps in _rounds(flow.steps):
        indent = "  "
        if round_item is not None:
            lines.append(f"  subgraph round_{round_item}[\"repeat: {round_item}\"]")
            indent = "    "
        lines += [indent + _box(step) for step in steps]
        if round_item is not None:
            lines.append("  end")
    for step in flow.steps:
        lines += _edges(flow, step)
    if flow.ask_who_helped:
        lines += [f"  {HELPED}[\"Who helped you answer?\"]", f"  {HELPED} --> {REVIEW}"]
    lines += [f"  {REVIEW}{{{{\"Review: this is what you told me\"}}}}",
              f"  {REVIEW} -->|Share| {SHARED}([\"Finished: shared\"])",
              f"  {REVIEW} -->|Keep| {KEPT}([\"Finished: kept private\"])",
              f"  {REVIEW} -->|Change| {CHANGE}[\"Which answer to change\"]",
              f"  {CHANGE} -.->|\"that step again, then back\"| {REVIEW}"]
    return "\n".join(lines)


def page(flow: Flow) -> str:
    """docs/flows/<flow id>.md: a short heading, what the flow is, and its diagram."""
    facts = [f"`flows/{flow.id}.yaml`", f"for the {flow.audience.replace('_', ' ')}",
             f"{flow.part_count} parts"]
    if flow.ends_with:
        facts.append(f"ends with a {flow.ends_with} picture")
    return "\n".join([
        f"# {flow.title} (`{flow.id}`)", "",
        f"{flow.description} ({', '.join(facts)}.)", "",
        GENERATED_NOTE, "",
        "```mermaid", mermaid(flow), "```", ""])


def index(flows: Mapping[str, Flow]) -> str:
    """docs/flows/README.md: one line per flow, linking its diagram."""
    lines = ["# The flows, as diagrams", "",
             "Each page shows one flow's steps and branches, then what the engine adds: "
             "\"Who helped you answer?\" and the review. " + GENERATED_NOTE, ""]
    lines += [f"- [{flow.title}]({flow.id}.md): {flow.description}"
              for flow in sorted(flows.values(), key=lambda f: f.id)]
    return "\n".join(lines) + "\n"


def pages(flows: Mapping[str, Flow]) -> dict[str, str]:
    """Every file of docs/flows/ by name: one page per flow, and the index."""
    made = {f"{flow_id}.md": page(flow) for flow_id, flow in sorted(flows.items())}
    made["README.md"] = index(flows)
    return made


def differences(folder: Path, flows: Mapping[str, Flow]) -> list[str]:
    """Names of files in `folder` that are missing, stale, or left from a flow that is gone."""
    wanted = pages(flows)
    present = {p.name for p in folder.glob("*.md")} if folder.is_dir() else set()
    stale = [name for name, text in wanted.items()
             if name not in present or (folder / name).read_text(encoding="utf-8") != text]
    return sorted(stale + [name for name in present if name not in wanted])


def write(folder: Path, flows: Mapping[str, Flow]) -> list[str]:
    """Write docs/flows/ afresh (pages of flows that are gone are deleted); returns the names
    of the files that changed."""
    changed = differences(folder, flows)
    folder.mkdir(parents=True, exist_ok=True)
    wanted = pages(flows)
    for name in changed:
        if name in wanted:
            (folder / name).write_text(wanted[name], encoding="utf-8")
        else:
            (folder / name).unlink()
    return changed
