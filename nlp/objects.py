"""The kind of thing a report is about 报事对象: lamp, water, lift, rubbish …

A small readable table (``nlp/rules/objects.yaml``) of kinds of thing and the words that name
them, dialect included. ``ObjectTable.find`` lists what a text names; ``about`` says what it is
mainly about (the first kind in the table's order), which is what the same-problem judgement
compares (``domain/same_problem.py``) and where a message with several problems is split
(``nlp/intent.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nlp.datafile import Words, fold, load_model, traditional_chars

__all__ = ["DEFAULT_OBJECTS", "ObjectHit", "ObjectTable", "Objects"]

DEFAULT_OBJECTS = Path(__file__).parent / "rules" / "objects.yaml"


class _ObjectSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    words: list[str] = Field(default_factory=list)
    wide: list[str] = Field(default_factory=list)
    symptom_of: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_words(self) -> _ObjectSpec:
        if not self.words and not self.wide:
            raise ValueError("an object needs at least one word")
        for word in [*self.words, *self.wide]:
            if not str(word).strip():
                raise ValueError("empty word")
        return self


class _ObjectsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    not_objects: list[str] = Field(default_factory=list)
    objects: dict[str, _ObjectSpec] = Field(min_length=1)

    @field_validator("objects")
    @classmethod
    def _consistent(cls, objects: dict[str, _ObjectSpec]) -> dict[str, _ObjectSpec]:
        owner: dict[str, str] = {}
        for code, spec in objects.items():
            for word in [*spec.words, *spec.wide]:
                if word in owner and owner[word] != code:
                    raise ValueError(f"word {word!r} is listed under {owner[word]} and {code}")
                owner[word] = code
            for other in spec.symptom_of:
                if other not in objects:
                    raise ValueError(f"{code}: symptom_of names no object {other!r}")
        return objects


class ObjectHit(NamedTuple):
    """One word of the table found in a text (offsets in that text)."""

    code: str
    word: str
    start: int
    end: int
    wide: bool  # named as a compound-wide thing (路灯, 停水)


class Objects(NamedTuple):  # a NamedTuple: one is made per message, and fast
    """What a text names, in the table's order of importance, and how widely."""

    codes: tuple[str, ...]
    wide: frozenset[str]
    hits: tuple[ObjectHit, ...]

    @property
    def about(self) -> str | None:
        """The kind of thing the text is mainly about (first in the table's order)."""
        return self.codes[0] if self.codes else None

    @property
    def scope(self) -> str:
        """``compound`` when the main thing is named compound-wide, else ``building``."""
        return "compound" if self.about is not None and self.about in self.wide else "building"

    def facts(self) -> dict[str, object]:
        """What a report keeps of its objects (``Report.classification``), JSON-ready."""
        return {"objects": list(self.codes), "about": self.about, "scope": self.scope}


_NONE: frozenset[str] = frozenset()
NOTHING = Objects((), _NONE, ())


class ObjectTable:
    """The objects table, compiled for matching raw message text."""

    def __init__(self, specs: dict[str, _ObjectSpec], not_objects: Sequence[str] = ()) -> None:
        self.codes = tuple(specs)
        self.names = {code: spec.name for code, spec in specs.items()}
        self._rank = {code: i for i, code in enumerate(self.codes)}
        self._symptom_of = {code: frozenset(spec.symptom_of) for code, spec in specs.items()}
        self._word: dict[str, tuple[str, bool]] = {}
        for code, spec in specs.items():
            for word, wide in [*((w, False) for w in spec.words), *((w, True) for w in spec.wide)]:
                self._word.setdefault(word.lower(), (code, wide))
        for word in not_objects:
            self._word[word.lower()] = ("", False)  # found, then dropped
        self._regex = Words(self._word)
        self.traditional = traditional_chars(self._word)

    @classmethod
    def load(cls, path: str | Path | None = None) -> ObjectTable:
        """The table in ``path`` (``None``: the bundled ``nlp/rules/objects.yaml``)."""
        data = load_model(path or DEFAULT_OBJECTS, _ObjectsFile)
        return cls(dict(data.objects), data.not_objects)

    def find(
        self, text: str, start: int = 0, end: int | None = None, *, folded: str | None = None
    ) -> Objects:
        """The kinds of thing ``text[start:end]`` names.

        ``folded``: the text as ``nlp.datafile.fold`` made it, when the caller has it.
        """
        if folded is None:
            folded = fold(text, self.traditional)
        word = self._word
        hits = []
        for m in self._regex.finditer(folded, start, len(text) if end is None else end):
            code, wide = word[m.group()]
            if code:
                hits.append(ObjectHit(code, m.group(), m.start(), m.end(), wide))
        return self.objects(hits) if hits else NOTHING

    def objects(self, hits: Iterable[ObjectHit]) -> Objects:
        """Gather hits (from one or several spans) into ``Objects``."""
        found = tuple(hits)
        if not found:
            return NOTHING
        if len(found) == 1:
            hit = found[0]
            return Objects((hit.code,), frozenset((hit.code,)) if hit.wide else _NONE, found)
        codes = tuple(sorted({h.code for h in found}, key=self._rank.__getitem__))
        return Objects(codes, frozenset(h.code for h in found if h.wide), found)

    def continues(self, before: Sequence[str], after: Objects) -> bool:
        """Does a clause naming ``after`` go on about ``before`` rather than a new thing?

        It does when it names nothing, names one of the same things (「消防栓也没水」 after the
        fire extinguishers), or only names things that follow from them (a smell after
        rubbish, pests after a blocked drain).
        """
        if after.about is None or not before:
            return True
        if not set(after.codes).isdisjoint(before):
            return True
        return all(self.follows(code, before) for code in after.codes)

    def follows(self, code: str, before: Sequence[str]) -> bool:
        """Is ``code`` one of ``before``, or what usually follows from one of them?"""
        return code in before or not self._symptom_of[code].isdisjoint(before)
