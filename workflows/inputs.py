"""Inputs of the petition workflow and of the activities it calls (one model per call)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from domain.arrangements import Arrangement
from domain.model import PetitionState

APPEND_TIMEOUT = timedelta(seconds=30)  # per attempt: transient failures retry until the database is back
DELIVERY_TIMEOUT = timedelta(seconds=60)


class PetitionInput(BaseModel):
    """Start (or continue-as-new) a petition's workflow."""

    petition_id: str
    snapshot: PetitionState | None = None
    delivered: list[str] = []
    history_limit: int = 2000  # continue-as-new once the history is this long
    # official holiday arrangements loaded into the log after the calendar files were shipped: the
    # petition counts its deadlines on the shipped calendar with these (and those it is told of later)
    arrangements: list[Arrangement] = []


class StoredEventIn(BaseModel):
    """One event for `append_events`: its deterministic id, type, JSON data and ISO 8601 time."""

    event_id: str
    type: str
    data: dict[str, Any]
    occurred_at: str


class AppendEventsInput(BaseModel):
    """What `append_events` appends: the events of one stream at its expected version, the petition's read-model row,
    and who asked (workflow id, request id)."""

    stream_id: str
    expected_version: int
    events: list[StoredEventIn]
    read_model_row: dict[str, Any]
    workflow_id: str
    request_id: str = ""  # the API request behind the command (its update id), for the logs


class AppendEventsResult(BaseModel):
    """What the append did (`eventstore.store.AppendResult` across the Temporal boundary)."""

    version: int
    position: int | None
    already_appended: bool


class WorkOrderDelivery(BaseModel):
    """A work order handed to a district department through its own task queue."""

    delivery_id: str
    petition_id: str
    department: str
    department_name: str
    category: str
    description: str
    address: str
    urgency: str
    accept_due: str
    resolve_due: str
    cause: str


class MonthlyCloseInput(BaseModel):
    """The month the monthly close publishes (`2026-10`); None: the month before the run's (Beijing time)."""

    period: str | None = None  # default: the month before the one the run starts in (China time)


class PublishScorecardsInput(BaseModel):
    """The month (`2026-10`) whose scorecards `publish_scorecards` freezes."""

    period: str


class CalendarReplanInput(BaseModel):
    """Tell every open petition of a newly loaded arrangement (`after`: resume after this petition id)."""

    arrangement: Arrangement
    after: str = ""
    signalled: int = 0
    gone: int = 0
    page_size: int = 200
    second_pass: bool = False  # the pass after SETTLE, for petitions reported meanwhile (counted again)


class OpenPetitionsPage(BaseModel):
    """One page of the petitions a re-plan tells, in id order."""

    ids: list[str]


class OpenPetitionsInput(BaseModel):
    """A page of open petition ids for a re-plan: after id `after`, at most `limit`, reported since `reported_since`
    (None: any time)."""

    after: str  # petition id: the page starts after it
    limit: int
    reported_since: datetime | None = None  # only petitions reported at or after this instant


class ReplanFinishedInput(BaseModel):
    """A finished re-plan of the arrangement `sequence`: petitions told (`signalled`), and those that closed
    meanwhile (`gone`)."""

    sequence: int
    signalled: int
    gone: int
