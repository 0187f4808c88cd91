"""The project installs and runs outside its source tree: the image's build context (what `.dockerignore` lets
through) builds a wheel that holds every package, root module and migration of the project, and, installed on
its own, migrates a database and imports the worker and the API — no room forgotten, none found by accident."""

import fnmatch
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from settings import PROJECT_ROOT


def packages(root: Path) -> set[str]:
    """Every package of the project's source tree (a folder with an __init__.py), the tests aside."""
    found = {".".join(init.parent.relative_to(root).parts) for init in root.rglob("__init__.py")}
    return {name for name in found if name and not name.startswith(("tests", ".")) and ".venv" not in name}


def build_context(destination: Path) -> Path:
    """What `docker build .` sends: the project without what `.dockerignore` names."""
    patterns = [line.strip() for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()]
    patterns = [pattern.removeprefix("**/") for pattern in patterns if pattern and not pattern.startswith("#")]

    def ignored(folder: str, names: list[str]) -> set[str]:
        relative = Path(folder).relative_to(PROJECT_ROOT)
        return {n for n in names if any(fnmatch.fnmatch(str(relative / n), p) or fnmatch.fnmatch(n, p)
                                        for p in patterns)}  # fmt: skip

    return Path(shutil.copytree(PROJECT_ROOT, destination, ignore=ignored))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The wheel built from the image's context, and the folder it is installed into (without its dependencies,
    which the test's own environment provides)."""
    work = tmp_path_factory.mktemp("package")
    context = build_context(work / "context")
    run = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*run, "wheel", "--no-deps", "--no-build-isolation", "-w", str(work / "dist"), str(context)],
                   check=True, cwd=work)  # fmt: skip
    [wheel] = (work / "dist").glob("*.whl")
    subprocess.run([*run, "install", "--no-deps", "--target", str(work / "site"), str(wheel)], check=True, cwd=work)
    return wheel, work / "site"


def in_installed(site: Path, code: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """Run `code` with the installed wheel and the dependencies only: `-S` keeps the source tree's editable
    install (a `.pth` file) out, and the working directory is not the source tree."""
    path = f"{site}:{sysconfig.get_paths()['purelib']}"
    return subprocess.run([sys.executable, "-S", "-c", code], cwd=site.parent, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": path, **environment}, timeout=120)  # fmt: skip


def test_the_wheel_holds_every_package_module_and_migration(installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    for package in packages(PROJECT_ROOT):
        assert f"{package.replace('.', '/')}/__init__.py" in names, package
    for module in PROJECT_ROOT.glob("*.py"):
        assert module.name in names, module.name
    migrations = {path.name for path in (PROJECT_ROOT / "migrations" / "versions").glob("*.py")}
    assert migrations and {f"migrations/versions/{name}" for name in migrations} <= set(names)
    data = [path.relative_to(PROJECT_ROOT).as_posix() for package in packages(PROJECT_ROOT)
            for path in (PROJECT_ROOT / package.replace(".", "/")).glob("**/*.jsonl")]  # fmt: skip
    assert data and set(data) <= set(names)  # the conversation's examples, the eval's labelled turns
    assert not any(name.startswith("tests/") for name in names)


def test_the_installed_wheel_migrates_and_imports_the_worker_and_the_api(
    installed: tuple[Path, Path], tmp_path: Path
) -> None:
    _, site = installed
    url = f"sqlite:///{tmp_path / 'installed.db'}"
    migrate = in_installed(site, "import sys; from cli import app; sys.argv = ['outreach', 'migrate']; app()",
                           DATABASE_URL=url)  # fmt: skip
    assert migrate.returncode == 0, migrate.stderr
    engine = create_engine(url)
    assert {"proposed_action", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()
    imported = in_installed(site, "import worker, api.main, cli; print(worker.__file__, api.main.__file__)",
                            DATABASE_URL=url)  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert all(path.startswith(str(site)) for path in imported.stdout.split()), imported.stdout
    # The conversation's understanding loads from the installed package alone: its examples, its models.
    understood = in_installed(site, "from conversation.understanding import understand; "
                                    "print(understand('Please stop emailing me').intent)")  # fmt: skip
    assert (understood.returncode, understood.stdout.strip()) == (0, "opt_out"), understood.stderr
