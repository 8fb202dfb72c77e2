"""A photo step offers no "I don't know" (issue 15, point 9): it asks for a picture to be sent,
and "I don't know" does not answer that. Skip, Back (after the first question), Read it to me
and Stop stay. Every photo step of every flow in flows/, through the real engine and the
buttons bot.service.present makes."""

from __future__ import annotations

import pytest

from bot.engine.core import FlowEngine, RunState
from bot.engine.flows import StepType
from bot.engine.screen import Control, ScreenKind
from bot.service import present
from bot.services import load_content

CONTENT = load_content()
ENGINE: FlowEngine = CONTENT.engine
PHOTO_STEPS = [(flow.id, step.id) for flow in ENGINE.flows.values() for step in flow.steps
               if step.type is StepType.PHOTO]


def test_the_shipped_flows_have_a_photo_step() -> None:
    assert PHOTO_STEPS


@pytest.mark.parametrize(("flow_id", "step_id"), PHOTO_STEPS)
@pytest.mark.parametrize("first", [True, False])
def test_a_photo_step_offers_skip_but_not_i_dont_know(flow_id: str, step_id: str,
                                                      first: bool) -> None:
    flow = ENGINE.flows[flow_id]
    history = () if first else (flow.steps[0].id,)
    state = RunState(flow_id, step_id, history=history)
    screen = ENGINE.screen(state, {})
    assert screen.kind is ScreenKind.PHOTO
    assert Control.DONT_KNOW not in screen.controls
    assert {Control.SKIP, Control.READ, Control.STOP} <= set(screen.controls)
    assert (Control.BACK in screen.controls) is not first
    labels = [b.label for row in present.keyboard(screen, 1, 1, CONTENT.locale) for b in row]
    assert CONTENT.locale("control.dont_know") not in labels
    assert CONTENT.locale("control.skip") in labels


def test_other_steps_still_offer_i_dont_know() -> None:
    flow = ENGINE.flows["check_in"]
    screen = ENGINE.screen(RunState(flow.id, flow.steps[0].id), {})
    assert Control.DONT_KNOW in screen.controls
