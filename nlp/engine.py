"""The rule engine: normalise, segment, match weighted terms and patterns, decide."""

from __future__ import annotations

import importlib
import math
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp.emergency import EmergencyDetector
from nlp.rules import DEFAULT_RULES, RulesFile, TermSet, load_rules
from nlp.segment import add_words, cut, new_tokenizer
from nlp.text import normalise

__all__ = ["Classification", "Classifier", "Match", "similarity"]


@dataclass(frozen=True)
class Match:
    """One matched rule term, for explanation."""

    term: str
    weight: float
    # what it voted for: a category code, "request_type:complaint", "urgency:key",
    # "emergency:fire" or "none"
    target: str


@dataclass(frozen=True)
class Classification:
    """What a message is: request type, category, family, urgency, emergency and why."""

    request_type: str
    category: str
    family: str
    urgency: str
    emergency: str | None
    score: float
    keywords: tuple[Match, ...]
    others: tuple[str, ...]
    routing: str | None
    terms: frozenset[str]
    # every emergency kind found, police first; ``emergency`` is the first of them
    emergencies: tuple[str, ...] = ()
    # danger is possible but not clear: advise calling if anyone is hurt or in danger
    caution: bool = False


# Evidence groups. A rule term votes for (group, name).
_CATEGORY = "category"
_REQUEST = "request_type"
_URGENCY = "urgency"
_EMERGENCY = "emergency"
_NONE = "none"
_SCENE = "scene"  # a word filling a part of an emergency scene (nlp.emergency)
_RESOLVED = "resolved"  # the danger is over

_BREAK = frozenset(" ,.!?;:，。！？；：~、\n\t\"'()[]（）")
_PLACE_SUFFIX = "号楼"
_BUILDING = re.compile(r"(\d+)\s*(?:号楼|栋|幢|号楼栋)")
_REQUEST_PRIOR = 1.25  # vote for a category's usual request type (wins over one weak cue)
_EMERGENCY_PRIOR = 2.5  # vote for the emergency request type (help) in an emergency
_PATTERN_LOOKBACK = 12  # characters a pattern's cancelling word may stand before it (same clause)

Entry = tuple[str, str, float]  # (group, name, weight)
Triggers = tuple[frozenset[str], ...]  # a match holds a character of each set


def _target(group: str, name: str) -> str:
    if group == _CATEGORY:
        return name
    if group == _NONE:
        return "none"
    return f"{group}:{name}"


