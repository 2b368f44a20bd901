"""What a message is, before anything is filed 意图识别.

A resident's message may be a question about their own tickets (「我报的事怎么样了」), a bare
ticket number, a greeting, thanks or chatter, an address (「我住铜都花园2栋」), the answer to a
question the bot asked, or a new problem — one, or several in one message, each with its own
words and place. ``IntentReader.read`` decides which, from cue rules that are data
(``nlp/rules/intent.yaml``), the classifier, the objects table (``nlp/objects.py``) and the
organisation's places (``nlp/places.py``); every reading says why.

Transport-free and storage-free: the caller says what it knows (is a question pending, and is
it optional; the reporter's compound). The handler wiring is described in
docs/conversation.md.
"""

from __future__ import annotations

import enum
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nlp.datafile import Words, fold, load_model, traditional_chars
from nlp.engine import Classification
from nlp.objects import Objects, ObjectTable
from nlp.places import HOME, PlaceIndex, PlaceMention, ResolvedPlace
from nlp.rules import PatternSpec

__all__ = [
    "DEFAULT_INTENT_RULES",
    "Intent",
    "IntentReader",
    "IntentRules",
    "Pending",
    "Problem",
    "Reading",
    "canonical_ticket",
]

DEFAULT_INTENT_RULES = Path(__file__).parent / "rules" / "intent.yaml"


class Intent(enum.StrEnum):
    """What a message is."""

    EMPTY = "empty"  # nothing to read (a photo without caption, only spaces)
    TICKET = "ticket"  # a bare ticket number: show that ticket
    STATUS = "status"  # a question about one's own tickets
    CHATTER = "chatter"  # greeting, thanks, acknowledgement: opens nothing
    ADDRESS = "address"  # where the person lives
    ANSWER = "answer"  # the answer to the question the bot asked
    PROBLEM = "problem"  # one or several new problems to file


# -- the rules file ----------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Pattern(PatternSpec):
    """A named regular expression (the classifier's pattern, checked the same way)."""

    name: str


def _words(value: list[str]) -> list[str]:
    for word in value:
        if not str(word).strip():
            raise ValueError("empty word")
    return [str(w) for w in value]


class _TicketNumber(_Model):
    regex: str
    filler: list[str] = Field(default_factory=list)

    @field_validator("regex")
    @classmethod
    def _three_groups(cls, value: str) -> str:
        try:
            groups = re.compile(value).groups
        except re.error as exc:
            raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
        if groups != 3:
            raise ValueError("the ticket number regex needs 3 groups: code, date, sequence")
        return value


class _Status(_Model):
    anchors: list[str] = Field(min_length=1)
    patterns: list[_Pattern] = Field(default_factory=list)
    pattern_chars: str = ""  # every pattern's match holds one of these
    asks: list[str] = Field(min_length=1)
    ask_patterns: list[_Pattern] = Field(default_factory=list)

    _check = field_validator("anchors", "asks")(_words)


class _Chatter(_Model):
    words: list[str] = Field(min_length=1)
    filler: list[str] = Field(default_factory=list)
    max_chars: int = Field(default=30, ge=1)
    praise: list[str] = Field(default_factory=list)
    but: list[str] = Field(default_factory=list)

    _check = field_validator("words", "filler", "praise", "but")(_words)


class _Address(_Model):
    cues: list[str] = Field(min_length=1)
    filler: list[str] = Field(default_factory=list)

    _check = field_validator("cues", "filler")(_words)


class _Split(_Model):
    connectors: list[str] = Field(default_factory=list)
    also: list[str] = Field(default_factory=list)

    _check = field_validator("connectors", "also")(_words)


class _PendingRules(_Model):
    problem_score: float = Field(default=0.6, ge=0.0, le=1.0)
    openers: list[str] = Field(default_factory=list)

    _check = field_validator("openers")(_words)


