"""Two locks: requirements.lock is what a server installs (no development tool in it);
requirements-dev.lock adds only what development needs; dev.py installs both."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]
DEV_TOOLS = {"pytest", "pytest-asyncio", "hypothesis", "ruff", "mypy", "types-pyyaml", "uv"}


def names(path: Path) -> set[str]:
    found = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", path.read_text(), re.MULTILINE)
    return {name.lower() for name in found}


def requirement(spec: str) -> str:
    return re.split(r"[\s<>=!~;\[]", spec, maxsplit=1)[0].lower()


def test_the_runtime_lock_has_no_development_tool() -> None:
    runtime, dev = names(ROOT / "requirements.lock"), names(ROOT / "requirements-dev.lock")
    assert not runtime & DEV_TOOLS
    assert dev >= DEV_TOOLS
    assert not runtime & dev  # each package pinned once, in one lock


def test_each_lock_pins_what_pyproject_asks_for() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = [
        *project["project"]["dependencies"],
        *project["project"]["optional-dependencies"]["postgres"],
    ]
    assert {requirement(r) for r in runtime} <= names(ROOT / "requirements.lock")
    dev = project["dependency-groups"]["dev"]
    assert {requirement(r) for r in dev} <= names(ROOT / "requirements-dev.lock")


def test_dev_py_installs_both_and_locks_both() -> None:
    source = (ROOT / "dev.py").read_text()
    assert '"-r", LOCK, "-r", DEV_LOCK' in source
    assert '"--group", "pyproject.toml:dev", "-c", LOCK.name' in source
