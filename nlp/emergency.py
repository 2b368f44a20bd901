"""Emergency detection 应急分流: scenes as well as cue words, several kinds at once.

Residents rarely write "晕倒" or "着火"; they describe what they see: 「躺在厨房地上 怎么叫都没
反应」, 「煤气罐阀门坏了 嗤嗤漏气」, 「有人拎着砍刀在追人」. The rules file describes such scenes as
combinations (``combos``) of word lists (``lexicons``): a person + a state (不应/不动/发紫),
gas + escaping, sparks or smoke + where, a weapon + an action. A combination fires when a word
of every part occurs in the message and none of them is negated or placed in the past or the
hypothetical (the engine's ``modifiers`` decide that, token by token).

The detector is tuned for recall: a missed emergency costs a life, a false alarm one extra line
of advice. Every kind whose score reaches ``emergency_threshold`` is reported, in the order of
the rules file (police 110 first, then fire 119, then medical 120), so violence with an injury
gets both numbers. A weaker score (``caution_threshold``) gives conditional advice instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from nlp.rules import RulesFile
from nlp.text import normalise

__all__ = ["EmergencyDetector", "Scene"]


@dataclass(frozen=True)
class Scene:
    """One combination of the rules: every part must be present."""

    kind: str
    parts: tuple[int, ...]
    weight: float


class EmergencyDetector:
    """Scenes and the decision over emergency kinds, as the rules file describes them."""

    def __init__(self, rules: RulesFile) -> None:
        self.order = tuple(rules.emergency)
        self.threshold = rules.emergency_threshold
        self.caution_threshold = rules.caution_threshold
        self.words: dict[str, set[int]] = {}  # normalised word -> ids of the parts it fills
        parts: dict[str, int] = {}  # part spelling -> id (shared by combos naming the same)
        scenes: list[Scene] = []
        for kind, spec in rules.emergency.items():
            for combo in spec.combos:
                ids = []
                for part in combo.all:
                    pid = parts.get(part)
                    if pid is None:
                        pid = parts[part] = len(parts)
                        members: list[str] = []
                        for item in part.split("|"):
                            if item.startswith("@"):
                                members += rules.lexicons[item[1:]]
                            else:
                                members.append(item)
                        for word in members:
                            word = normalise(word)
                            if word:
                                self.words.setdefault(word, set()).add(pid)
                    ids.append(pid)
                scenes.append(Scene(kind, tuple(ids), combo.weight))
        self.scenes = tuple(scenes)
        self._needed = tuple((scene, frozenset(scene.parts)) for scene in self.scenes)

    def scan(self, hits: Mapping[int, str]) -> list[tuple[str, str, float]]:
        """The scenes present: (kind, the words that filled the parts joined by +, weight).

        ``hits`` maps each part that some live (not negated, not past) word filled to that word.
        """
        found: list[tuple[str, str, float]] = []
        if len(hits) < 2:  # every scene has two parts or more
            return found
        present = hits.keys()
        for scene, needed in self._needed:
            if not needed <= present:
                continue
            words = []
            for pid in scene.parts:
                word = hits.get(pid)
                if word is None:
                    break
                words.append(word)
            else:
                found.append((scene.kind, "+".join(dict.fromkeys(words)), scene.weight))
        return found

    def decide(self, scores: Mapping[str, float]) -> tuple[tuple[str, ...], bool]:
        """Every kind at or above the threshold, police first; and whether to advise caution."""
        kinds = tuple(k for k in self.order if scores.get(k, 0.0) >= self.threshold)
        if kinds or self.caution_threshold is None:
            return kinds, False
        best = max(scores.values(), default=0.0)
        return (), best >= self.caution_threshold
