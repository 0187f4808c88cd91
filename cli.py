"""`outreach`: the command line for operators and engineers."""

import asyncio
import os
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError

from models.operators import DEFAULT_PERMISSIONS, Permission
from settings import get_settings

app = typer.Typer(help="Proactive Outreach: AI proactive agents for flexible workspaces.", no_args_is_help=True)
schedules_app = typer.Typer(help="Detection schedules in Temporal.", no_args_is_help=True)
operators_app = typer.Typer(help="Operators and their API tokens.", no_args_is_help=True)
app.add_typer(schedules_app, name="schedules")
app.add_typer(operators_app, name="operators")


@app.command()
def dev() -> None:
    """Run the whole stack on embedded defaults, in development (what `make run` does)."""
    from devstack import run_dev_stack

    os.environ["OUTREACH_DEVELOPMENT"] = "1"  # for the processes it starts, too
    try:
        settings = get_settings()
    except ValidationError as refused:  # development with a provider that reaches real customers
        typer.echo(refused.errors()[0]["msg"].removeprefix("Value error, "), err=True)
        raise typer.Exit(2) from None
    run_dev_stack(settings)


@app.command()
def migrate() -> None:
    """Apply database migrations."""
    from models.migrate import upgrade

    upgrade(get_settings().resolved_database_url)
    typer.echo("Database is at the newest schema.")


@app.command()
def seed() -> None:
    """Create the demo locations, customers and space data (skips locations that exist)."""
    from demo.seed import seed_demo_data
    from models.db import make_engine

    created = seed_demo_data(make_engine(get_settings().resolved_database_url))
    typer.echo(f"Created demo locations: {', '.join(created)}" if created else "Demo data already present.")


@app.command()
def worker() -> None:
    """Run a worker (workflows and activities)."""
    from worker import run_worker

    asyncio.run(run_worker())


SHUTDOWN_GRACE_SECONDS = 30


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="Bind address [default: OUTREACH_API_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: OUTREACH_API_PORT]")] = None,
) -> None:
    """Serve the HTTP API."""
    settings = get_settings()
    # A stopping server waits this long for open requests; a conversation's change stream would hold it for minutes.
    uvicorn.run("api.main:app", host=host or settings.api_host, port=port or settings.api_port, log_level="info",
                timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS)  # fmt: skip


@schedules_app.command("sync")
def schedules_sync(
    trigger: Annotated[bool, typer.Option(help="Also start a detection run now.")] = False,
) -> None:
    """Create or update one detection schedule per location."""
    from models.db import make_engine
    from schedules import sync_schedules
    from temporal_client import connect

    settings = get_settings()

    async def run() -> list[str]:
        return await sync_schedules(
            await connect(), make_engine(settings.resolved_database_url), settings, trigger=trigger
        )

    locations = asyncio.run(run())
    typer.echo(f"Detection schedules in place for: {', '.join(locations) or 'no locations'}")


@app.command("call-simulator")
def call_simulator(
    action_id: Annotated[str, typer.Argument(help="The id of a voice outreach that was placed")],
) -> None:
    """Be the customer on a call, without a phone: type what you say, hear the AI (Twilio's ConversationRelay
    protocol against this deployment's WebSocket, on the call's own session as its TwiML would hand it out)."""
    from datetime import UTC, datetime

    from sqlmodel import Session, col, select

    from api.webhooks.relay import connection, relay_key
    from call_simulator import simulate
    from devstack import PORTAL_SECRET_FILE
    from models.db import make_engine
    from models.messages import Channel
    from models.tables import Delivery

    settings = get_settings()
    kept = settings.data_dir / PORTAL_SECRET_FILE  # `make run` signs with the secret it keeps there
    key = relay_key(settings) or (kept.read_text().strip() if kept.exists() else None)
    if key is None:
        raise typer.BadParameter("No key to sign the call with: set OUTREACH_PORTAL_LINK_SECRET (or run make run).")
    with Session(make_engine(settings.resolved_database_url)) as db:
        placed = select(Delivery).where(col(Delivery.proposed_action_id) == action_id,
                                        col(Delivery.channel) == Channel.voice)  # fmt: skip
        call = db.exec(placed.order_by(col(Delivery.created_at).desc())).first()
    if call is None or call.provider_message_id is None:
        raise typer.BadParameter(f"No call of outreach {action_id!r} was placed: approve it as a call first.")
    connect = connection(settings.public_base_url, key, call, call.provider_message_id, datetime.now(UTC))
    asyncio.run(simulate(connect, key, call.provider_message_id))


@app.command("register-search-attributes")
def search_attributes_register() -> None:
    """Register our custom search attributes on a Temporal cluster (once per namespace)."""
    from domain import search_attributes
    from temporal_client import connect, register_search_attributes

    async def run() -> None:
        await register_search_attributes(await connect())

    asyncio.run(run())
    typer.echo("Search attributes registered: " + ", ".join(key.name for key in search_attributes.ALL))


@operators_app.command("create")
def operators_create(
    name: str,
    email: str,
    location: Annotated[list[str] | None, typer.Option(help="A location the operator may act on (repeat).")] = None,
    admin: Annotated[bool, typer.Option(help="Access to every location, with every permission.")] = False,
    permission: Annotated[
        list[Permission] | None,
        typer.Option(help="What the operator may change (repeat); default: proposedAction, to review proposals."),
    ] = None,
) -> None:
    """Create an operator and print its API token (shown once; only a hash is stored)."""
    from models.db import make_engine
    from models.operators import create_operator

    if not admin and not location:
        raise typer.BadParameter("Give at least one --location, or --admin.")
    try:
        token = create_operator(
            make_engine(get_settings().resolved_database_url),
            name=name,
            email=email,
            location_ids=location or [],
            is_admin=admin,
            permissions=permission or DEFAULT_PERMISSIONS,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="EMAIL") from error
    typer.echo(token)


@operators_app.command("grant")
def operators_grant(
    email: str,
    permission: Annotated[list[Permission], typer.Option(help="A permission to add (repeat).")],
) -> None:
    """Let an existing operator change more; its token stays the same."""
    from models.db import make_engine
    from models.operators import grant

    try:
        held = grant(make_engine(get_settings().resolved_database_url), email, permission)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="EMAIL") from error
    typer.echo(f"{email} now has: {', '.join(held)}")


if __name__ == "__main__":
    app()