class Classifier:
    """Classifies residents' messages with a rules file (see ``nlp.rules``)."""

    categories: tuple[str, ...]

    def __init__(self, rules: RulesFile, place_names: Iterable[str] = ()) -> None:
        self.rules = rules
        self.categories = tuple(rules.categories)
        self._lock = threading.Lock()
        self._tok: Any = new_tokenizer()
        self._index: dict[str, list[Entry]] = {}
        self._patterns: list[tuple[re.Pattern[str], Triggers, str, str, float]] = []
        self._char_freq: dict[str, int] = self._tok.FREQ
        for code, spec in rules.categories.items():
            self._add_terms(_CATEGORY, code, spec)
        for code, rt in rules.request_types.items():
            self._add_terms(_REQUEST, code, rt)
        if rules.none is not None:
            self._add_terms(_NONE, _NONE, rules.none)
        self._add_terms(_URGENCY, "emergency", rules.urgency.emergency)
        self._add_terms(_URGENCY, "key", rules.urgency.key)
        for kind, em in rules.emergency.items():
            self._add_terms(_EMERGENCY, kind, em)
        self._detector = EmergencyDetector(rules)
        for word in rules.modifiers.resolved:
            self._index.setdefault(normalise(word), []).append((_RESOLVED, _RESOLVED, 1.0))
        for word, part_ids in self._detector.words.items():
            for pid in sorted(part_ids):
                self._index.setdefault(word, []).append((_SCENE, str(pid), 1.0))
        # patterns by a character every match needs (the first, most selective trigger set):
        # a message only runs the patterns some character of it may start
        self._pattern_always = tuple(i for i, p in enumerate(self._patterns) if not p[1])
        self._pattern_by_char: dict[str, tuple[int, ...]] = {}
        for i, (_, triggers, _, _, _) in enumerate(self._patterns):
            for ch in triggers[0] if triggers else ():
                self._pattern_by_char[ch] = (*self._pattern_by_char.get(ch, ()), i)
        self._pattern_chars = frozenset(self._pattern_by_char)
        self._synonyms = dict(rules.synonyms)
        self._phrases = {normalise(k): v for k, v in rules.phrases.items()}
        self._phrase_re = (
            re.compile("|".join(re.escape(p) for p in sorted(self._phrases, key=len, reverse=True)))
            if self._phrases
            else None
        )
        self._phrase_starts = frozenset(p[0] for p in self._phrases if p)
        mods = rules.modifiers
        self._negators = frozenset(mods.negators)
        self._context = (
            frozenset(mods.past) | frozenset(mods.hypothetical) | frozenset(mods.habitual)
        )
        self._after = frozenset(mods.after)
        self._cancelling = self._context | self._negators | self._after
        self._window = mods.window
        self._modified = frozenset(mods.applies_to) | {_SCENE}
        markers = [*mods.negators, *mods.past, *mods.hypothetical, *mods.habitual]
        self._marker_re = (
            re.compile("|".join(re.escape(m) for m in sorted(markers, key=len, reverse=True)))
            if markers
            else None
        )
        self._stopwords = frozenset(rules.stopwords)
        self._inherit()
        self._prefixes = frozenset(t[:k] for t in self._index for k in range(2, len(t) + 1))
        self._match_cache: dict[tuple[str, float, str, str], Match] = {}
        self._sub_cache: dict[str, tuple[str, list[Entry]] | None] = {}
        words = [*self._index, *self._synonyms, *self._synonyms.values(), *mods.negators]
        words += [*mods.past, *mods.hypothetical, *mods.habitual, *mods.after]
        words += self._phrases.values()
        add_words(self._tok, words)
        self.add_place_names(place_names)

    # -- construction ------------------------------------------------------------------

    @classmethod
    def load(
        cls, rules_path: str | Path | None = None, place_names: Iterable[str] = ()
    ) -> Classifier:
        """Build a classifier from a rules file (``None``: the default rules)."""
        return cls(load_rules(rules_path or DEFAULT_RULES), place_names)

    def _add_terms(self, group: str, name: str, spec: TermSet) -> None:
        for term, weight in spec.keywords.items():
            self._index.setdefault(normalise(term), []).append((group, name, weight))
        for term, weight in spec.negative.items():
            self._index.setdefault(normalise(term), []).append((group, name, -abs(weight)))
        for pat in spec.patterns:
            regex = re.compile(pat.regex)
            # rarest set first (least common characters in jieba's dictionary): it decides
            # most often that the pattern need not run
            freq = self._char_freq
            triggers = tuple(
                sorted(_triggers(regex), key=lambda t: sum(freq.get(ch, 0) for ch in t))
            )
            self._patterns.append((regex, triggers, group, name, pat.weight))

    def _inherit(self) -> None:
        """Let a compound term also vote for what its parts vote for.

        Every term is added to jieba's dictionary, so 很危险 (an urgency cue) is one token and
        危险 (a safety keyword) inside it would never be seen. Before the terms are added,
        each one is cut with the plain dictionary; the votes of its parts in evidence groups
        (category, request type, urgency, emergency, none) the compound itself has no say in
        are added to the compound's.
        """
        index = self._index
        inherited: dict[str, list[Entry]] = {}
        for term, entries in index.items():
            parts = [p for p in self._tok.lcut(term, HMM=False) if p.strip()]
            if len(parts) < 2:
                continue
            own = {g for g, _, _ in entries}
            extra: dict[tuple[str, str], float] = {}
            for size in (1, 2):
                for start in range(len(parts) - size + 1):
                    part = "".join(parts[start : start + size])
                    if part == term:
                        continue
                    for group, name, weight in index.get(part, ()):
                        if group not in own and weight > 0:
                            extra[(group, name)] = max(extra.get((group, name), 0.0), weight)
            if extra:
                inherited[term] = [(g, n, w) for (g, n), w in extra.items()]
        for term, extra_entries in inherited.items():
            index[term] = index[term] + extra_entries

    def _sub_entries(self, token: str) -> tuple[str, list[Entry]] | None:
        """The longest rule term at the start or end of a token no rule names whole.

        jieba knows many compounds the rules do not (低保户, 公共厕所, 脏得); their head or
        tail is often a rule term (低保, 厕所, 脏).
        """
        cache = self._sub_cache
        if token in cache:
            return cache[token]
        found: tuple[str, list[Entry]] | None = None
        if "\u4e00" <= token[0] <= "\u9fff":
            index = self._index
            for size in range(len(token) - 1, 0, -1):
                for part in (token[:size], token[-size:]):
                    entries = index.get(part)
                    if entries is not None:
                        found = (part, entries)
                        break
                if found is not None:
                    break
        if len(cache) > 100_000:
            cache.clear()
        cache[token] = found
        return found

    def add_place_names(self, names: Iterable[str]) -> None:
        """Keep place names (communities, compounds such as 铜都花园) whole when segmenting."""
        cleaned = [normalise(n) for n in names]
        with self._lock:
            add_words(self._tok, [n for n in cleaned if n])

    # -- classification ----------------------------------------------------------------

    def tokens(self, text: str) -> list[str]:
        """The normalised content tokens of ``text`` as the rules see them."""
        return self._segment(self._prepare(text))[0]

    def _prepare(self, text: str) -> str:
        norm = normalise(text)
        if self._phrase_re is not None and not self._phrase_starts.isdisjoint(norm):
            norm = self._phrase_re.sub(lambda m: self._phrases[m.group(0)], norm)
        return norm

    def _segment(self, norm: str) -> tuple[list[str], list[int]]:
        tokens: list[str] = []
        clauses: list[int] = []
        clause = 0
        syn = self._synonyms
        for tok in cut(self._tok, norm):
            if tok in _BREAK or tok.isspace():
                clause += 1
                continue
            tokens.append(syn.get(tok, tok))
            clauses.append(clause)
        return tokens, clauses

    def _cancelled(self, tokens: list[str], clauses: list[int], start: int, end: int) -> bool:
        clause = clauses[start]
        lo = max(0, start - self._window)
        for j in range(start - 1, lo - 1, -1):
            if clauses[j] != clause:
                break
            tok = tokens[j]
            if tok in self._context or (tok in self._negators and start - j <= 2):
                return True
        for j in range(end, min(len(tokens), end + 2)):
            if clauses[j] != clause:
                break
            if tokens[j] in self._after:
                return True
        return False

    def _pattern_cancelled(self, norm: str, start: int) -> bool:
        if self._marker_re is None:
            return False
        lo = max(0, start - _PATTERN_LOOKBACK)
        for k in range(start - 1, lo - 1, -1):
            if norm[k] in _BREAK:
                lo = k + 1
                break
        return self._marker_re.search(norm, lo, start) is not None

    def classify(self, text: str) -> Classification:
        """Classify one message."""
        tokens, counts = self._match(text)
        return self._decide(tokens, counts)

    def term_counts(self, text: str) -> dict[str, int]:
        """How often each category term of the rules matches in ``text`` (for rule learning)."""
        out: dict[str, int] = {}
        for (group, _, term, is_pattern), (_, count) in self._match(text)[1].items():
            if group == _CATEGORY and not is_pattern:
                out[term] = int(count)
        return out

    def _match(self, text: str) -> tuple[list[str], dict[tuple[str, str, str, bool], list[float]]]:
        norm = self._prepare(text)
        tokens, clauses = self._segment(norm)
        index = self._index
        modified = self._modified
        counts: dict[tuple[str, str, str, bool], list[float]] = {}
        hits: dict[int, str] = {}  # scene part -> the live word that filled it
        live = not self._cancelling.isdisjoint(tokens)
        prefixes = self._prefixes
        n = len(tokens)
        i = 0
        while i < n:
            step = 1
            first = tokens[i]
            term = first
            entries = None
            if i + 1 < n:
                two = first + tokens[i + 1]
                # runs of 2-3 tokens are only joined when some rule term starts that way
                if two in prefixes:
                    if i + 2 < n:
                        three = two + tokens[i + 2]
                        entries = index.get(three)
                        if entries is not None:
                            term, step = three, 3
                    if entries is None:
                        entries = index.get(two)
                        if entries is not None:
                            term, step = two, 2
            if entries is None:
                entries = index.get(first)
            if entries is None and len(tokens[i]) > 1:
                sub = self._sub_entries(tokens[i])
                if sub is not None:
                    term, entries = sub
            if entries is not None:
                cancelled: bool | None = None
                for group, name, weight in entries:
                    if group in modified:
                        if cancelled is None:
                            # most messages hold no cancelling word at all: skip the look-around
                            cancelled = live and self._cancelled(tokens, clauses, i, i + step)
                        if cancelled:
                            continue
                    if group == _SCENE:
                        hits.setdefault(int(name), term)
                        continue
                    key = (group, name, term, False)
                    slot = counts.get(key)
                    if slot is None:
                        counts[key] = [weight, 1.0]
                    else:
                        slot[1] += 1.0
            i += step
        chars = set(norm)
        by_char = self._pattern_by_char
        chosen = set(self._pattern_always)
        for ch in self._pattern_chars.intersection(chars):
            chosen.update(by_char[ch])
        patterns = self._patterns
        for pos in sorted(chosen):
            regex, triggers, group, name, weight = patterns[pos]
            absent = False
            for trigger in triggers[1:]:
                if trigger.isdisjoint(chars):
                    absent = True
                    break
            if absent:
                continue
            for m in regex.finditer(norm):
                if group in modified and self._pattern_cancelled(norm, m.start()):
                    continue
                key = (group, name, m.group(0), True)
                slot = counts.get(key)
                if slot is None:
                    counts[key] = [weight, 1.0]
                else:
                    slot[1] += 1.0
        for kind, words, weight in self._detector.scan(hits):
            counts[(_EMERGENCY, kind, words, True)] = [weight, 1.0]
        return tokens, counts

    def _decide(
        self, tokens: list[str], counts: dict[tuple[str, str, str, bool], list[float]]
    ) -> Classification:
        rules = self.rules
        scores: dict[str, dict[str, float]] = {
            _CATEGORY: {},
            _REQUEST: {},
            _URGENCY: {},
            _EMERGENCY: {},
            _NONE: {},
            _RESOLVED: {},
        }
        matches: list[Match] = []
        by_term: dict[str, set[str]] = {}
        cache = self._match_cache
        for (group, name, term, _), (weight, count) in counts.items():
            value = weight if count == 1.0 else weight * (1.0 + math.log(count))
            bucket = scores[group]
            bucket[name] = bucket.get(name, 0.0) + value
            key = (term, value, group, name)
            match = cache.get(key)
            if match is None:
                # Matches are immutable: one object per distinct match, shared between results
                if len(cache) > 50_000:
                    cache.clear()
                match = cache[key] = Match(term, round(value, 4), _target(group, name))
            matches.append(match)
            if group == _CATEGORY:
                by_term.setdefault(name, set()).add(term)

        cat = scores[_CATEGORY]
        best = max(cat, key=cat.__getitem__) if cat else None
        top = cat[best] if best is not None else 0.0
        rt_scores = scores[_REQUEST]
        rt_cue = sum(v for v in rt_scores.values() if v > 0)

        kinds, caution = self._detector.decide(scores[_EMERGENCY])
        urg = scores[_URGENCY]
        seen = kinds  # what the text describes, even when it is over
        was_danger = bool(scores[_RESOLVED]) and bool(kinds)
        if scores[_RESOLVED]:
            # "厨房着火了 已经灭了 没事了": a report of what happened (to file, with advice),
            # not a diversion
            caution = caution or bool(kinds)
            kinds = ()
            urg = {k: v for k, v in urg.items() if k != "emergency"}
        kind = kinds[0] if kinds else None

        none_score = scores[_NONE].get(_NONE, 0.0)
        if (
            rules.none is not None
            and kind is None
            and not was_danger
            and urg.get("emergency", 0.0) < rules.urgency.emergency.threshold
            and ((none_score > 0 and none_score >= top) or (top <= 0 and rt_cue < 1.0))
        ):
            return self._none(tokens, matches, none_score, top)

        confidence = _confidence(cat, best, rules.unknown_score)
        if seen:
            # an emergency's ticket goes where its kind belongs (safety for violence and fire),
            # unless the text clearly names one of the kind's other categories
            em_spec = rules.emergency[seen[0]]
            allowed = [c for c, least in em_spec.categories.items() if cat.get(c, 0.0) >= least]
            if allowed:
                best = max(allowed, key=cat.__getitem__)
                confidence = max(_confidence(cat, best, rules.unknown_score), rules.threshold)
            elif em_spec.category is not None and best != em_spec.category:
                best, confidence = em_spec.category, max(confidence, rules.threshold)
        urgent = kind is not None or urg.get("emergency", 0.0) >= rules.urgency.emergency.threshold
        others: tuple[str, ...] = ()
        if best is None or (confidence < rules.threshold and not seen):
            category = rules.fallback or best or self.categories[0]
        else:
            category = best
            others = self._others(cat, by_term, best, top)

        spec = rules.categories[category]
        prior = spec.request_type
        if urgent and rules.emergency_request_type:
            # someone in danger is asking for help, whatever the category usually is
            prior = rules.emergency_request_type
        if prior is not None:
            rt_scores = dict(rt_scores)
            bonus = _EMERGENCY_PRIOR if urgent else _REQUEST_PRIOR
            rt_scores[prior] = rt_scores.get(prior, 0.0) + bonus
        request_type = (
            max(rt_scores, key=rt_scores.__getitem__) if rt_scores else rules.default_request_type
        )
        if rt_scores and rt_scores[request_type] <= 0:
            request_type = prior or rules.default_request_type

        if urgent:
            urgency = "emergency"
        elif (
            urg.get("key", 0.0) >= rules.urgency.key.threshold
            and request_type not in rules.urgency.skip_request_types
        ):
            urgency = "key"
        else:
            urgency = "routine"
        matches.sort(key=lambda m: -abs(m.weight))
        return Classification(
            request_type=request_type,
            category=category,
            family=spec.family,
            urgency=urgency,
            emergency=kind,
            score=round(confidence, 4),
            keywords=tuple(matches),
            others=others,
            routing=spec.routing,
            terms=self._terms(tokens),
            emergencies=kinds,
            caution=caution,
        )

    def _none(
        self, tokens: list[str], matches: list[Match], none_score: float, top: float
    ) -> Classification:
        confidence = _confidence({_NONE: none_score, "": top}, _NONE, self.rules.unknown_score)
        matches.sort(key=lambda m: -abs(m.weight))
        return Classification(
            request_type="",
            category="none",
            family="none",
            urgency="routine",
            emergency=None,
            score=round(confidence, 4),
            keywords=tuple(matches),
            others=(),
            routing=None,
            terms=self._terms(tokens),
        )

    def _others(
        self, cat: dict[str, float], by_term: dict[str, set[str]], best: str, top: float
    ) -> tuple[str, ...]:
        rules = self.rules
        floor = max(rules.others_min_score, rules.others_ratio * top)
        mine = by_term.get(best, set())
        found: list[tuple[float, str]] = []
        for code, score in cat.items():
            if code == best or score < floor:
                continue
            own = by_term.get(code, set()) - mine
            if own:
                found.append((score, code))
        found.sort(reverse=True)
        return tuple(code for _, code in found)

    def _terms(self, tokens: list[str]) -> frozenset[str]:
        stop = self._stopwords
        terms = {t for t in tokens if len(t) >= 2 and t not in stop and not t.isdigit()}
        for m in _BUILDING.finditer("".join(tokens)):
            terms.add(f"{m.group(1)}号楼")
        return frozenset(terms)