class IntentRules(_Model):
    """The intent rules file (``nlp/rules/intent.yaml``)."""

    version: int = 1
    ticket_number: _TicketNumber
    status: _Status
    chatter: _Chatter
    address: _Address
    split: _Split = Field(default_factory=_Split)
    pending: _PendingRules = Field(default_factory=_PendingRules)

    @classmethod
    def load(cls, path: str | Path | None = None) -> IntentRules:
        """Read and check a rules file (``None``: the bundled one); errors name the line."""
        return load_model(path or DEFAULT_INTENT_RULES, cls)


# -- what a reading holds ----------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    """A question the bot asked and is waiting on (``Conversation`` in storage).

    ``required``: the next message is its answer (a grid worker's resolution note).
    Optional ones (「想补充几句吗？」) never swallow a new problem.
    """

    kind: str
    required: bool = False


class Problem(NamedTuple):  # NamedTuples: made for every message, and fast to make
    """One problem of a message: its words, what it is, what it is about, where."""

    text: str
    start: int
    end: int
    classification: Classification
    objects: Objects
    place: ResolvedPlace
    mentions: tuple[PlaceMention, ...] = ()
    context: str = ""  # "5栋的也坏了": the problem it repeats somewhere else

    def facts(self) -> dict[str, Any]:
        """What a report keeps besides its classification (objects and place), JSON-ready."""
        return {**self.objects.facts(), "place": self.place.facts()}

    def explain(self) -> str:
        c = self.classification
        about = self.objects.about or "-"
        where = self.place.label() or self.place.kind
        return f"{c.category} {c.score:.2f} about {about} at {where}"


class Reading(NamedTuple):
    """What a message is, and why."""

    intent: Intent
    notes: tuple[str, ...]  # why, besides what each problem is
    problems: tuple[Problem, ...] = ()
    tickets: tuple[str, ...] = ()  # ticket numbers named, canonical (TD-261125-007)
    place: ResolvedPlace | None = None  # ADDRESS: the place stated
    mentions: tuple[PlaceMention, ...] = ()
    alternative: Intent | None = None  # what else it might be; the bot may ask which

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why: the notes, then what each problem was read as."""
        return self.notes + tuple(p.explain() for p in self.problems)

    def explain(self) -> str:
        """One line: the intent, then why."""
        other = f" (or {self.alternative})" if self.alternative else ""
        return f"{self.intent}{other}: " + "; ".join(self.reasons)


class _Classifier(Protocol):
    def classify(self, text: str) -> Classification: ...


@dataclass
class _Group:
    start: int
    end: int
    codes: list[str]
    place: tuple[str, str] | None
    also: bool = False
    context: str = ""
    mentions: list[PlaceMention] = field(default_factory=list)


_MIN_CLAUSE = 4  # characters a clause needs to open a problem of its own
_BOUNDARY = re.compile(r"[，。！？；,.!?;、\n~～…]+|\s+")
_NON_WORD = re.compile(r"[\W_]+")
_UNIT = re.compile(r"[0-9０-９一二三四五六七八九十]+\s*(?:单元|室|层|楼|号|户|门|座)?")


def canonical_ticket(code: str, day: str, seq: str) -> str:
    """TD-261125-007 from its parts as typed."""
    return f"{code.upper()}-{day}-{int(seq):03d}"


class IntentReader:
    """Reads messages for what they are; one per process (thread-safe, keeps no state)."""

    def __init__(
        self,
        classifier: _Classifier,
        places: PlaceIndex | None = None,
        *,
        rules: IntentRules | None = None,
        objects: ObjectTable | None = None,
    ) -> None:
        self.classifier = classifier
        self.places = places
        self.rules = rules or IntentRules.load()
        self.objects = objects or ObjectTable.load()
        r = self.rules
        self._ticket = re.compile(r.ticket_number.regex)
        self._ticket_filler = Words(w.lower() for w in r.ticket_number.filler)
        self._anchors = Words(w.lower() for w in r.status.anchors)
        self._anchor_patterns = [(p.name, re.compile(p.regex)) for p in r.status.patterns]
        # the characters every anchor pattern needs one of (报, 反映, 说 …): a cheap first test
        self._verbs = re.compile(f"[{re.escape(r.status.pattern_chars)}]")
        self._asks = Words(w.lower() for w in r.status.asks)
        self._ask_patterns = [(p.name, re.compile(p.regex)) for p in r.status.ask_patterns]
        self._chatter = Words(w.lower() for w in r.chatter.words)
        chatter_words = [w.lower() for w in [*r.chatter.words, *r.chatter.filler]]
        self._chatter_all = Words(chatter_words)
        # a word character no chatter word has: the message is more than chatter (cheap test)
        chars = "".join(sorted({ch for w in chatter_words for ch in w}))
        self._not_chatter = re.compile(f"[^{re.escape(chars)}\\W_]")
        self._praise = Words(w.lower() for w in r.chatter.praise)
        self._but = Words(w.lower() for w in r.chatter.but)
        self._cues = Words(w.lower() for w in r.address.cues)
        self._address_filler = Words(w.lower() for w in [*r.address.cues, *r.address.filler])
        self._connectors = Words(w.lower() for w in r.split.connectors)
        self._also = Words(w.lower() for w in r.split.also)
        vocabulary = [
            *r.ticket_number.filler,
            *r.status.anchors,
            *r.status.asks,
            *r.chatter.words,
            *r.chatter.praise,
            *r.address.cues,
            *r.split.connectors,
        ]
        self._traditional = traditional_chars(vocabulary) | self.objects.traditional
        if places is not None:
            self._traditional |= places.traditional

    @classmethod
    def load(
        cls,
        classifier: _Classifier,
        places: PlaceIndex | None = None,
        rules_path: str | Path | None = None,
        objects_path: str | Path | None = None,
    ) -> IntentReader:
        return cls(
            classifier,
            places,
            rules=IntentRules.load(rules_path),
            objects=ObjectTable.load(objects_path),
        )

    # -- reading -------------------------------------------------------------------------

    def read(self, text: str, pending: Pending | None = None, home: str | None = None) -> Reading:
        """What ``text`` is; ``pending``: a question waiting; ``home``: the reporter's compound.

        ``home`` is the organisation path of the reporter's compound (``TD/铜都花园``): a place
        named in the text is looked up there first.
        """
        if not text.strip():
            return Reading(Intent.EMPTY, ("nothing but spaces",))
        folded = fold(text, self._traditional)
        if pending is not None and pending.required:
            return self._required(text, folded, pending, home)
        tickets = self._tickets(text) if _has_six_digits(text) else ()
        objects = self.objects.find(text, folded=folded)
        if tickets:
            about = self._about_tickets(text, tickets, objects)
            if about.intent == Intent.TICKET:
                return about
            return self._unless_danger(about, text, folded, objects, home)
        status = self._status(folded)
        if status:
            reading = Reading(
                Intent.STATUS, status, alternative=Intent.PROBLEM if objects.codes else None
            )
            return self._unless_danger(reading, text, folded, objects, home)
        if not objects.codes and len(text) <= self.rules.chatter.max_chars:
            chatter = self._chatter_words(folded)
            if chatter is not None:
                if pending is not None:
                    reason = f"{pending.kind} question waiting; chatter ({chatter}) answers it"
                    return Reading(Intent.ANSWER, (reason,))
                return Reading(Intent.CHATTER, (f"only {chatter}",))
        praise = self._praise.search(folded)
        if praise is not None and self._but.search(folded) is None:
            note = f"thanks or praise: {praise.group()}"
            reading = Reading(Intent.ANSWER if pending else Intent.CHATTER, (note,))
            return self._unless_danger(reading, text, folded, objects, home)
        mentions = self.places.find(text, folded=folded) if self.places else ()
        if mentions and not objects.codes:
            address = self._address(text, folded, mentions, home)
            if address is not None:
                return address
        problems, dropped = self._problems(text, folded, objects, mentions, home)
        if not problems:
            why = "; ".join(dropped) or "nothing to file"
            if pending is not None:
                return Reading(
                    Intent.ANSWER, (f"{pending.kind} question waiting; {why}",), mentions=mentions
                )
            return Reading(Intent.CHATTER, (why,), mentions=mentions)
        notes = tuple(dropped)
        if pending is not None:
            return self._optional(pending, folded, problems, notes, mentions)
        return Reading(Intent.PROBLEM, notes, problems, mentions=mentions)

    def problems(self, text: str, home: str | None = None) -> tuple[Problem, ...]:
        """The problems of ``text``, however it reads (a status question that also names one)."""
        folded = fold(text, self._traditional)
        objects = self.objects.find(text, folded=folded)
        mentions = self.places.find(text, folded=folded) if self.places else ()
        return self._problems(text, folded, objects, mentions, home)[0]

    # -- the checks ----------------------------------------------------------------------

    def _required(self, text: str, folded: str, pending: Pending, home: str | None) -> Reading:
        """A required question takes the message, unless someone is in danger."""
        result = self.classifier.classify(text)
        if result.emergency:
            objects = self.objects.find(text, folded=folded)
            mentions = self.places.find(text, folded=folded) if self.places else ()
            problems, _ = self._problems(text, folded, objects, mentions, home, whole=result)
            why = f"emergency ({result.emergency}) while a {pending.kind} question waits"
            return Reading(Intent.PROBLEM, (why,), problems, alternative=Intent.ANSWER)
        return Reading(Intent.ANSWER, (f"answer to the required {pending.kind} question",))

    def _unless_danger(
        self, reading: Reading, text: str, folded: str, objects: Objects, home: str | None
    ) -> Reading:
        """A status question, a remark on a ticket or thanks that also tells of danger now
        (「谢谢 快来人 有人晕倒了」) is a problem first: an emergency is never swallowed."""
        result = self.classifier.classify(text)
        if not result.emergency and result.urgency != "emergency":
            return reading
        mentions = self.places.find(text, folded=folded) if self.places else ()
        problems, _ = self._problems(text, folded, objects, mentions, home, whole=result)
        if not problems:
            return reading
        why = f"emergency ({result.emergency or result.urgency}) told with it"
        return Reading(
            Intent.PROBLEM,
            (why, *reading.notes),
            problems,
            reading.tickets,
            mentions=mentions,
            alternative=reading.intent,
        )

    def _optional(
        self,
        pending: Pending,
        folded: str,
        problems: tuple[Problem, ...],
        notes: tuple[str, ...],
        mentions: tuple[PlaceMention, ...],
    ) -> Reading:
        """An optional question waits: a clear new problem is filed, a vague one answers, and so
        does one that opens with a verdict (「整体还行 就是…」: a comment on what was asked)."""
        floor = self.rules.pending.problem_score
        fallback = self.classifier_fallback()
        verdict = next((w for w in self.rules.pending.openers if folded.startswith(w)), None)
        for p in problems:
            c = p.classification
            if c.emergency or (
                verdict is None
                and c.category not in ("none", fallback)
                and c.score >= floor
                and p.objects.codes
            ):
                why = f"reads as a new problem although a {pending.kind} question waits"
                return Reading(
                    Intent.PROBLEM,
                    (why, *notes),
                    problems,
                    mentions=mentions,
                    alternative=Intent.ANSWER,
                )
        clear = any(p.classification.category not in ("none", fallback) for p in problems)
        why = f"answer to the optional {pending.kind} question"
        if verdict is not None:
            why += f" (it opens with a verdict: {verdict})"
        return Reading(
            Intent.ANSWER,
            (why, *notes),
            problems if clear else (),
            mentions=mentions,
            alternative=Intent.PROBLEM if clear else None,
        )

    def _unclear(self, result: Classification) -> bool:
        """Is this part too vague to be a problem of its own (staff triage, low score)?"""
        return result.category == self.classifier_fallback() and not result.emergency

    def classifier_fallback(self) -> str:
        """The classifier's "staff triage" category (service.other), if it has one."""
        rules = getattr(self.classifier, "rules", None)
        return str(getattr(rules, "fallback", None) or "service.other")

    def _tickets(self, text: str) -> tuple[str, ...]:
        norm = unicodedata.normalize("NFKC", text).lower()
        found: list[str] = []
        for m in self._ticket.finditer(norm):
            code, day, seq = m.groups()
            if not ("01" <= day[2:4] <= "12" and "01" <= day[4:6] <= "31"):
                continue  # not a date: a phone or other number
            number = canonical_ticket(code, day, seq)
            if number not in found:
                found.append(number)
        return tuple(found)

    def _about_tickets(self, text: str, tickets: tuple[str, ...], objects: Objects) -> Reading:
        norm = unicodedata.normalize("NFKC", text).lower()
        rest = self._ticket.sub(" ", norm)
        rest = self._ticket_filler.sub(" ", rest)
        if not _NON_WORD.sub("", rest):
            return Reading(Intent.TICKET, (f"ticket number {', '.join(tickets)}",), tickets=tickets)
        return Reading(
            Intent.STATUS,
            (f"about ticket {', '.join(tickets)}: {text.strip()[:40]}",),
            tickets=tickets,
            alternative=Intent.PROBLEM if objects.codes else None,
        )

    def _status(self, folded: str) -> tuple[str, ...]:
        anchor = self._anchors.search(folded)
        name = anchor.group() if anchor else None
        if name is None and self._verbs.search(folded):
            for pattern_name, pattern in self._anchor_patterns:
                m = pattern.search(folded)
                if m:
                    name = f"{pattern_name} ({m.group()})"
                    break
        if name is None:
            return ()
        ask = self._asks.search(folded)
        if ask is not None:
            return (f"{name} + {ask.group()}",)
        for pattern_name, pattern in self._ask_patterns:
            if pattern.search(folded):
                return (f"{name} + {pattern_name}",)
        return ()

    def _chatter_words(self, folded: str) -> str | None:
        """The chatter words a message is made of, or None when it holds anything else."""
        if self._not_chatter.search(folded):
            return None
        found = self._chatter.findall(folded)
        rest = self._chatter_all.sub("", folded)
        if _NON_WORD.sub("", rest):
            return None
        if found:
            return " ".join(found)
        return "only punctuation or emoji" if not _NON_WORD.sub("", folded) else None

    def _address(
        self,
        text: str,
        folded: str,
        mentions: tuple[PlaceMention, ...],
        home: str | None,
    ) -> Reading | None:
        """「我住铜都花园2栋」: a place, with nothing else but a cue and unit or room numbers."""
        rest = list(folded)
        for m in mentions:
            end = m.end + len(m.relation) if m.relation else m.end
            rest[m.start : end] = [" "] * (end - m.start)
        remainder = self._address_filler.sub(" ", "".join(rest))
        remainder = _UNIT.sub(" ", remainder)
        if _NON_WORD.sub("", remainder):
            return None
        assert self.places is not None
        place = self.places.resolve(mentions, home)
        cue = self._cues.search(folded)
        why = f"{cue.group() + ' + ' if cue else ''}{place.label() or place.kind}"
        return Reading(Intent.ADDRESS, (why, *place.reasons), place=place, mentions=mentions)

    # -- problems ------------------------------------------------------------------------

    def _problems(
        self,
        text: str,
        folded: str,
        objects: Objects,
        mentions: tuple[PlaceMention, ...],
        home: str | None,
        whole: Classification | None = None,
    ) -> tuple[tuple[Problem, ...], list[str]]:
        """The problems of a message, and why any part of it was not one."""
        places = self.places
        if not self._may_split(objects, mentions):
            result = whole or self.classifier.classify(text)
            if result.category == "none":
                return (), [f"not a problem: {_terms(result)}"]
            place = places.resolve(mentions, home) if places else HOME
            start, end = _strip(text, 0, len(text))
            return (
                Problem(text[start:end], start, end, result, objects, place, tuple(mentions)),
            ), []
        groups = self._groups(text, folded, objects, mentions)
        problems: list[Problem] = []
        dropped: list[str] = []
        previous: Problem | None = None
        for g in groups:
            start, end = _strip(text, g.start, g.end)
            span = text[start:end]
            g_objects = self.objects.objects(h for h in objects.hits if g.start <= h.start < g.end)
            if g.context and previous is not None:
                # "5栋的也坏了": the same thing as before, somewhere else
                g_objects = previous.objects
                result = self.classifier.classify(f"{previous.text} {span}")
            else:
                result = self.classifier.classify(span)
            if result.category == "none":
                dropped.append(f"not a problem: 「{span}」")
                continue
            if previous is not None and not g.context and self._unclear(result):
                # too vague to stand alone: it goes on about the problem before it
                g.start = previous.start
                g.mentions = [*previous.mentions, *g.mentions]
                start, end = previous.start, end
                span = text[start:end]
                g_objects = self.objects.objects(
                    h for h in objects.hits if start <= h.start < g.end
                )
                result = previous.classification
                problems.pop()
            place = places.resolve(g.mentions, home) if places else HOME
            previous = Problem(
                span,
                start,
                end,
                result,
                g_objects,
                place,
                tuple(g.mentions),
                previous.text if g.context and previous is not None else "",
            )
            problems.append(previous)
        return tuple(problems), dropped

    def _may_split(self, objects: Objects, mentions: tuple[PlaceMention, ...]) -> bool:
        """Can this message hold more than one problem? (Cheap: most cannot.)"""
        codes = objects.codes
        if len(codes) >= 2 and not all(self.objects.follows(c, codes[:1]) for c in codes[1:]):
            return True
        named = {_key(m) for m in mentions if m.kind in _NAMED}
        return len(named) >= 2

    def _clauses(self, text: str, folded: str) -> list[tuple[int, int]]:
        cuts = {0, len(text)}
        for m in _BOUNDARY.finditer(text):
            cuts.add(m.start())
            cuts.add(m.end())
        for m in self._connectors.finditer(folded):
            cuts.add(m.start())
        points = sorted(cuts)
        spans = []
        for a, b in itertools.pairwise(points):
            if _NON_WORD.sub("", text[a:b]):
                spans.append((a, b))
        return spans

    def _groups(
        self,
        text: str,
        folded: str,
        objects: Objects,
        mentions: tuple[PlaceMention, ...],
    ) -> list[_Group]:
        """Consecutive clauses about the same thing at the same place, as groups."""
        table = self.objects
        groups: list[_Group] = []
        for s, e in self._clauses(text, folded):
            c_objects = table.objects(h for h in objects.hits if s <= h.start < e)
            c_mentions = [m for m in mentions if s <= m.start < e]
            c_place = next(
                (
                    (m.kind, m.name)
                    for m in c_mentions
                    if m.kind in ("building", "spot", "compound")
                ),
                None,
            )
            also = self._also.search(folded, s, e) is not None
            if groups:
                g = groups[-1]
                new_thing = (
                    c_objects.about is not None
                    and bool(g.codes)
                    and not table.continues(g.codes, c_objects)
                )
                new_place = c_place is not None and g.place is not None and c_place != g.place
                connector = self._connectors.match(folded, s) is not None
                # a new thing is another problem when the text says so, with words of its own
                # (「电梯也坏了」), not one noun (「占道」) or a consequence (「臭死了」)
                own = len(_NON_WORD.sub("", text[s:e])) >= _MIN_CLAUSE
                said = connector or also or new_place
                if (new_thing and own and said) or (
                    new_place and (c_objects.about is not None or also)
                ):
                    groups.append(
                        _Group(
                            s,
                            e,
                            list(c_objects.codes),
                            c_place,
                            also,
                            "repeat" if new_place and c_objects.about is None else "",
                            c_mentions,
                        )
                    )
                    continue
                g.end = e
                g.codes += [c for c in c_objects.codes if c not in g.codes]
                g.place = g.place or c_place
                g.mentions += c_mentions
            else:
                groups.append(_Group(s, e, list(c_objects.codes), c_place, also, "", c_mentions))
        return groups


_SIX_DIGITS = re.compile(r"\d{6}")  # any script's digits, full width included


_NAMED = ("building", "spot", "compound")


def _key(mention: PlaceMention) -> tuple[str, str]:
    return mention.kind, mention.name


def _has_six_digits(text: str) -> bool:
    return _SIX_DIGITS.search(text) is not None


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without leading or trailing spaces and punctuation."""
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return start, end


def _terms(result: Classification) -> str:
    return ", ".join(m.term for m in result.keywords[:4]) or "no cue"
