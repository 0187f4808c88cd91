"""`make run` as a newcomer runs it: the whole stack in one command, Ctrl-C stops every process, a second run keeps
all state and duplicates nothing, a worker or an API that dies is started again, and SIGTERM stops it all."""

import asyncio
import os
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from devstack import port_open
from tests.conftest import emailable, free_port, poll, poll_emailable

BIN = Path(sys.executable).parent


@asynccontextmanager
async def make_run(env: dict[str, str], output: list[str]) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        str(BIN / "outreach"), "dev", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    assert process.stdout is not None

    async def read() -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            output.append(line.decode())

    reader = asyncio.create_task(read())

    async def ready() -> bool:
        if process.returncode is not None:
            raise AssertionError("make run exited early:\n" + "".join(output))
        return any("Press Ctrl-C" in line for line in output)

    try:
        await poll(ready, "the stack to start", seconds=120)
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        await asyncio.wait_for(process.wait(), 60)
        await reader


def newcomer_env(data_dir: Path, ports: dict[str, int]) -> dict[str, str]:
    """A shell with none of our variables set, on ports of the test's own."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TEMPORAL_", "OUTREACH_")) and key != "DATABASE_URL"
    } | {
        "OUTREACH_DATA_DIR": str(data_dir),
        "OUTREACH_DEV_TEMPORAL_PORT": str(ports["temporal"]),
        "OUTREACH_DEV_UI_PORT": str(ports["ui"]),
        "OUTREACH_API_PORT": str(ports["api"]),
    }


async def test_make_run_starts_everything_survives_a_restart_and_processes_that_die(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("temporal", "ui", "api")}
    env = newcomer_env(tmp_path, ports)
    api = f"http://127.0.0.1:{ports['api']}"
    output: list[str] = []

    async with make_run(env, output):
        # Where to read the admin token, never the token itself: make run's output may be kept in logs.
        token = (tmp_path / "dev-admin-token").read_text().strip()
        assert token not in "".join(output) and f"Admin token  in {tmp_path / 'dev-admin-token'}" in "".join(output)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=api, headers=headers) as http:
            # It is development: the sandbox's helpers are there (this one says what it cannot find).
            played = await http.post("/api/dev/simulate-conversion", json={"proposed_action_id": "nope"})
            assert played.json()["detail"] == "No proposed action with id 'nope'."

            async def proposals() -> dict[str, Any] | None:
                inbox = (await http.get("/api/inbox", params={"page_size": 1})).json()
                return inbox if inbox["total"] > 0 else None

            await poll(proposals, "pending proposals from the first detection run", seconds=120)
            client = await Client.connect(f"127.0.0.1:{ports['temporal']}")

            async def detection_done() -> int:
                query = 'WorkflowType = "DetectionWorkflow" AND ExecutionStatus = "Completed"'
                return (await client.count_workflows(query)).count >= 2

            await poll(detection_done, "both locations' detection runs to finish", seconds=120)
            outreaches = (await client.count_workflows('WorkflowType = "OutreachWorkflow"')).count

            async def all_proposed() -> dict[str, Any] | None:
                inbox = (await http.get("/api/inbox", params={"page_size": 1})).json()
                return inbox if inbox["total"] == outreaches else None

            first = await poll(all_proposed, "every outreach to reach the inbox")
            pending = (await http.get("/api/inbox", params={"status": "pending", "page_size": 50})).json()
            [action] = await emailable(http, pending["items"])
            assert (await http.post(f"/api/inbox/{action['id']}/approve", json={})).status_code == 200

    assert "Stopping" in "".join(output)
    for port in ports.values():
        assert not port_open(port), f"port {port} still open after Ctrl-C"

    output.clear()
    async with make_run(env, output) as stack:
        assert "kept from the last run" in "".join(output)
        async with httpx.AsyncClient(base_url=api, headers=headers) as http:
            client = await Client.connect(f"127.0.0.1:{ports['temporal']}")

            async def second_detection_done() -> int:
                query = 'WorkflowType = "DetectionWorkflow" AND ExecutionStatus = "Completed"'
                return (await client.count_workflows(query)).count >= 4

            await poll(second_detection_done, "the second run's detection", seconds=120)
            again = (await http.get("/api/inbox", params={"page_size": 1})).json()
            assert again["total"] == first["total"]
            assert (await client.count_workflows('WorkflowType = "OutreachWorkflow"')).count == outreaches

            async def delivered() -> bool:
                return (await http.get(f"/api/inbox/{action['id']}")).json()["status"] == "sent"

            await poll(delivered, "the approval made before the restart to be delivered", seconds=90)
            assert (await http.get("/api/outbox")).json()["total"] == 1
            by_attribute = f'OutreachStatus = "sent" AND LocationId = "{action["location_id"]}"'
            assert (await client.count_workflows(by_attribute)).count == 1

        # A worker or an API that dies is started again, and the rest of the stack keeps running.
        for name in ("worker", "API"):
            pid = started_pid(output, name)
            assert pid is not None
            os.kill(pid, signal.SIGKILL)

            async def restarted(name: str = name, pid: int = pid) -> bool:
                new = started_pid(output, name)
                return new is not None and new != pid

            await poll(restarted, f"the {name} to be restarted", seconds=60)
            assert any(line.startswith(f"The {name} exited with code -9; restarting it in") for line in output)
        assert stack.returncode is None
        # An approval waits for the workflow's answer, which a worker still starting (loading the conversation's
        # model on a busy machine) gives in seconds, not at once.
        async with httpx.AsyncClient(base_url=api, headers=headers, timeout=60) as http:

            async def answering() -> list[dict[str, Any]] | None:
                try:
                    response = await http.get("/api/inbox", params={"status": "pending", "page_size": 50})
                except httpx.TransportError:
                    return None
                return response.json()["items"] or None

            other = await poll_emailable(http, answering, "the restarted API to list an emailable proposal", 120)
            assert (await http.post(f"/api/inbox/{other['id']}/approve", json={})).status_code == 200

            async def restarted_delivered() -> bool:
                return (await http.get(f"/api/inbox/{other['id']}")).json()["status"] == "sent"

            await poll(restarted_delivered, "the restarted worker to deliver the approval", seconds=90)

        # A process manager's SIGTERM stops the whole stack as Ctrl-C does: nothing is left running.
        children = [started_pid(output, name) for name in ("worker", "API")]
        stack.send_signal(signal.SIGTERM)
        await asyncio.wait_for(stack.wait(), 60)
        for pid in children:
            assert pid is not None
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)


async def test_make_run_uses_the_cluster_temporal_address_names(
    tmp_path: Path, dev_server: WorkflowEnvironment
) -> None:
    # A namespace without our search attributes, as a cluster of one's own would be.
    namespace = f"devstack-{uuid.uuid4()}"
    await dev_server.client.workflow_service.register_namespace(
        RegisterNamespaceRequest(namespace=namespace, workflow_execution_retention_period=Duration(seconds=86_400))
    )
    ports = {name: free_port() for name in ("temporal", "ui", "api")}
    cluster = dev_server.client.service_client.config.target_host
    env = newcomer_env(tmp_path, ports) | {"TEMPORAL_ADDRESS": cluster, "TEMPORAL_NAMESPACE": namespace}
    output: list[str] = []
    async with make_run(env, output):
        assert f"Using the Temporal cluster at {cluster}" in "".join(output)
        assert not port_open(ports["temporal"]) and not port_open(ports["ui"])
        client = await Client.connect(cluster, namespace=namespace)

        async def outreaches() -> int:
            # Detection starts outreaches with our search attributes: it works only if they were registered.
            return (await client.count_workflows('WorkflowType = "OutreachWorkflow"')).count

        await poll(outreaches, "detection to start outreaches on the named cluster", seconds=120)


def started_pid(output: list[str], name: str) -> int | None:
    """The pid of the newest start of `name` that make run announced."""
    pids = [int(line.split("(pid ")[1].rstrip(").\n")) for line in output if line.startswith(f"Started the {name} (")]
    return pids[-1] if pids else None


async def test_make_run_refuses_a_temporal_server_it_did_not_start(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("temporal", "ui", "api")}
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports["temporal"]))
        squatter.listen()
        process = await asyncio.create_subprocess_exec(
            str(BIN / "outreach"),
            "dev",
            env=newcomer_env(tmp_path, ports),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    said = output.decode()
    assert process.returncode == 1, said
    assert f"Port {ports['temporal']} is already in use by something `make run` did not start" in said
    assert f"TEMPORAL_ADDRESS=127.0.0.1:{ports['temporal']}" in said
    assert not port_open(ports["api"])


async def test_make_run_refuses_a_provider_that_reaches_real_customers(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("temporal", "ui", "api")}
    env = newcomer_env(tmp_path, ports) | {"OUTREACH_SMTP_HOST": "smtp.example.com"}
    process = await asyncio.create_subprocess_exec(
        str(BIN / "outreach"), "dev", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    said = output.decode()
    assert process.returncode == 2, said
    assert "OUTREACH_DEVELOPMENT is on while an SMTP relay (OUTREACH_SMTP_HOST) reaches real customers" in said
    assert not port_open(ports["temporal"]) and not port_open(ports["api"])
