"""Dependencies: the services built at start-up by the app's lifespan, as Annotated types."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from temporalio.client import Client

from config.reference_data import work_calendar
from config.settings import Settings
from domain.evaluation import ScoringWeights
from domain.policy import Policy
from evaluation.desk import EvaluationDesk
from eventstore.evaluation_projection import catch_up
from eventstore.store import EventStore
from org.model import OrgTree
from org.repository import load_org
from services.intake import IntakeService
from workflows.client import PetitionClient

ORG_TTL_SECONDS = 30.0  # `jiehu org load` reaches a running API within this time


@dataclass
class Services:
    """What the routes share, built once per API process: settings, the database pool, the petition client, the SLA
    policy, the org (reloaded every `ORG_TTL_SECONDS`, 30 s), scoring weights and the Temporal client."""

    settings: Settings
    pool: asyncpg.Pool
    petitions: PetitionClient
    policy: Policy
    org: OrgTree
    weights: ScoringWeights = field(default_factory=lambda: ScoringWeights())
    temporal: Client | None = None  # for use cases that start workflows of their own (a calendar re-plan)
    org_loaded_at: float = field(default_factory=time.monotonic)

    async def current_org(self) -> OrgTree:
        """The org tree, reloaded from the database when the copy is older than `ORG_TTL_SECONDS` (30 s)."""
        if time.monotonic() - self.org_loaded_at > ORG_TTL_SECONDS:
            self.org = await load_org(self.pool)
            self.org_loaded_at = time.monotonic()
        return self.org


async def _desk(request: Request) -> EvaluationDesk:
    services = _services(request)
    return EvaluationDesk(services.pool, await services.current_org(), services.weights, work_calendar())


async def _evaluation_conn(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """A connection on which the evaluation projection has caught up with the log (read your writes)."""
    async with _services(request).pool.acquire() as conn:
        await catch_up(conn)
        yield conn


def _services(request: Request) -> Services:
    return request.app.state.services


async def _org(request: Request) -> OrgTree:
    return await _services(request).current_org()


def _intake(request: Request) -> IntakeService:
    services = _services(request)
    return IntakeService(services.pool, services.petitions, services.policy, work_calendar,
                         duplicates=services.settings.duplicate_rule())


def _store(request: Request) -> EventStore:
    return EventStore(_services(request).pool)


ServicesDep = Annotated[Services, Depends(_services)]
OrgDep = Annotated[OrgTree, Depends(_org)]
StoreDep = Annotated[EventStore, Depends(_store)]
IntakeDep = Annotated[IntakeService, Depends(_intake)]
DeskDep = Annotated[EvaluationDesk, Depends(_desk)]
EvaluationConn = Annotated[asyncpg.Connection, Depends(_evaluation_conn)]
