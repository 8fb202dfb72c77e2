"""Per-person flood limit: too many updates in a minute get one polite word, then are dropped
until the person slows down. Kept in memory in each bot process (a limit, not a record).

Nobody else is slowed: the gate is a dictionary lookup per update, no database, no lock.
A few updates always pass: a tap on "I don't feel safe" and words on the safeguarding list,
so a young person in distress who types fast is never silenced.
"""

from __future__ import annotations

import enum
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

WINDOW_SECONDS = 60.0
_REMEMBERED_UPDATES = 4096
_SWEEP_FROM = 1024  # people remembered before idle ones are dropped
_SWEEP_EVERY = 10.0  # seconds between sweeps, so a sweep costs nothing per update


class Verdict(enum.Enum):
    PASS = "pass"
    WARN = "warn"  # the first update over the limit: say "please slow down" once
    DROP = "drop"


@dataclass
class _Recent:
    times: deque[float] = field(default_factory=deque)
    warned: bool = False


class FloodGate:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._people: dict[int, _Recent] = {}
        self._decided: OrderedDict[int, Verdict] = OrderedDict()
        self._next_sweep = 0.0

    def decide(self, update_id: int, person_key: int, *,
               always_pass: bool = False) -> tuple[Verdict, bool]:
        """`check` once per update: asking again about the same update (the adapter asks
        before downloading a photo and again before the transaction) gives the same verdict
        and False for "new"."""
        if update_id in self._decided:
            return self._decided[update_id], False
        verdict = self.check(person_key, always_pass=always_pass)
        self._decided[update_id] = verdict
        if len(self._decided) > _REMEMBERED_UPDATES:
            self._decided.popitem(last=False)
        return verdict, True

    def check(self, person_key: int, *, always_pass: bool = False) -> Verdict:
        """Count one update from this person and say what to do with it.

        Dropped updates count too: someone who keeps sending as fast as they can stays
        limited until a minute passes with fewer than `per_minute` updates.
        """
        now = self._clock()
        recent = self._people.setdefault(person_key, _Recent())
        while recent.times and now - recent.times[0] >= WINDOW_SECONDS:
            recent.times.popleft()
        if len(recent.times) < self.per_minute:
            recent.warned = False  # they slowed down: the next burst gets a word again
        recent.times.append(now)
        self._forget_idle(now)
        if always_pass or len(recent.times) <= self.per_minute:
            return Verdict.PASS
        if recent.warned:
            return Verdict.DROP
        recent.warned = True
        return Verdict.WARN

    def _forget_idle(self, now: float) -> None:
        # Memory stays flat: now and then, drop people whose newest update left the window.
        if len(self._people) < _SWEEP_FROM or now < self._next_sweep:
            return
        self._next_sweep = now + _SWEEP_EVERY
        for key in [k for k, r in self._people.items()
                    if not r.times or now - r.times[-1] >= WINDOW_SECONDS]:
            del self._people[key]

    def __len__(self) -> int:
        return len(self._people)
