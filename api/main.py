"""The API's composition root: `create_app(settings)` builds the pool, the Temporal client and routes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI

from api.auth import verifier_from
from api.body_limit import BodyLimitMiddleware
from api.deps import Services
from api.errors import install_error_handlers
from api.observability import RequestContextMiddleware
from api.open311 import routes as open311
from api.rate_limit import IntakeLimiter
from api.routes import (
    access_log,
    appeals,
    calendar,
    channels,
    commands,
    console,
    departments,
    duplicates,
    health,
    hotline,
    insight,
    listing,
    notifications,
    overview,
    petitions,
    property_hotline,
    property_rounds,
    reference,
    reopen,
    scorecards,
    sms,
    visit_days,
)
from config.reference_data import adopt_arrangements, load_policy, load_scoring
from config.settings import Settings
from eventstore.calendar_log import read_calendar_log
from eventstore.pool import create_pool_waiting
from eventstore.store import EventStore
from org.repository import load_org
from services.calendar import follow_calendar, resume_replans
from workflows.client import PetitionClient
from workflows.connection import connect_temporal

log = structlog.get_logger()


def create_app(settings: Settings, *, dev_tokens: bool = False) -> FastAPI:
    """The FastAPI app of one API process: routes, error handlers, the body limit (`max_body_bytes`), request context
    and metrics; its lifespan opens the pool and the Temporal client, loads the org, the policy (checked for every
    category) and the loaded holiday arrangements, follows the calendar stream, resumes unfinished re-plans, and
    closes the pool on shutdown; the intake rate limiter (`intake_burst`, `intake_per_minute`) is this process's own.
    RuntimeError at once if no token verifier is configured. `dev_tokens` (only `jiehu
    dev` passes it) serves `POST /v1/dev/tokens` for the console's role picker."""
    verifier = verifier_from(settings)  # fail at start-up, not at the first request

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # PostgreSQL restarting when the API starts (a crash, a deploy): wait for it rather than die
        pool = await create_pool_waiting(settings.database_url, max_size=settings.db_pool_size,
                                         on_wait=lambda reason: log.warning("waiting_for_postgres", reason=reason))
        assert pool is not None  # no stop event: it waits until PostgreSQL answers
        client = await connect_temporal(settings.temporal_address, settings.temporal_namespace,
                                        settings.temporal_sdk_metrics)
        org = await load_org(pool)
        policy = load_policy(settings.policy)
        policy.validate_all(list(org.categories))
        store = EventStore(pool)
        calendar_log = await read_calendar_log(store)  # read once at start: adopted, and its re-plans resumed
        adopt_arrangements(calendar_log.arrangements)  # before the first petition starts
        app.state.services = Services(settings=settings, pool=pool, org=org, policy=policy,
                                      petitions=PetitionClient(client, settings.task_queue),
                                      weights=load_scoring(settings.scoring), temporal=client)
        following = asyncio.create_task(follow_calendar(store, adopted=True))
        resumed = await resume_replans(calendar_log, client, settings.task_queue)
        if resumed:
            log.info("calendar re-plans resumed", sequences=resumed)
        try:
            yield
        finally:
            following.cancel()
            await pool.close()

    app = FastAPI(title="jiehu", version="0.1.0", lifespan=lifespan,
                  description="街呼区应: closed-loop handling of residents' petitions (诉求).")
    app.state.verifier = verifier
    app.state.intake_limiter = IntakeLimiter(settings.intake_burst, settings.intake_per_minute)  # per process
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)  # outermost: every response, even a 413, is measured
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(listing.router)
    app.include_router(overview.router)
    app.include_router(petitions.router)
    app.include_router(hotline.router)
    app.include_router(visit_days.router)  # issue 14 §4
    app.include_router(property_hotline.router)
    app.include_router(commands.router)
    app.include_router(duplicates.router)  # issue 14 §5
    app.include_router(reopen.router)
    app.include_router(departments.router)
    app.include_router(notifications.router)
    app.include_router(sms.router)
    app.include_router(reference.router)
    app.include_router(calendar.router)
    app.include_router(scorecards.router)
    app.include_router(channels.router)
    app.include_router(property_rounds.router)
    app.include_router(appeals.router)
    app.include_router(insight.router)
    app.include_router(access_log.router)
    app.include_router(open311.router)
    app.include_router(console.router)  # last: `/console/{path}` and `/` claim nothing of the API's
    app.state.dev_tokens = dev_tokens
    if dev_tokens:
        app.include_router(console.dev_router)
    return app
