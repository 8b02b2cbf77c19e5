"""The monthly close's activity: publish a month's scorecards (edition 1) from the worker."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from config.reference_data import work_calendar
from domain.enums import Role
from domain.errors import DomainError
from domain.evaluation import Period, ScoringWeights
from domain.model import Actor
from evaluation.desk import EvaluationDesk
from org.repository import load_org
from workflows.inputs import PublishScorecardsInput

MONTHLY_CLOSE_ACTOR = Actor(id="monthly-close", name="月度考评 (monthly close)", unit_code="", role=Role.SYSTEM)


class ScorecardActivities:
    """The monthly close's activity, on the database pool and the scoring weights."""

    def __init__(self, pool: asyncpg.Pool, weights: ScoringWeights) -> None:
        self._pool, self._weights = pool, weights

    @activity.defn(name="publish_scorecards")
    async def publish_scorecards(self, input: PublishScorecardsInput) -> dict:
        """Publish the month's scorecards as its first edition (or answer the one already published), with times as
        ISO 8601 strings. A DomainError (the month has not ended…) is a non-retryable ApplicationError."""
        desk = EvaluationDesk(self._pool, await load_org(self._pool), self._weights, work_calendar())
        try:
            published = await desk.publish(Period.parse(input.period), MONTHLY_CLOSE_ACTOR, datetime.now(UTC))
        except DomainError as error:
            raise ApplicationError(error.message, type=type(error).__name__, non_retryable=True) from None
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in published.items()}
