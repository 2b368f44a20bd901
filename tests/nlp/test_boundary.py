"""nlp is a pure library: no messenger, web or storage imports, and silent.

Its start-up time is measured by bench/bench_classify.py, not asserted here (no test asserts a
duration: a busy machine made this one fail).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import sys
import nlp
nlp.Classifier.load().classify("3号楼2单元楼道灯坏了")
banned = ("aiogram", "telegram", "aiohttp", "sqlalchemy", "sqlmodel", "bot", "handlers",
          "storage", "domain", "sklearn")
print([m for m in sys.modules if m.split(".")[0] in banned])
"""


def test_nlp_imports_nothing_outside_itself_and_prints_nothing() -> None:
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", PROBE],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    lines = done.stdout.splitlines()
    assert lines[0] == "[]"  # nor scikit-learn: only `rules evaluate` uses it
    assert done.stderr == ""  # no "Building prefix dict ..." from jieba, no warnings
