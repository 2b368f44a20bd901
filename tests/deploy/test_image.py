"""The container image, checked without a container engine (none runs on these machines):
deploy/Dockerfile is linted (hadolint, and its structure read with dockerfile-parse), and its
build stage's steps are replayed in a clean virtualenv, which must then hold exactly the runtime
lock plus Linli, no development tool, and run `linli`."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from dockerfile_parse import DockerfileParser

from tests.conftest import PG_URL

ROOT = Path(__file__).parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
BIN = Path(sys.executable).parent  # the development virtualenv: hadolint, python, pip
LIST_DISTRIBUTIONS = (
    "import importlib.metadata as m; print(*(d.metadata['Name'] for d in m.distributions()))"
)


def stages() -> list[list[dict[str, Any]]]:
    """The Dockerfile's instructions, one list per stage (FROM first)."""
    found: list[list[dict[str, Any]]] = []
    for instruction in DockerfileParser(str(DOCKERFILE)).structure:
        if instruction["instruction"] == "FROM":
            found.append([])
        if found and instruction["instruction"] != "COMMENT":
            found[-1].append(instruction)
    return found


def of(stage: list[dict[str, Any]], kind: str) -> list[str]:
    return [i["value"] for i in stage if i["instruction"] == kind]


def lock_names(path: Path) -> set[str]:
    pattern = r"^([A-Za-z0-9][A-Za-z0-9._-]*)=="
    return {n.lower() for n in re.findall(pattern, path.read_text(), re.MULTILINE)}


def test_hadolint_passes() -> None:
    result = subprocess.run(
        [str(BIN / "hadolint"), str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_two_stages_a_non_root_user_and_only_the_runtime_lock() -> None:
    build, runtime = stages()
    assert of(build, "FROM")[0].endswith(" AS build")
    assert of(runtime, "FROM")[0].endswith(" AS runtime")
    users = of(runtime, "USER")
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert of(runtime, "COPY") == ["--from=build /opt/linli /opt/linli"]  # the venv, nothing else
    assert json.loads(of(runtime, "ENTRYPOINT")[0]) == ["linli"]
    assert "LINLI_ENV=production" in of(runtime, "ENV")[0]
    text = DOCKERFILE.read_text()
    assert "requirements-dev.lock" not in text and "--group" not in text
    installs = [r for r in of(build, "RUN") if "install" in r]
    assert any("--require-hashes" in r and "-r requirements.lock" in r for r in installs)
    ignored = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text()
    assert "!requirements-dev.lock" not in ignored and "!.venv" not in ignored


@pytest.mark.skipif(bool(PG_URL), reason="no database in it: runs once, in the SQLite pass")
def test_the_build_stage_makes_a_runtime_only_virtualenv(tmp_path: Path) -> None:
    image = tmp_path / "image"  # stands for the build stage's file system root
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINLI_", "VIRTUAL_ENV"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # `python` and `pip` of the stage
    workdir = image
    build, _ = stages()
    for instruction in build[1:]:
        kind, value = instruction["instruction"], instruction["value"]
        if kind == "ENV":
            for pair in shlex.split(value):
                name, _, setting = pair.partition("=")
                env[name] = str(image) + setting if setting.startswith("/") else setting
        elif kind == "WORKDIR":
            workdir = image / value.lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif kind == "COPY":
            *sources, target = shlex.split(value)
            for source in sources:
                path, goal = ROOT / source, workdir / target
                if path.is_dir():
                    shutil.copytree(path, goal, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy(path, goal / path.name if target.endswith("/") else goal)
        elif kind == "RUN":
            result = subprocess.run(
                ["bash", "-c", value], cwd=workdir, env=env, capture_output=True, text=True
            )
            assert result.returncode == 0, f"RUN {value}\n{result.stdout}\n{result.stderr}"
        else:
            raise AssertionError(f"the replay does not know {kind}: teach it, or keep it simple")

    venv = image / "opt" / "linli"
    listing = subprocess.run(
        [str(venv / "bin" / "python"), "-c", LIST_DISTRIBUTIONS],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {name.lower().replace("_", "-") for name in listing.stdout.split()}
    assert installed == lock_names(ROOT / "requirements.lock") | {"linli"}
    assert not installed & lock_names(ROOT / "requirements-dev.lock")  # no pytest, mypy, ruff…
    assert not (venv / "bin" / "pip").exists()

    run_env = {k: v for k, v in env.items() if not k.startswith("PIP_")}
    run_env["PATH"] = f"{venv / 'bin'}{os.pathsep}/usr/bin:/bin"
    linli = str(venv / "bin" / "linli")
    assert subprocess.run([linli, "--help"], env=run_env, capture_output=True).returncode == 0
    db = f"sqlite:///{tmp_path / 'image.db'}"
    upgrade = subprocess.run(
        [linli, "db", "upgrade"],
        env={**run_env, "LINLI_DATABASE_URL": db},
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert upgrade.returncode == 0, upgrade.stderr  # migrations and their files are packaged
    assert upgrade.stdout.strip().endswith("at head")
    production = subprocess.run(
        [linli, "run"],
        env={**run_env, "LINLI_ENV": "production"},  # as the image sets it
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert production.returncode == 1
    assert production.stderr.startswith("Error: LINLI_ENV=production: LINLI_TELEGRAM_TOKEN")
