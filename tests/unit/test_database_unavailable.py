"""PostgreSQL away (an immediate shutdown, a restart in progress, a connection cut) is answered 503
`database_unavailable` problem+json, a "try again" — never 500 (the fault suite's PostgreSQL crashes found the 500)."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from api.errors import install_error_handlers

AWAY = [asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        ConnectionRefusedError(111, "Connect call failed")]


@pytest.mark.parametrize("error", AWAY, ids=lambda e: type(e).__name__)
async def test_a_database_away_is_503_not_500(error: Exception):
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/v1/thing")
    async def thing() -> None:
        raise error

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://t") as http:
        response = await http.get("/v1/thing")
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "database_unavailable"


async def test_an_update_the_workflow_did_not_answer_in_time_is_503_not_500():
    """The worker away or swamped: Temporal gives up waiting for the update. The command may still land, so the
    answer is 'try again' (503, with the same Idempotency-Key), never 500."""
    from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

    app = FastAPI()
    install_error_handlers(app)

    @app.post("/v1/petitions/P-1/accept")
    async def accept() -> None:
        raise WorkflowUpdateRPCTimeoutOrCancelledError()

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://t") as http:
        response = await http.post("/v1/petitions/P-1/accept")
    assert (response.status_code, response.json()["code"]) == (503, "update_timed_out"), response.text
