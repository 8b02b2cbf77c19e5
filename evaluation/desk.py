"""The write side of evaluation: publishing editions, upholding appeals, property scoring rounds.

Each is an event in the log (its own stream, guarded by the stream version), then the evaluation
projection catches up so that the caller reads its own write. It may not write the read model's tables
or read them itself (`eventstore/evaluation_queries.py` does), nor decide who may act (the API's scope).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from domain.enums import UnitKind, Waiver
from domain.errors import InvalidCommand, InvalidState, NotFound
from domain.evaluation import (
    AppealDecided,
    AppealFiled,
    EvaluationCorrected,
    EvaluationEvent,
    Period,
    PropertyRoundClosed,
    PropertyRoundOpened,
    PropertyScoreRecorded,
    ScorecardsPublished,
    ScoringWeights,
)
from domain.model import Actor
from domain.policy import Span
from domain.workcalendar import CHINA, WorkCalendar
from evaluation.scorecards import corrected_cards, editions_of, live_cards
from eventstore import evaluation_queries as queries
from eventstore.evaluation_projection import catch_up, catch_up_through
from eventstore.store import EventStore, NewEvent, last_position, stream_version
from org.model import OrgTree

MONTHLY_CLOSE = "月度考评发布 (monthly close)"
APPEAL_WINDOW = Span.parse({"working_days": 5})  # units may appeal for five working days after publication


def new_appeal_id() -> str:
    """A new appeal id: `AP-` and 12 random hex digits, upper case."""
    return f"AP-{uuid.uuid4().hex[:12].upper()}"


@dataclass
class EvaluationDesk:
    """Evaluation writes on the pool: publish editions, correct and appeal figures, run quarterly property rounds;
    each appends to its own stream and catches the projection up. `calendar` counts the appeal window (5 working
    days, 申诉期)."""

    pool: asyncpg.Pool
    org: OrgTree
    weights: ScoringWeights
    calendar: WorkCalendar

    async def publish(self, period: Period, actor: Actor, now: datetime, reason: str = MONTHLY_CLOSE,
                      corrected_unit: str | None = None) -> dict:
        """Freeze the month's scorecards as its next edition (the monthly close publishes edition 1 once);
        after a correction, the last edition with only the corrected unit's card recomputed."""
        if not period.is_month:
            raise InvalidCommand("only a month is published; quarters and years are summed from months")
        if _month_end(period) > now.astimezone(CHINA):
            raise InvalidState(f"{period.text} has not ended yet; it can be published from the 1st of the next month")
        stream = f"scorecards-{period.text}"
        async with self.pool.acquire() as conn:
            await catch_up(conn)
            editions = await editions_of(conn, period.text)
            if reason == MONTHLY_CLOSE and editions:
                return {**editions[0], "period": period.text, "already_published": True}
            if corrected_unit is not None and editions:
                cards = await corrected_cards(conn, self.org, period, self.weights, editions[-1]["edition"],
                                              corrected_unit)
            else:
                cards = await live_cards(conn, self.org, period, self.weights)
        published = ScorecardsPublished(
            at=now, period=period.text, edition=len(editions) + 1, reason=reason,
            appeal_due=self.calendar.add(now, APPEAL_WINDOW.seconds, APPEAL_WINDOW.clock), cards=cards, actor=actor)
        await self._append(stream, len(editions), published)
        return {"period": period.text, "edition": published.edition, "published_at": published.at,
                "appeal_due": published.appeal_due, "reason": reason, "units": len(cards),
                "already_published": False}

    async def correct(self, petition_id: str, unit_code: str, waive: list[Waiver], reason: str, actor: Actor,
                      now: datetime, appeal: AppealDecided | None = None) -> dict:
        """Uphold an appeal; if the month is published, a corrected edition follows (history kept).
        With `appeal` (a unit's appeal upheld, filed inside the window), the decision is appended with
        the correction, and the window is not checked again: a timely appeal may be decided later."""
        async with self.pool.acquire() as conn:
            await catch_up(conn)
            fact, period = await _fact_and_period(conn, petition_id, unit_code)
            editions = await editions_of(conn, period.text)
            version = await stream_version(conn, f"appeals-{petition_id}")
        if appeal is None:
            _require_window(period, editions, now)
        corrected = EvaluationCorrected(at=now, petition_id=petition_id, unit_code=unit_code, waive=waive,
                                        reason=reason, actor=actor)
        await self._append(f"appeals-{petition_id}", version, corrected, *([appeal] if appeal else []))
        result: dict[str, Any] = {"petition_id": petition_id, "unit_code": unit_code, "period": period.text,
                                  "waived": sorted({*fact["waived"], *(w.value for w in waive)}), "edition": None}
        if editions:
            result["edition"] = await self.publish(period, actor, now, reason=f"更正 (correction): {petition_id} "
                                                                             f"{unit_code}: {reason}",
                                                   corrected_unit=unit_code)
        return result

    async def file_appeal(self, petition_id: str, unit_code: str, waive: list[Waiver], reason: str, actor: Actor,
                          now: datetime, appeal_id: str | None = None) -> dict:
        """A unit appeals part of its own record on a closed petition, inside the window (5 working days
        after edition 1; before publication, against the live figures). One open appeal at a time."""
        async with self.pool.acquire() as conn:
            await catch_up(conn)
            _, period = await _fact_and_period(conn, petition_id, unit_code)
            _require_window(period, await editions_of(conn, period.text), now)
            pending = await queries.pending_appeal(conn, petition_id, unit_code)
            if pending is not None:
                raise InvalidState(f"appeal {pending} of {unit_code} on {petition_id} waits for a decision")
            version = await stream_version(conn, f"appeals-{petition_id}")
        filed = AppealFiled(at=now, appeal_id=appeal_id or new_appeal_id(), period=period.text,
                            petition_id=petition_id, unit_code=unit_code, waive=waive, reason=reason, actor=actor)
        await self._append(f"appeals-{petition_id}", version, filed)
        return await self.appeal(filed.appeal_id)

    async def decide_appeal(self, appeal_id: str, upheld: bool, reason: str, actor: Actor, now: datetime) -> dict:
        """Uphold (the correction machinery: the waived part stops counting, a published month gets a
        corrected edition) or reject a filed appeal, with the reason the unit will read."""
        appeal = await self.appeal(appeal_id)
        if appeal["status"] != "filed":
            raise InvalidState(f"appeal {appeal_id} was already {appeal['status']}")
        decided = AppealDecided(at=now, appeal_id=appeal_id, petition_id=appeal["petition_id"],
                                unit_code=appeal["unit_code"], upheld=upheld, reason=reason, actor=actor)
        edition = None
        if upheld:
            corrected = await self.correct(appeal["petition_id"], appeal["unit_code"],
                                           [Waiver(w) for w in appeal["waive"]], f"申诉 {appeal_id}: {reason}",
                                           actor, now, appeal=decided)
            edition = corrected["edition"]
        else:
            async with self.pool.acquire() as conn:
                version = await stream_version(conn, f"appeals-{appeal['petition_id']}")
            await self._append(f"appeals-{appeal['petition_id']}", version, decided)
        return {**await self.appeal(appeal_id), "edition": edition}

    async def first_answers(self, appeal_id: str) -> tuple[dict, dict]:
        """What filing and deciding `appeal_id` answered (for a retried Idempotency-Key: its first answer,
        not the appeal as it is now): the appeal as filed, and the appeal as decided with the corrected
        edition the decision published (None: rejected, or the month was not published). NotFound if
        there is no such appeal."""
        appeal = await self.appeal(appeal_id)
        filed = {**appeal, "status": "filed", "decided_at": None, "decided_by": None, "decision_reason": None}
        edition = None
        if appeal["status"] == "upheld":
            async with self.pool.acquire() as conn:
                for row in await editions_of(conn, appeal["period"]):
                    if f"申诉 {appeal_id}:" in row["reason"]:
                        units = await queries.published_count(conn, appeal["period"], row["edition"])
                        edition = {"period": appeal["period"], "edition": row["edition"],
                                   "published_at": row["published_at"], "appeal_due": row["appeal_due"],
                                   "reason": row["reason"], "units": units, "already_published": False}
        return filed, {**appeal, "edition": edition}

    async def appeal(self, appeal_id: str) -> dict:
        """The appeal `appeal_id` as the read model holds it. NotFound if there is none."""
        async with self.pool.acquire() as conn:
            await catch_up(conn)
            found = await queries.appeal(conn, appeal_id)
        if found is None:
            raise NotFound(f"no appeal {appeal_id}")
        return found

    async def appeals(self, period: Period, units: set[str] | None) -> list[dict]:
        """The appeals against the period's months, of `units` (None: all), oldest first."""
        months = [f"{m.year:04d}-{m.month:02d}" for m in period.months]
        async with self.pool.acquire() as conn:
            await catch_up(conn)
            return await queries.appeals(conn, months, units)

    async def open_round(self, quarter: str, actor: Actor, now: datetime) -> None:
        """Open the property scoring round of `quarter` (`2026-Q4`). InvalidCommand for a malformed quarter,
        InvalidState if it was opened before."""
        _quarter(quarter)
        async with self.pool.acquire() as conn:
            if await stream_version(conn, f"property-round-{quarter}"):
                raise InvalidState(f"the property scoring round of {quarter} is already open")
        await self._append(f"property-round-{quarter}", 0, PropertyRoundOpened(at=now, quarter=quarter, actor=actor))

    async def record_score(self, quarter: str, company_code: str, compound: str, representative: str, score: float,
                           actor: Actor, now: datetime) -> None:
        """Record one representative's score (0–100) of a property company for one compound in the open round (a new
        score of the same three replaces it). InvalidCommand if the code is no property company; InvalidState if no
        round is open or it closed."""
        company = self.org.units.get(company_code)
        if company is None or company.kind is not UnitKind.PROPERTY_COMPANY:
            raise InvalidCommand(f"{company_code!r} is not a property company")
        version = await self._open_round_version(quarter)
        await self._append(f"property-round-{quarter}", version, PropertyScoreRecorded(
            at=now, quarter=quarter, company_code=company_code, compound=compound, representative=representative,
            score=score, actor=actor))

    async def close_round(self, quarter: str, actor: Actor, now: datetime) -> None:
        """Close the quarter's round: its scores count from now on. InvalidState if no round is open or it closed
        already."""
        version = await self._open_round_version(quarter)
        await self._append(f"property-round-{quarter}", version, PropertyRoundClosed(at=now, quarter=quarter,
                                                                                     actor=actor))

    async def _open_round_version(self, quarter: str) -> int:
        _quarter(quarter)
        async with self.pool.acquire() as conn:
            found = await queries.property_round(conn, quarter)
            version = await stream_version(conn, f"property-round-{quarter}")
        if not version:
            raise InvalidState(f"no property scoring round is open for {quarter}")
        if found is not None and found["closed_at"] is not None:
            raise InvalidState(f"the property scoring round of {quarter} is closed")
        return version

    async def _append(self, stream: str, version: int, *events: EvaluationEvent) -> None:
        """Append `events` to `stream` at `version` in one statement (all or none), then catch the projection
        up through them, so what the desk reads next (an appeal, a corrected edition's cards) includes them.
        Raises StreamConflict if the stream moved on, ProjectionBehind if the figures lag too far."""
        appended = await EventStore(self.pool).append(stream, version, [NewEvent(
            event_id=str(uuid.uuid4()), type=event.type, data=event.model_dump(mode="json", exclude={"type"}),
            occurred_at=event.at) for event in events])
        async with self.pool.acquire() as conn:
            position = appended.position or await last_position(conn, stream)  # None: a retry found them there
            if position is not None:
                await catch_up_through(conn, position)


