"""The heart knows no messenger: domain, handlers, nlp and storage import with aiogram,
python-telegram-bot and aiohttp made unimportable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
HEART = ("domain", "handlers", "nlp", "storage")

PROBE = """
import importlib, pkgutil, sys
for blocked in ("aiogram", "telegram", "aiohttp"):
    sys.modules[blocked] = None  # any import of them now raises ImportError
for package in {heart!r}:
    module = importlib.import_module(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        if ".migrations" in info.name or info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)
print("ok")
"""


def test_the_heart_imports_without_any_messenger_library() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heart=HEART)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
