"""The FastAPI application: operators' API, provider webhooks and, in development, the sandbox's helpers."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from temporalio.client import Client
from temporalio.service import RPCError

from api.auth import OperatorCache
from api.guards import BodySizeLimit, WebAppHeaders, refuse_nul
from api.routers import (
    agents,
    chat,
    conversations,
    customers,
    detection,
    dev,
    email_accounts,
    events,
    health,
    helpdesk,
    inbound,
    inbox,
    locations,
    me,
    meta,
    operators,
    outbox,
    usage,
)
from api.web import pages
from api.webhooks import relay, sendgrid, twilio
from models.db import make_engine, process_engine
from providers.mail_servers import MailServerRules
from settings import Settings, get_settings
from temporal_client import connect

RETRY_AFTER_SECONDS = 5
_OLD_SECRET_HIDDEN = sendgrid.OldSecretHidden()


def create_app(settings: Settings | None = None, engine: Engine | None = None, client: Client | None = None) -> FastAPI:
    """Build the app; tests hand in their own engine and client, production builds them at start-up."""
    settings = settings or get_settings()
    mail_server_rules = MailServerRules.from_settings(settings)  # a bad allow-list entry stops the start
    logging.getLogger("uvicorn.access").addFilter(_OLD_SECRET_HIDDEN)  # once: a logger keeps a filter once

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.refuse_unsigned()
        app.state.settings = settings
        app.state.engine = engine or process_engine(settings)
        # The health probe has a connection of its own: under load it must not queue behind the traffic it reports on.
        app.state.health_engine = engine or make_engine(settings.resolved_database_url, pool_size=1, max_overflow=0)
        app.state.client = client or await connect(lazy=True)
        app.state.operators = OperatorCache(settings.operator_cache_seconds)
        app.state.mail_server_rules = mail_server_rules
        yield
        if engine is None:
            app.state.engine.dispose()
            app.state.health_engine.dispose()

    # The API's reference (/docs, /redoc) with its scripts and styles served from here: no CDN, so it works offline.
    app = FastAPIOffline(
        title="Proactive Outreach",
        description="AI proactive agents for flexible workspaces: inbox, decisions, conversations.",
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(refuse_nul)],
    )
    app.add_middleware(WebAppHeaders, prefix="/app")
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes,
                       larger={sendgrid.INBOUND_PATH: settings.inbound_max_bytes})  # fmt: skip
    for module in (health, inbox, conversations, inbound, outbox, agents, detection, customers, events, email_accounts,
                   helpdesk, usage, chat, me, operators, meta, locations, sendgrid, twilio, relay):  # fmt: skip
        app.include_router(module.router)
    if settings.development:
        app.include_router(dev.router)
    pages.install(app)

    @app.exception_handler(RequestValidationError)
    async def readable_validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = []
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"] if part != "body") or "body"
            problems.append(f"{where}: {problem['msg']}")
        return JSONResponse(
            status_code=422,
            content={"detail": "; ".join(problems), "errors": jsonable_encoder(error.errors())},
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def database_unavailable(_request: Request, _error: Exception) -> JSONResponse:
        # The database is down, or every pooled connection is busy: a moment's wait is the answer, not a 500.
        return unavailable("The database could not be reached or is busy; try again shortly.")

    @app.exception_handler(RPCError)
    async def temporal_error(_request: Request, error: RPCError) -> JSONResponse:
        return temporal_unavailable(error.status.name)

    @app.exception_handler(RuntimeError)
    async def temporal_unreachable(request: Request, error: RuntimeError) -> JSONResponse:
        # The lazy client reports a server it cannot reach this way; anything else is a real bug.
        if not str(error).startswith("Failed client connect"):
            raise error
        return temporal_unavailable("unreachable")

    return app


def temporal_unavailable(reason: str) -> JSONResponse:
    return unavailable(f"The workflow service could not be reached ({reason}); try again shortly.")


def unavailable(detail: str) -> JSONResponse:
    """503, with when to try again: what a client (or a load balancer) does about a dependency that is away."""
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": detail},
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


app = create_app()
