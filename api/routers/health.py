"""Liveness: the API is up and can reach its database and Temporal."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import ClientDep, SessionDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(session: SessionDep, client: ClientDep) -> JSONResponse:
    checks: dict[str, Any] = {}
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
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
