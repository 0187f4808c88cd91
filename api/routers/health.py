"""Liveness: the API is up and can reach its database and Temporal."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text

from api.deps import ClientDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(request: Request, client: ClientDep) -> JSONResponse:
    checks: dict[str, Any] = {}
    try:
        # On a thread of its own and the probe's own connection, not the requests' pool and threads: a probe that
        # queued behind the traffic would report a busy API as a dead one.
        await asyncio.to_thread(_select_one, request.app.state.health_engine)
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"unreachable: {error.__class__.__name__}"
    try:
        healthy = await client.service_client.check_health()
        checks["temporal"] = "ok" if healthy else "not serving"
    except Exception as error:
        checks["temporal"] = f"unreachable: {error.__class__.__name__}"
    ok = all(value == "ok" for value in checks.values())
    return JSONResponse({"status": "ok" if ok else "degraded", **checks}, status_code=200 if ok else 503)


def _select_one(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
