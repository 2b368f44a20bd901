"""Throughput of Classifier.classify against bare jieba.lcut, and start-up time.

Run from the repository root:  .venv/bin/python bench/bench_classify.py [--messages N]

Messages: the development sets' texts (devset.csv, chat.csv), each also varied (a building
number, a dialect ending, a traditional-character copy), plus teddy2020c titles when ../shared
is present. One core, same messages, same process; jieba's dictionary cache is warmed before
timing.
"""

from __future__ import annotations

import argparse
import csv
import logging
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEDDY = ROOT.parent / "shared" / "data" / "teddy2020c" / "messages.csv"
DEVSETS = [ROOT / "nlp" / "data" / name for name in ("devset.csv", "chat.csv")]


def messages(limit: int) -> list[str]:
    base: list[str] = []
    for path in DEVSETS:
        with path.open(encoding="utf-8") as fh:
            base += [row["text"] for row in csv.DictReader(fh)]
    varied = []
    for i, text in enumerate(base):
        varied += [text, f"{i % 30 + 1}号楼{text}", f"{text} 么样搞嘛", text.replace("楼", "樓")]
    if TEDDY.exists():
        with TEDDY.open(encoding="utf-8") as fh:
            varied += [row["title"] for row in csv.DictReader(fh) if row["title"]]
    out: list[str] = []
    while len(out) < limit:
        out.extend(varied)
    return out[:limit]


def rates(fns: list[Callable[[str], object]], texts: list[str], repeats: int) -> list[float]:
    """Best-of-``repeats`` messages per second of each function, in CPU time of this process.

    The functions take turns within every round, so a busy machine slows them alike; CPU time
    leaves out the time the process waits for a core.
    """
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.process_time()
            for text in texts:
                fn(text)
            best[i] = min(best[i], time.process_time() - start)
    return [len(texts) / b for b in best]


STARTUP = """
import time
t = time.perf_counter()
from nlp import Classifier
Classifier.load()
print(time.perf_counter() - t)
"""


def startup_seconds(runs: int) -> list[float]:
    """Classifier.load() in a fresh interpreter (jieba cache warm), ``runs`` times."""
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", STARTUP],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        times.append(float(out.stdout.strip()))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()  # warm: builds jieba.cache on first use

    from nlp import Classifier

    classifier = Classifier.load()
    texts = messages(args.messages)
    chars = statistics.mean(len(t) for t in texts)
    for text in texts[:200]:  # warm caches
        classifier.classify(text)
        jieba.lcut(text)

    classify_rate, jieba_rate, jieba_nohmm_rate = rates(
        [classifier.classify, jieba.lcut, lambda t: jieba.lcut(t, HMM=False)], texts, args.repeats
    )
    boot = startup_seconds(3)

    print(
        f"messages: {len(texts)} (mean {chars:.1f} characters), "
        f"best of {args.repeats} interleaved rounds, CPU time"
    )
    print(f"Classifier.classify       {classify_rate:10.0f} msg/s")
    print(f"jieba.lcut (HMM on)       {jieba_rate:10.0f} msg/s")
    print(f"jieba.lcut (HMM off)      {jieba_nohmm_rate:10.0f} msg/s")
    print(f"ratio classify / jieba.lcut          {classify_rate / jieba_rate:.2f}  (target >= 0.8)")
    print(f"ratio classify / jieba.lcut(HMM off) {classify_rate / jieba_nohmm_rate:.2f}")
    print(
        f"start-up Classifier.load() in a fresh process: "
        f"{', '.join(f'{t:.2f}' for t in boot)} s  (target <= 1.5 s)"
    )


if __name__ == "__main__":
    main()
