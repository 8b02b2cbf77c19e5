"""Every error as application/problem+json (RFC 9457) with a stable `code`; domain errors mapped once.

Under /open311/ errors answer as GeoReport v2 does instead (`[{"code", "description"}]`, or
`<errors>` for a URL ending in .xml), whoever raises them: the routes, FastAPI's request validation
(400 there, as the spec answers bad input), a path that does not exist, an unexpected failure."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.open311.formats import error as open311_error
from api.problem_zh import chinese_detail, chinese_field_message, prefers_chinese
from domain.errors import DomainError, StreamConflict
from eventstore.evaluation_projection import ProjectionBehind

log = structlog.get_logger(__name__)

STATUS_OF_DOMAIN_ERROR = {"InvalidCommand": 422, "InvalidState": 409, "AlreadyReported": 409, "NotPermitted": 403,
                          "NotFound": 404, "DomainError": 422}


def status_of(error: DomainError) -> int:
    """The HTTP status of a domain error: its own type's, else the nearest base type's (a service's
    `OutOfScope(NotPermitted)` answers 403)."""
    return next(STATUS_OF_DOMAIN_ERROR[t.__name__] for t in type(error).__mro__ if t.__name__ in STATUS_OF_DOMAIN_ERROR)


class ApiError(Exception):
    """An error a route raises with its HTTP `status`, stable `code` and `detail`; answered as problem+json (or
    GeoReport's format under /open311/)."""

    def __init__(self, status: int, code: str, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.headers: dict[str, str] = dict(headers or {})  # sent with the answer (429: Retry-After)


MAX_DETAIL = 600  # characters: a detail quoting what the caller sent (a 10,000-character id) is cut, not echoed


def problem(status: int, code: str, detail: str, **extra: object) -> JSONResponse:
    """An application/problem+json (RFC 9457) response: type, title, status, `code`, detail (at most `MAX_DETAIL`
    characters, longer ones cut with '…'), and `extra` members (e.g. `errors`)."""
    if len(detail) > MAX_DETAIL:
        detail = detail[:MAX_DETAIL - 1] + "…"
    body = {"type": f"https://jiehu.example/problems/{code}", "title": code.replace("_", " "), "status": status,
            "code": code, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


_DESCRIPTIONS = {
    401: "Missing, invalid or expired bearer token", 403: "The caller's role or unit may not do this",
    404: "No such petition (or not visible to the caller)", 409: "Not allowed in the petition's current state",
    413: "The request body is too large", 429: "Too many reports from this client; `Retry-After` says when to retry",
    422: "Invalid body or command; `errors` names the fields",
    503: "PostgreSQL or Temporal is not reachable, or the figures have not caught up yet",
}


def PROBLEM_RESPONSES(*statuses: int) -> dict[int | str, dict[str, object]]:  # noqa: N802 - reads as a constant
    """OpenAPI entries for the problem+json errors an endpoint can answer."""
    return {s: {"description": _DESCRIPTIONS[s], "content": {"application/problem+json": {}}} for s in statuses}


OPEN311_PREFIX = "/open311/"


def _answer(request: Request, status: int, code: str, detail: str, **extra: object) -> Response:
    """problem+json, or GeoReport's error format (in the URL's format) for an Open311 path. A caller preferring
    Chinese (`Accept-Language: zh-CN`) gets `detail` in Chinese where there is a wording (`api/problem_zh.py`), the
    English one as `detail_en`."""
    path = request.url.path
    if path.startswith(OPEN311_PREFIX):
        return open311_error("xml" if path.endswith(".xml") else "json", 400 if status == 422 else status, detail)
    if prefers_chinese(request.headers.get("accept-language")) and (zh := chinese_detail(code, detail)):
        return problem(status, code, zh, detail_en=detail, **extra)
    return problem(status, code, detail, **extra)


# a check across fields (a model validator) names its field first: "same_as: the open petition … is required"
_NAMED = re.compile(r"^Value error, ([a-z_]+):")


def _field_of(error: Mapping[str, Any]) -> str:
    """The field a validation error is about: its location, or the field a check across fields names first; a
    body that is not JSON at all (located by a character offset), or not an object, is `body`."""
    if error["type"] == "json_invalid":
        return "body"
    path = ".".join(str(p) for p in error["loc"] if p != "body")
    if path:
        return path
    named = _NAMED.match(str(error.get("msg", "")))
    return named.group(1) if named else "body"


def _message_of(error: Mapping[str, Any]) -> str:
    """The error's message; a body that is not a JSON object says how to send one."""
    if error["type"] in ("model_attributes_type", "dict_type") and tuple(error["loc"]) == ("body",):
        return "the body must be a JSON object, sent with content-type: application/json"
    return str(error["msg"])


def unreadable_body(cause: BaseException | None) -> str | None:
    """Why a JSON body could not be read, in words (never the decoder's own), for what the JSON decoder raises
    besides a syntax error: nesting past Python's recursion limit (issue 16 §3: 10,000 levels are a 422, not a
    500), bytes that are not UTF-8, a number of more than 4,300 digits. None for anything else."""
    if isinstance(cause, RecursionError):
        return "the JSON nests too deep to read"
    if isinstance(cause, UnicodeDecodeError):
        return "the body is not UTF-8 text"
    if isinstance(cause, ValueError):
        return "the JSON holds a value that cannot be read (a number too long?)"
    return None


def _in_chinese(request: Request, raw: Sequence[Mapping[str, Any]], errors: list[dict[str, Any]]
                ) -> list[dict[str, Any]]:
    """A 422's `errors` for the caller: as they are, or for a caller preferring Chinese each `message` in Chinese
    (`api/problem_zh.py`, by the validation error's type and limits) with the English kept as `message_en`."""
    if not prefers_chinese(request.headers.get("accept-language")):
        return errors
    return [{**e, "message": chinese_field_message(str(r.get("type", "")), r.get("ctx"), e["message"]),
             "message_en": e["message"]} for r, e in zip(raw, errors, strict=True)]


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error of `app` as problem+json with a stable code (or GeoReport's format under /open311/): domain
    errors by their type (InvalidCommand 422, InvalidState 409, NotPermitted 403, NotFound 404), failed updates,
    Temporal or PostgreSQL away or figures behind (503), invalid requests and unstorable text (422), anything unexpected
    (500, logged)."""
    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        answer = _answer(request, exc.status, exc.code, exc.detail)
        answer.headers.update(exc.headers)
        return answer

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        field = getattr(exc, "field", None)
        extra = {"errors": [{"field": field, "message": exc.message}]} if field else {}
        if field and prefers_chinese(request.headers.get("accept-language")) and (
                zh := chinese_detail(exc.code, exc.message)):
            extra = {"errors": [{"field": field, "message": zh, "message_en": exc.message}]}
        return _answer(request, status_of(exc), exc.code, exc.message, **extra)

    @app.exception_handler(StreamConflict)
    async def _conflict(request: Request, exc: StreamConflict) -> Response:
        return _answer(request, 409, exc.code, f"someone else changed it at the same moment; try again ({exc})")

    @app.exception_handler(ProjectionBehind)
    async def _behind(request: Request, exc: ProjectionBehind) -> Response:
        return _answer(request, 503, exc.code, str(exc))

    @app.exception_handler(WorkflowUpdateFailedError)
    async def _update(request: Request, exc: WorkflowUpdateFailedError) -> Response:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type in STATUS_OF_DOMAIN_ERROR:
            code = cause.details[0]["code"] if cause.details else "domain_error"
            return _answer(request, STATUS_OF_DOMAIN_ERROR[cause.type], code, cause.message)
        log.error("update failed", error=str(cause))
        return _answer(request, 503, "command_failed", "the command could not be completed; try again")

    @app.exception_handler(RPCError)
    async def _rpc(request: Request, exc: RPCError) -> Response:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return _answer(request, 404, "petition_not_found", "no running petition has this id")
        log.error("temporal unavailable", error=str(exc))
        return _answer(request, 503, "temporal_unavailable", "the workflow engine is not reachable; try again")

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"field": _field_of(e), "message": _message_of(e)} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return _answer(request, 422, "validation_error", detail, errors=_in_chinese(request, exc.errors(), errors))

    @app.exception_handler(ValidationError)
    async def _model(request: Request, exc: ValidationError) -> Response:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return _answer(request, 422, "validation_error", detail, errors=_in_chinese(request, exc.errors(), errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400 and (why := unreadable_body(exc.__cause__)):
            # FastAPI's bare 400 "error parsing the body": answered as JSON that does not parse is, naming the body
            return _answer(request, 422, "validation_error", f"body: {why}", errors=[{"field": "body", "message": why}])
        return _answer(request, exc.status_code, "http_" + str(exc.status_code), str(exc.detail))

    # text PostgreSQL cannot store (NUL, lone surrogates) reaching a query from a path or query parameter
    @app.exception_handler(asyncpg.DataError)
    async def _data(request: Request, exc: asyncpg.DataError) -> Response:
        log.info("unstorable text refused", error=str(exc))  # the database's own words stay in the log
        return _answer(request, 422, "unstorable_text", "the request holds text that cannot be stored or searched "
                                                        "(a NUL character or a lone surrogate)")

    @app.exception_handler(UnicodeEncodeError)
    async def _encoding(request: Request, exc: UnicodeEncodeError) -> Response:
        return _answer(request, 422, "unstorable_text",
                       "the request holds characters that are not valid Unicode text")

    # PostgreSQL away: shut down or restarting (operator intervention), a connection cut or refused. Nothing was
    # half-applied (a command's events are one statement); the client tries again, with its Idempotency-Key
    async def _database_away(request: Request, exc: Exception) -> Response:
        log.error("database unavailable", error=str(exc))
        return _answer(request, 503, "database_unavailable", "the database is not reachable; try again")

    for away in (asyncpg.exceptions.OperatorInterventionError, asyncpg.exceptions.PostgresConnectionError,
                 ConnectionError):
        app.add_exception_handler(away, _database_away)

    # the petition's workflow did not answer the update in time (its worker away or busy): the command may still
    # take effect, and the same Idempotency-Key (the same update id) gets its one outcome
    @app.exception_handler(WorkflowUpdateRPCTimeoutOrCancelledError)
    async def _update_timeout(request: Request, exc: WorkflowUpdateRPCTimeoutOrCancelledError) -> Response:
        log.warning("update timed out", error=str(exc))
        return _answer(request, 503, "update_timed_out", "the petition did not answer in time; the command may "
                       "still take effect: send it again with the same Idempotency-Key")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", error=str(exc))
        return _answer(request, 500, "internal_error", "an unexpected error occurred; it has been logged")
