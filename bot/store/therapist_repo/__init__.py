"""Queries for the therapist's side: caseload overview, meetings, "you said", supporters and
what a summary needs. Every function takes the caller's session (one transaction).

The package is split by what the queries are about: `people` (finding a young person or a
therapist), `supporters`, `meetings`, `meeting_records` (what was agreed), `you_said`,
`summary_reads` (what a summary may read), `caseload` (the /caseload overview) and `common`
(shared names). Callers keep using
`therapist_repo.<name>`; every public name is re-exported here.
"""

from __future__ import annotations

from bot.store.therapist_repo.caseload import CaseloadRow, caseload_overview
from bot.store.therapist_repo.common import FINISHED, INT32_MAX, READ_SUMMARY, day_start
from bot.store.therapist_repo.meeting_records import (
    meeting_record_by_id,
    meeting_record_of,
    open_meeting_record,
)
from bot.store.therapist_repo.meetings import (
    cancel_upcoming,
    claim_meeting,
    first_meeting_held_today,
    last_held_meeting,
    mark_meeting_happened,
    meetings_between,
    past_meetings,
    set_meeting,
    upcoming_meeting,
)
from bot.store.therapist_repo.notes import (
    add_note,
    finished_shared_runs,
    noteable_run,
    notes_for_runs,
    run_subject,
)
from bot.store.therapist_repo.people import find_therapist, find_young_person, therapist_of
from bot.store.therapist_repo.summary_reads import (
    MediaMeta,
    media_content,
    media_meta,
    private_count,
    shared_runs_about,
)
from bot.store.therapist_repo.supporters import (
    Supporter,
    create_supporter_invitation,
    link_supporter,
    supported_by,
    supporter_declined_since,
    supporter_invitation_made_since,
    supporter_link,
    supporters_of,
)
from bot.store.therapist_repo.you_said import (
    sent_you_said,
    shared_answer,
    shared_answer_ids,
    you_said_by_id,
    you_said_draft,
)

__all__ = [
    "FINISHED",
    "INT32_MAX",
    "READ_SUMMARY",
    "CaseloadRow",
    "MediaMeta",
    "Supporter",
    "add_note",
    "cancel_upcoming",
    "caseload_overview",
    "claim_meeting",
    "create_supporter_invitation",
    "day_start",
    "find_therapist",
    "find_young_person",
    "finished_shared_runs",
    "first_meeting_held_today",
    "last_held_meeting",
    "link_supporter",
    "mark_meeting_happened",
    "media_content",
    "media_meta",
    "meeting_record_by_id",
    "meeting_record_of",
    "meetings_between",
    "noteable_run",
    "notes_for_runs",
    "open_meeting_record",
    "past_meetings",
    "private_count",
    "run_subject",
    "sent_you_said",
    "set_meeting",
    "shared_answer",
    "shared_answer_ids",
    "shared_runs_about",
    "supported_by",
    "supporter_declined_since",
    "supporter_invitation_made_since",
    "supporter_link",
    "supporters_of",
    "therapist_of",
    "upcoming_meeting",
    "you_said_by_id",
    "you_said_draft",
]
