"""Every error as application/problem+json (RFC 9457) with a stable `code`; domain errors mapped once."""

from __future__ import annotations

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import DomainError, StreamConflict

log = structlog.get_logger(__name__)

STATUS_OF_DOMAIN_ERROR = {"InvalidCommand": 422, "InvalidState": 409, "AlreadyReported": 409, "NotPermitted": 403,
                          "NotFound": 404, "DomainError": 422}


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def problem(status: int, code: str, detail: str, **extra: object) -> JSONResponse:
    body = {"type": f"https://jiehu.example/problems/{code}", "title": code.replace("_", " "), "status": status,
            "code": code, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


_DESCRIPTIONS = {
    401: "Missing, invalid or expired bearer token", 403: "The caller's role or unit may not do this",
    404: "No such petition (or not visible to the caller)", 409: "Not allowed in the petition's current state",
    413: "The request body is too large", 422: "Invalid body or command; `errors` names the fields",
    503: "PostgreSQL or Temporal is not reachable",
}


def PROBLEM_RESPONSES(*statuses: int) -> dict[int | str, dict[str, object]]:  # noqa: N802 - reads as a constant
    """OpenAPI entries for the problem+json errors an endpoint can answer."""
    return {s: {"description": _DESCRIPTIONS[s], "content": {"application/problem+json": {}}} for s in statuses}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return problem(exc.status, exc.code, exc.detail)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        field = getattr(exc, "field", None)
        extra = {"errors": [{"field": field, "message": exc.message}]} if field else {}
        return problem(STATUS_OF_DOMAIN_ERROR.get(type(exc).__name__, 422), exc.code, exc.message, **extra)

    @app.exception_handler(StreamConflict)
    async def _conflict(_: Request, exc: StreamConflict) -> JSONResponse:
        return problem(409, exc.code, f"someone else changed it at the same moment; try again ({exc})")

    @app.exception_handler(WorkflowUpdateFailedError)
    async def _update(_: Request, exc: WorkflowUpdateFailedError) -> JSONResponse:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type in STATUS_OF_DOMAIN_ERROR:
            code = cause.details[0]["code"] if cause.details else "domain_error"
            return problem(STATUS_OF_DOMAIN_ERROR[cause.type], code, cause.message)
        log.error("update failed", error=str(cause))
        return problem(503, "command_failed", "the command could not be completed; try again")

    @app.exception_handler(RPCError)
    async def _rpc(_: Request, exc: RPCError) -> JSONResponse:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return problem(404, "petition_not_found", "no running petition has this id")
        log.error("temporal unavailable", error=str(exc))
        return problem(503, "temporal_unavailable", "the workflow engine is not reachable; try again")

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"] if p != "body"), "message": e["msg"]}
                  for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, "validation_error", detail, errors=errors)

    @app.exception_handler(ValidationError)
    async def _model(_: Request, exc: ValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, "validation_error", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, "http_" + str(exc.status_code), str(exc.detail))

    # text PostgreSQL cannot store (NUL, lone surrogates) reaching a query from a path or query parameter
    @app.exception_handler(asyncpg.DataError)
    async def _data(_: Request, exc: asyncpg.DataError) -> JSONResponse:
        return problem(422, "unstorable_text", f"the request holds text that cannot be stored or searched: {exc}")

    @app.exception_handler(UnicodeEncodeError)
    async def _encoding(_: Request, exc: UnicodeEncodeError) -> JSONResponse:
        return problem(422, "unstorable_text", "the request holds characters that are not valid Unicode text")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", error=str(exc))
        return problem(500, "internal_error", "an unexpected error occurred; it has been logged")
