"""The import rules of DESIGN §6, kept true by reading every import in the project: each room imports only
the rooms below it, `api/` imports no activity module, and no module reaches itself through its imports."""

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Top to bottom: a room may import its own modules and any room below it, never one above.
LAYERS: list[set[str]] = [
    {"cli", "devstack", "call_simulator", "benchmarks", "evaluation", "demo", "worker"},
    {"api"},
    {"schedules"},
    {"workflows"},
    {"activities"},
    # The conversational AI: the activities that think and the workflow's turn loop are adapters over it.
    {"conversation"},
    # Below the activities: the mailbox sync activity routes what it reads as the webhooks do. It names the
    # workflows it signals by type (domain.ids), so it needs none of them.
    {"inbound"},
    {"agents"},
    {"safeguards"},
    {"providers"},
    {"temporal_client"},
    {"domain"},
    {"models"},
    {"settings"},
]
RANK = {room: rank for rank, rooms in enumerate(LAYERS) for room in rooms}
# Beyond the layering: the API reaches workflows through their handles, never an activity directly.
FORBIDDEN = {("api", "activities")}


def project_modules() -> dict[str, Path]:
    modules = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[0] not in RANK:
            continue
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = project_modules()


def imports_of(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """Every project module `module` imports (at the top, in a function, or passed through), with its line."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], base]).strip(".")
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != module:
                yield target, node.lineno


GRAPH = {module: dict(imports_of(module, path)) for module, path in MODULES.items()}


def room(module: str) -> str:
    return module.split(".")[0]


def test_every_room_has_a_layer() -> None:
    assert {room(module) for module in MODULES} <= set(RANK)


def test_rooms_import_only_the_rooms_below_them() -> None:
    upward = [
        f"{MODULES[module].relative_to(ROOT)}:{line} imports {target} (a room above {room(module)})"
        for module, targets in GRAPH.items()
        for target, line in targets.items()
        if room(target) != room(module) and RANK[room(target)] < RANK[room(module)]
    ]
    assert upward == []


def test_the_api_imports_no_activity_module() -> None:
    forbidden = [
        f"{MODULES[module].relative_to(ROOT)}:{line} imports {target}"
        for module, targets in GRAPH.items()
        for target, line in targets.items()
        if (room(module), room(target)) in FORBIDDEN
    ]
    assert forbidden == []


def test_no_module_imports_itself_through_others() -> None:
    cycles: list[list[str]] = []
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycles.append([*path[path.index(module) :], module])
            return
        if module in done:
            return
        for target in GRAPH[module]:
            visit(target, [*path, module])
        done.add(module)

    for module in GRAPH:
        visit(module, [])
    assert cycles == []
