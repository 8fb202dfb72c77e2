"""A made-up young person with a year of weekly flows, for the benchmark (bench/summary.py,
bench/caseload.py), the sample page in the README and the tests.

Everything here is invented: names like "Jo Example", and words marked "(example)".
It writes straight to the store (no chat), as the flows would have: finished runs with their
path, answers with symbol ids and own words, photos and Talking Mat pictures as media rows.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from bot.render.cards import emoji_image, render_text_card
from bot.render.cards.parts import PERSONAL_PARTS
from bot.render.cards.shapes import mime_type_of
from bot.store import repo, therapist_repo
from bot.store.models import (
    Answer,
    FlowRun,
    MediaFile,
    Meeting,
    Outcome,
    Person,
    Role,
    YouSaid,
)

DAY_PARTS = ("morning", "getting_to_school", "lessons", "break_lunch", "after_school",
             "evening", "bedtime")
MAT_CARDS = ("lessons", "maths", "reading", "art", "pe", "break", "lunch", "homework")
MAT_SCALE = ("like", "not_sure", "dont_like")
SAYINGS = {"good": ["I played football with my friends", "Art was fun", "I finished my work"],
           "ok": ["It was an OK day", "Nothing much happened"],
           "bad": ["The hall was too loud", "I felt tired all day", "Maths was too hard"]}


@dataclass
class Seeded:
    therapist: Person
    young_person: Person
    supporter: Person
    answers: int
    photos: int
    mats: int
    private_words: list[str]
    shared_words: list[str]


PHOTO_SUBJECTS = ("🐶", "⚽", "🎨", "🌳", "🏠", "🚲", "🍕", "🎧")


def photo_bytes(rng: random.Random, size: tuple[int, int] = (1280, 960)) -> bytes:
    """A phone-photo-sized JPEG: a big symbol on a soft background, with some texture so it
    is as large as a real photo (a made-up picture, not of anyone)."""
    colour = tuple(rng.randrange(170, 245) for _ in range(3))
    noise = Image.effect_noise((size[0] // 4, size[1] // 4), 60).resize(size).convert("RGB")
    picture = Image.blend(Image.new("RGB", size, colour), noise, 0.12)
    subject = emoji_image(rng.choice(PHOTO_SUBJECTS), min(size) * 2 // 3)
    if subject is not None:
        picture.paste(subject, ((size[0] - subject.width) // 2, (size[1] - subject.height) // 2),
                      subject)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()


class _Writer:
    def __init__(self, session: AsyncSession, young: Person, rng: random.Random) -> None:
        self.session = session
        self.young = young
        self.rng = rng
        self.answers = 0
        self.photos = 0
        self.mats = 0
        self.shared_words: list[str] = []
        self.private_words: list[str] = []

    async def media(self, owner: Person, kind: str, mime: str, data: bytes,
                    when: datetime) -> int:
        row = MediaFile(owner_id=owner.id, kind=kind, mime_type=mime, content=data,
                        created_at=when)
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def run(self, person: Person, flow_id: str, when: datetime,
                  answers: list[tuple[str, list[str], str | None, list[dict[str, Any]]]], *,
                  shared: bool = True, about: Person | None = None,
                  helped_by: str | None = None, options: dict[str, Any] | None = None,
                  details: dict[str, dict[str, Any]] | None = None) -> None:
        run = FlowRun(person_id=person.id, flow_id=flow_id, step_id="_review",
                      status="finished", state={"history": [a[0] for a in answers]}, version=9,
                      started_at=when - timedelta(minutes=6), updated_at=when, finished_at=when,
                      shared=shared, shared_at=when if shared else None, helped_by=helped_by,
                      about_id=about.id if about else None, options=options or {})
        self.session.add(run)
        await self.session.flush()
        for step_id, choices, words, media in answers:
            self.session.add(Answer(run_id=run.id, step_id=step_id, kind="answered",
                                    choices=choices, own_words=words, media=media,
                                    detail=(details or {}).get(step_id),
                                    created_at=when, updated_at=when))
            self.answers += 1
            if words:
                (self.shared_words if shared else self.private_words).append(words)


async def seed_young_person(session: AsyncSession, now: datetime, *, telegram_base: int,
                            weeks: int = 52, photos: int = 20, mats: int = 5,
                            name: str = "Jo Example") -> Seeded:
    """One therapist, one young person with `weeks` of flows, one supporter (a parent)."""
    rng = random.Random(telegram_base)
    therapist = await repo.add_person(session, telegram_user_id=telegram_base,
                                      chat_id=telegram_base, role=Role.THERAPIST,
                                      display_name="Sam Example", consented=True)
    young = await repo.add_person(session, telegram_user_id=telegram_base + 1,
                                  chat_id=telegram_base + 1, role=Role.YOUNG_PERSON,
                                  display_name=name, consented=True)
    parent = await repo.add_person(session, telegram_user_id=telegram_base + 2,
                                   chat_id=telegram_base + 2, role=Role.SUPPORTER,
                                   display_name="Ann Example", consented=True)
    await repo.link(session, therapist, young)
    await therapist_repo.link_supporter(session, parent, young.id, "parent")
    today = now.date()
    for days in (400, 200):  # the meeting before last, and the last one
        session.add(Meeting(young_person_id=young.id, therapist_id=therapist.id,
                            held_on=today - timedelta(days=days), created_at=now))
    session.add(Meeting(young_person_id=young.id, therapist_id=therapist.id,
                        held_on=today + timedelta(days=6), created_at=now))
    writer = _Writer(session, young, rng)
    shared_weeks = [w for w in range(weeks) if w % 9 != 4]  # one week in nine kept private
    # One photo is the one-page profile's; the rest go with check-ins.
    photo_weeks = set(rng.sample(shared_weeks, min(max(0, photos - 1), len(shared_weeks))))
    for week in range(weeks):
        when = now - timedelta(days=7 * week + 1, hours=rng.randrange(0, 6))
        await _check_in(writer, week, when, week in photo_weeks, shared=week in shared_weeks)
        if week % 8 == 3:
            await _good_day_bad_day(writer, week, when - timedelta(days=2))
    for n in range(mats):
        await _mat(writer, now - timedelta(days=70 * n + 3), n)
    await _tools(writer, now)
    await _outcomes(writer, therapist, now)
    for n, when in enumerate((now - timedelta(days=150), now - timedelta(days=20))):
        await writer.run(parent, "supporter_view", when, [
            ("working", [], f"Art club is going well (example {n})", []),
            ("not_working", [], f"Mornings are a rush (example {n})", []),
            ("admire", [], f"Kind to everyone, and funny (example {n})", [])], about=young)
    session.add(YouSaid(young_person_id=young.id, therapist_id=therapist.id,
                        items='[{"said": "lunch is too loud", "will": "find a quiet room"}]',
                        sent_at=now - timedelta(days=190), listened="a_bit",
                        answered_at=now - timedelta(days=189), created_at=now))
    await session.flush()
    return Seeded(therapist, young, parent, writer.answers, writer.photos, writer.mats,
                  writer.private_words, writer.shared_words)


async def _check_in(w: _Writer, week: int, when: datetime, with_photo: bool, *,
                    shared: bool) -> None:
    verdict = w.rng.choice(["good", "good", "ok", "bad"])
    step = {"good": "what_good", "bad": "what_bad"}.get(verdict, "what_made")
    pool = {"what_good": ["friend", "lessons", "break_lunch", "games", "family", "calm"],
            "what_bad": ["too_loud", "too_hard", "lonely", "worried", "tired", "bored"],
            "what_made": ["friend", "lessons", "tired", "calm", "worried"]}[step]
    media: list[dict[str, Any]] = []
    if with_photo and shared:
        media = [{"id": await w.media(w.young, "photo", "image/jpeg", photo_bytes(w.rng), when),
                  "kind": "photo"}]
        w.photos += 1
    said = w.rng.choice(SAYINGS[verdict])
    words = (f"{said} (example, week {week})" if shared
             else f"Private example words (week {week})")
    await w.run(w.young, "check_in", when, [
        ("how", [verdict], None, []), (step, w.rng.sample(pool, 2), None, []),
        ("own_words", [], words, media)], shared=shared)


async def _good_day_bad_day(w: _Writer, week: int, when: datetime) -> None:
    answers: list[tuple[str, list[str], str | None, list[dict[str, Any]]]] = []
    for part in DAY_PARTS:
        verdict = w.rng.choice(["good", "bad", "ok"])
        answers.append((f"how_{part}", [verdict], None, []))
        if verdict == "good":
            answers.append((f"why_good_{part}", w.rng.sample(["friend", "calm", "games"], 1),
                            None, []))
        elif verdict == "bad":
            answers.append((f"why_bad_{part}", w.rng.sample(["too_loud", "tired", "lonely"], 1),
                            None, []))
    answers.append(("more_good", ["quiet_place", "friend"], None, []))
    answers.append(("own_words", [], f"Mornings are better with a plan (example, week {week})",
                    []))
    await w.run(w.young, "good_day_bad_day", when, answers, helped_by="helped_alone")


async def _mat(w: _Writer, when: datetime, n: int) -> None:
    placements = {card: (i + n) % 3 for i, card in enumerate(MAT_CARDS)}
    lines = [(["👍", "🤷", "👎"][col], f"{card}") for card, col in placements.items()]
    # The example young person's mat as a list picture; its rows repeat from mat to mat, so
    # they are drawn once (kept like any young person's parts: bot.render.cards.parts).
    picture = render_text_card("School", lines, parts=PERSONAL_PARTS)
    media_id = await w.media(w.young, "mat", mime_type_of(picture), picture, when)
    w.mats += 1
    await w.run(w.young, "talking_mat", when, [
        ("mat", [c for c, col in placements.items() if col >= 0], None,
         [{"id": media_id, "kind": "mat"}]),
        ("more", [], f"I like art more now (example mat {n})", [])],
        options={"topic": "school", "scale": list(MAT_SCALE), "placements": placements},
        details={"mat": {"placements": [[c, col] for c, col in placements.items()]}},
        helped_by="helped_therapist,helped_family")  # more than one person can help


async def _tools(w: _Writer, now: datetime) -> None:
    for n, days in enumerate((300, 60)):
        await w.run(w.young, "important_to_for", now - timedelta(days=days), [
            ("people", ["mum", "friend", "pet"], None, []),
            ("places", ["home", "park"], None, []),
            ("activities", ["football", "drawing"], None, []),
            ("to_words", [], f"My dog is my best friend (example {n})", []),
            ("for_health", ["sleep", "water"], None, [])], helped_by="helped_family")
        await w.run(w.young, "working_not_working", now - timedelta(days=days - 5), [
            ("school", ["working"], None, []),
            ("school_why", [], f"My teacher helps me (example {n})", []),
            ("home", ["not_working"], None, []),
            ("home_why", [], f"My brother is noisy at night (example {n})", []),
            ("friends", ["not_sure"], None, [])])
    when = now - timedelta(days=40)
    me = await w.media(w.young, "photo", "image/jpeg", photo_bytes(w.rng, (960, 1280)), when)
    w.photos += 1
    await w.run(w.young, "one_page_profile", when, [
        ("admire", ["kind", "funny"], None, []),
        ("admire_words", [], "I am good at drawing animals (example)", []),
        ("support", ["give_me_time", "use_pictures"], None, []),
        ("photo", [], None, [{"id": me, "kind": "photo"}])])
    await w.run(w.young, "my_future", now - timedelta(days=20), [
        ("hopes", [], "I want to work with animals one day (example)", []),
        ("learning_work", ["college", "animals"], None, []),
        ("learning_work_words", [], "A course at the farm college (example)", []),
        ("living", ["family", "travel_by_myself"], None, []),
        ("community", ["friend", "going_out"], None, []),
        ("health_words", [], "Keep swimming every week (example)", [])],
        helped_by="helped_family")
    await w.run(w.young, "my_meeting", now - timedelta(days=2), [
        ("talk_about", ["school", "friend"], None, []),
        ("questions", [], "Can I sit near the door? (example)", []),
        ("who", ["mum", "teacher"], None, []), ("how", ["be_there", "use_pictures"], None, [])])


# The outcomes in the example plan: (words now, symbol, words when the year began).
OUTCOMES = (("I can ask for help in class (example)", "help", "I will ask for help (example)"),
            ("I can make a friend at lunch (example)", "friend", None),
            ("I can take the bus to college (example)", "bus", None))
OUTCOME_VIEWS = ("finding_it_hard", "about_the_same", "about_the_same", "getting_better",
                 "getting_better")
OUTCOME_HELPS = ("give_me_time", "use_pictures", "show_me", "teaching_assistant", "friend")


async def _outcomes(w: _Writer, therapist: Person, now: datetime) -> None:
    """Three outcomes in the plan, and "How am I getting on?" every eight weeks or so over the
    year (both sides of the last meeting): the view moving along the scale, what helps, own
    words. The first outcome was worded otherwise before the last meeting."""
    rows = []
    for n, (words, symbol, _) in enumerate(OUTCOMES, 1):
        row = Outcome(young_person_id=w.young.id, created_by_id=therapist.id, words=words,
                      symbol_id=symbol, position=n, created_at=now - timedelta(days=420),
                      updated_at=now - timedelta(days=150))
        w.session.add(row)
        rows.append(row)
    await w.session.flush()
    for k, days in enumerate(range(340, 0, -56)):
        options = {"outcomes": {
            f"outcome_{n}": {"id": row.id, "symbol": row.symbol_id, "media": None,
                             "words": (old if old and days > 150 else row.words)}
            for n, (row, (_, _, old)) in enumerate(zip(rows, OUTCOMES, strict=True), 1)}}
        answers: list[tuple[str, list[str], str | None, list[dict[str, Any]]]] = []
        for n in range(1, len(OUTCOMES) + 1):
            view = OUTCOME_VIEWS[min(len(OUTCOME_VIEWS) - 1, (k + n) // 2)]
            answers += [(f"view_outcome_{n}", [view], None, []),
                        (f"helps_outcome_{n}", w.rng.sample(OUTCOME_HELPS, 2), None, []),
                        (f"words_outcome_{n}", [],
                         f"It is {view.replace('_', ' ')} now (example {k}.{n})", [])]
        answers.append(("anything", [], f"I want to do more on my own (example {k})", []))
        await w.run(w.young, "how_am_i_getting_on", now - timedelta(days=days), answers,
                    options=options, helped_by="helped_school")