def _triggers(regex: re.Pattern[str]) -> Triggers:
    """Sets of Chinese characters such that every match of ``regex`` holds one of each.

    Lets ``classify`` skip a pattern when some set is absent from the text: for
    ``(楼上|楼下).{0,8}(吵|响)`` a message needs one of 楼上下 *and* one of 吵响. Empty when no
    set is sure (the pattern is then always run).
    """
    try:
        parser: Any = importlib.import_module("re._parser")
        tree = parser.parse(regex.pattern, regex.flags)
    except (ImportError, AttributeError, re.error):
        return ()

    def needs(items: Any, chars: set[str]) -> bool:  # every match holds one of ``chars``
        return any(one(op, av, chars) for op, av in items)

    def one(op: Any, av: Any, chars: set[str]) -> bool:
        name = str(op)
        if name == "LITERAL":
            ch = chr(av)
            if _is_cjk(ch):
                chars.add(ch)
                return True
            return False
        if name == "IN":
            found = []
            for sub_op, sub_av in av:
                if str(sub_op) == "LITERAL" and _is_cjk(chr(sub_av)):
                    found.append(chr(sub_av))
                else:
                    return False
            chars.update(found)
            return bool(found)
        if name == "SUBPATTERN":
            return needs(av[-1], chars)
        if name == "BRANCH":
            return all([needs(branch, chars) for branch in av[1]])
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _, sub = av
            return bool(low >= 1 and needs(sub, chars))
        return False

    found: list[frozenset[str]] = []
    for op, av in tree:
        chars: set[str] = set()
        if one(op, av, chars):
            found.append(frozenset(chars))
    return tuple(dict.fromkeys(found))


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _confidence(scores: dict[str, float], best: str | None, unknown: float) -> float:
    """Softmax share of ``best`` among the categories with evidence and an "unknown" score."""
    if best is None or best not in scores:
        return 0.0
    values = [*scores.values(), unknown]
    peak = max(values)
    total = sum(math.exp(v - peak) for v in values)
    return math.exp(scores[best] - peak) / total


def similarity(a: Classification, b: Classification) -> float:
    """How likely two reports are about the same problem, in [0, 1]."""
    if a.category == "none" or b.category == "none":
        return 0.0
    if a.terms or b.terms:
        shared = len(a.terms & b.terms)
        overlap = 2.0 * shared / (len(a.terms) + len(b.terms))
    else:
        overlap = 0.0
    if a.category == b.category:
        base = 0.4
    elif a.category in b.others or b.category in a.others:
        base = 0.25
    elif a.family == b.family and a.family:
        base = 0.1
    else:
        base = 0.0
    score = base + 0.6 * overlap
    places_a = {t for t in a.terms if t.endswith(_PLACE_SUFFIX)}
    places_b = {t for t in b.terms if t.endswith(_PLACE_SUFFIX)}
    if places_a and places_b and not places_a & places_b:
        score *= 0.5  # the same trouble in another building is another problem
    return round(min(1.0, score), 4)
