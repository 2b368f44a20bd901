#!/usr/bin/env python3
"""The one developer entry point; needs nothing but python3.

    python3 dev.py run                 # the service (the local simulator when no token is set)
    python3 dev.py test [--database URL] [--no-lint] [pytest args]
    python3 dev.py bench loop|notice|classify [options]
    python3 dev.py lint | lock | install

The first call makes .venv/ and installs exactly what the two locks pin (with hashes):
requirements.lock (what the service runs on, as a server installs it) and requirements-dev.lock
(what development adds: tests, linters, the locker). Later calls reinstall only when a lock file
or pyproject.toml changed.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
LOCK = ROOT / "requirements.lock"  # the service's runtime dependencies only
DEV_LOCK = ROOT / "requirements-dev.lock"  # what development adds on top of LOCK
STAMP = VENV / ".install-stamp"
PACKAGES = ["bot", "handlers", "domain", "nlp", "storage"]


def say(text: str) -> None:
    print(f"dev.py: {text}", flush=True)


def run(*args: str | Path, env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(a) for a in args], cwd=ROOT, env=env)


def check(*args: str | Path) -> None:
    code = run(*args)
    if code:
        sys.exit(code)


def install() -> None:
    """Create .venv and install the locked dependencies, when anything changed."""
    inputs = (LOCK, DEV_LOCK, ROOT / "pyproject.toml")
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in inputs)).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    if not (BIN / "python").exists():
        say("creating .venv")
        venv.create(VENV, with_pip=True)
    say("installing the locked dependencies (first run takes a minute)")
    pip = [BIN / "python", "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    check(*pip, "--require-hashes", "--no-deps", "-r", LOCK, "-r", DEV_LOCK)
    check(*pip, "--no-deps", "-e", ".")
    STAMP.write_text(digest)


def lint() -> None:
    check(BIN / "ruff", "check", ".")
    check(BIN / "ruff", "format", "--check", ".")
    check(BIN / "mypy")


def test(args: list[str]) -> int:
    env = dict(os.environ)
    do_lint = True
    rest: list[str] = []
    it = iter(args)
    for arg in it:
        if arg == "--database":
            env["LINLI_TEST_DATABASE_URL"] = next(it)
        elif arg.startswith("--database="):
            env["LINLI_TEST_DATABASE_URL"] = arg.split("=", 1)[1]
        elif arg == "--no-lint":
            do_lint = False
        else:
            rest.append(arg)
    if do_lint:
        lint()
    url = env.get("LINLI_TEST_DATABASE_URL")
    if url:
        say(f"tests run on PostgreSQL: {url}")
    else:
        say("tests run on SQLite ONLY; PostgreSQL is NOT tested (pass --database URL)")
    return run(BIN / "python", "-m", "pytest", *rest, env=env)


def bench(args: list[str]) -> int:
    """Run one benchmark script: bench/bench_<name>.py (loop, notice, classify)."""
    names = sorted(p.stem.removeprefix("bench_") for p in (ROOT / "bench").glob("bench_*.py"))
    if not args or args[0] not in names:
        say(f"usage: python3 dev.py bench {{{'|'.join(names)}}} [options]")
        return 2
    return run(BIN / "python", ROOT / "bench" / f"bench_{args[0]}.py", *args[1:])


def lock() -> None:
    """Re-pin every dependency (after editing pyproject.toml): the runtime lock, then the
    development lock with only what development adds (constrained to the runtime pins)."""
    common = ["--generate-hashes", "--universal", "--python-version", "3.11", "--quiet"]
    uv = [BIN / "uv", "pip", "compile", *common]
    check(*uv, "pyproject.toml", "--extra", "postgres", "-o", LOCK.name)
    runtime = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", LOCK.read_text(), re.MULTILINE)
    skip = [arg for name in runtime for arg in ("--no-emit-package", name)]
    check(*uv, "--group", "pyproject.toml:dev", "-c", LOCK.name, *skip, "-o", DEV_LOCK.name)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    command, args = sys.argv[1], sys.argv[2:]
    if command == "lock":
        lock()
        return 0
    install()
    if command == "install":
        return 0
    if command == "run":
        return run(BIN / "linli", "run", *args)
    if command == "test":
        return test(args)
    if command == "lint":
        lint()
        return 0
    if command == "bench":
        return bench(args)
    say(f"unknown command {command!r}")
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
