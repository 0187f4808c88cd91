"""Liveness: the API is up and can reach its database and Temporal."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from api.deps import ClientDep, SessionDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(session: SessionDep, client: ClientDep) -> JSONResponse:
    checks: dict[str, Any] = {}
    try:
        # On a thread, and released before Temporal is asked: a slow database must not stall the event loop.
        await run_in_threadpool(session.exec, text("SELECT 1"))  # type: ignore[arg-type]
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"unreachable: {error.__class__.__name__}"
    session.close()
    try:
        healthy = await client.service_client.check_health()
        checks["temporal"] = "ok" if healthy else "not serving"
    except Exception as error:
        checks["temporal"] = f"unreachable: {error.__class__.__name__}"
    ok = all(value == "ok" for value in checks.values())
    return JSONResponse({"status": "ok" if ok else "degraded", **checks}, status_code=200 if ok else 503)
