"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import ServicesDep
from eventstore.pool import check_database

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "PostgreSQL or Temporal is not reachable"}})
async def readyz(services: ServicesDep) -> JSONResponse:
    """PostgreSQL and Temporal are reachable."""
    checks = {}
    try:
        await check_database(services.pool)
        checks["postgres"] = "ok"
    except Exception as exc:  # noqa: BLE001 - readiness reports any failure
        checks["postgres"] = f"error: {exc}"
    try:
        await services.petitions.check_health()
        checks["temporal"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["temporal"] = f"error: {exc}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "not_ready", "checks": checks},
                        status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics() -> Response:
    """Prometheus exposition (text format 0.0.4) of this process's metrics."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
