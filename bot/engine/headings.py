"""The review headings: where an answer goes in the person-centred review (the summary).

One type, shared: a flow file names a heading (`heading:` on a step, or at the top of the file
as the default for its steps), the engine validates it at start-up, and the summary
(bot/summary) lays answers out under it. Defined here, in the engine, so that the flow files'
data model owns it and the summary imports it (never the other way round).
"""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import BeforeValidator


class Heading(enum.StrEnum):
    """Where an answer goes in the person-centred review (the summary's headings).

    A StrEnum, so a heading compares equal to its plain value ("good_days") and is written
    as that value in JSON exports and locale keys.
    """

    ABOUT_ME = "about_me"
    LIKE_ADMIRE = "like_admire"
    IMPORTANT_TO = "important_to"
    IMPORTANT_FOR = "important_for"
    WORKING = "working"
    NOT_WORKING = "not_working"
    GOOD_DAYS = "good_days"
    BAD_DAYS = "bad_days"
    TALKING_MAT = "talking_mat"
    QUESTIONS = "questions"
    TAKE_PART = "take_part"
    WHO_HELPED = "who_helped"
    FUTURE = "future"
    SUPPORT = "support"  # how best to support me
    OUTCOMES = "outcomes"  # progress towards the outcomes in the EHC plan
    # Never written in a flow file: where an answer goes when neither its step nor its flow
    # names a heading (or its flow file is gone).
    OTHER = "other"


# What a flow file may write as `heading:` (every heading but OTHER).
IN_FILES: tuple[Heading, ...] = tuple(h for h in Heading if h is not Heading.OTHER)


def heading_in_file(value: object) -> Heading | None:
    """A `heading:` value from a flow file, as a Heading (None when not given).

    Raises ValueError naming the bad value and the headings a file may use; the flow loader
    (bot.engine.datafile.parse_model) adds the file, the step and the line.
    """
    if value is None:
        return None
    if isinstance(value, str) and value in IN_FILES:
        return Heading(value)
    allowed = ", ".join(IN_FILES)
    raise ValueError(f"unknown heading {value!r}: a flow file may use {allowed}")


# The type of a `heading:` field in a flow file (the flow's own and each step's): checked by
# heading_in_file when the file is read, so a bad value names the file, step and line.
FileHeading = Annotated[Heading | None, BeforeValidator(heading_in_file)]
