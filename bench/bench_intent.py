"""Classification with the intent step (IntentReader.read) against bare jieba.lcut.

Run from the repository root:  .venv/bin/python bench/bench_intent.py [--messages N]

The same messages as bench_classify.py (dev set texts and their variants, teddy2020c titles
when ../shared is present), one core, same process, caches warmed; the sample organisation's
places are loaded, so place finding runs on every message. Prints messages per second of
``IntentReader.read``, of ``Classifier.classify`` alone and of ``jieba.lcut``, and the ratios.
Target: read / jieba.lcut >= 0.8.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_classify import messages  # noqa: E402  (a sibling script, not a package)


def interleaved(
    functions: list[Callable[[str], object]], texts: list[str], repeats: int, chunk: int = 200
) -> list[float]:
    """Messages per second of each function, measured fairly on a busy machine.

    The messages are cut into chunks; each chunk is run through every function in turn,
    ``repeats`` times, and each function keeps its fastest time per chunk. A moment when
    another process takes the core then costs every function alike, or none.
    """
    chunks = [texts[i : i + chunk] for i in range(0, len(texts), chunk)]
    best = [[float("inf")] * len(chunks) for _ in functions]
    for _ in range(repeats):
        for c, part in enumerate(chunks):
            for f, function in enumerate(functions):
                start = time.process_time()
                for text in part:
                    function(text)
                best[f][c] = min(best[f][c], time.process_time() - start)
    return [len(texts) / sum(times) for times in best]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import jieba
    import yaml

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()

    from nlp import Classifier
    from nlp.intent import IntentReader
    from nlp.places import PlaceIndex

    org = yaml.safe_load((ROOT / "storage" / "sample" / "xinxialu.yaml").read_text("utf-8"))
    places = PlaceIndex.from_mapping(org)
    classifier = Classifier.load(place_names=places.names())
    reader = IntentReader(classifier, places)
    texts = messages(args.messages)
    chars = statistics.mean(len(t) for t in texts)

    def read(text: str) -> object:
        return reader.read(text, home="TD/铜都花园")

    for text in texts[:300]:  # warm caches
        read(text)
        classifier.classify(text)
        jieba.lcut(text)

    read_rate, classify_rate, jieba_rate = interleaved(
        [read, classifier.classify, jieba.lcut], texts, args.repeats
    )

    intents: dict[str, int] = {}
    for text in texts:
        name = str(read(text).intent)
        intents[name] = intents.get(name, 0) + 1
    print(
        f"messages: {len(texts)} (mean {chars:.1f} characters), "
        f"best of {args.repeats} per chunk of 200, interleaved"
    )
    print(f"IntentReader.read         {read_rate:10.0f} msg/s")
    print(f"Classifier.classify       {classify_rate:10.0f} msg/s")
    print(f"jieba.lcut (HMM on)       {jieba_rate:10.0f} msg/s")
    print(f"ratio read / jieba.lcut              {read_rate / jieba_rate:.2f}  (target >= 0.8)")
    print(f"ratio read / classify                {read_rate / classify_rate:.2f}")
    print("intents: " + ", ".join(f"{k} {v}" for k, v in sorted(intents.items())))


if __name__ == "__main__":
    main()