async def _fact_and_period(conn: asyncpg.Connection, petition_id: str, unit_code: str) -> tuple[Any, Period]:
    """The unit's evaluation fact on the petition and the month it counts in; NotFound before it closed."""
    fact = await queries.fact_month(conn, petition_id, unit_code)
    if fact is None:
        raise NotFound(f"no evaluation of {unit_code} on petition {petition_id} (is it closed?)")
    return fact, Period.parse(fact["month"].strftime("%Y-%m"))


def _require_window(period: Period, editions: list[dict[str, Any]], now: datetime) -> None:
    """Appeals are open until the window after edition 1 closes (always, before publication)."""
    if editions and now > editions[0]["appeal_due"]:
        raise InvalidState(f"appeals against {period.text} closed on "
                           f"{editions[0]['appeal_due'].astimezone(CHINA):%Y-%m-%d %H:%M}")


def _quarter(text: str) -> Period:
    period = Period.parse(text, field="quarter")
    if len(period.months) != 3:
        raise InvalidCommand(f"quarter: {text!r} is not a quarter such as 2026-Q4", field="quarter")
    return period


def _month_end(period: Period) -> datetime:
    """The last moment of the month, China time (publishing is allowed from the 1st after it)."""
    first = period.months[0]
    following = Period.parse(f"{first.year + (first.month == 12)}-{first.month % 12 + 1:02d}").months[0]
    return datetime(following.year, following.month, 1, tzinfo=CHINA)
