"""The rules file: schema, loading, and errors that point at a line.

A rules file is YAML. Its shape (see ``nlp/rules/default.yaml`` for the full default)::

    version: 1
    threshold: 0.45            # least category confidence; below it -> fallback
    fallback: service.other
    categories:
      service.facility:
        name: 公共设施维修
        family: service
        routing: 社区网格管理综合服务中心
        request_type: complaint
        keywords: {楼道灯: 3, 停水: 3}
        negative: {修好了: 2}
        patterns:
          - {regex: '灯.{0,3}(不亮|坏)', weight: 2}

Every section but ``categories`` may be left out; a file written by ``linli rules learn``
holds only categories.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = [
    "DEFAULT_RULES",
    "CategorySpec",
    "ComboSpec",
    "EmergencySpec",
    "Modifiers",
    "PatternSpec",
    "RequestTypeSpec",
    "RulesError",
    "RulesFile",
    "TermSet",
    "UrgencySpec",
    "load_rules",
]

DEFAULT_RULES = Path(__file__).parent / "rules" / "default.yaml"


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file and the line."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PatternSpec(_Model):
    """A regular expression matched on the normalised text."""

    regex: str
    weight: float = 1.0

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
        return value


Weight = float


class TermSet(_Model):
    """Weighted evidence for one target: keywords/phrases, negative keywords, patterns."""

    keywords: dict[str, Weight] = Field(default_factory=dict)
    negative: dict[str, Weight] = Field(default_factory=dict)
    patterns: list[PatternSpec] = Field(default_factory=list)

    @field_validator("keywords", "negative")
    @classmethod
    def _clean_terms(cls, value: dict[str, Weight]) -> dict[str, Weight]:
        for term in value:
            if not term.strip():
                raise ValueError("empty keyword")
        return value


class CategorySpec(TermSet):
    """A category 类别: its name, family, routing hint and evidence."""

    name: str = ""
    family: str = ""
    routing: str | None = None
    request_type: str | None = None  # the request type when the text gives no cue


class RequestTypeSpec(TermSet):
    """A request type 诉求类型 (咨询、求助、投诉、举报、建议)."""

    name: str = ""


class ComboSpec(_Model):
    """A scene: one word of every part in the same message (none of them negated or past).

    A part is words separated by ``|``; ``@name`` stands for the list ``name`` under
    ``lexicons:``.
    """

    all: list[str] = Field(min_length=2)
    weight: float = 3.0


class EmergencySpec(TermSet):
    """An emergency kind to divert to 110/119/120 first."""

    name: str = ""
    call: str = ""
    category: str | None = None  # the category of such an emergency ...
    # ... unless the text names one of these with at least this much evidence (violence at
    # home: dispute.family; an old person collapsed: service.elderly)
    categories: dict[str, float] = Field(default_factory=dict)
    combos: list[ComboSpec] = Field(default_factory=list)


class UrgencyLevel(TermSet):
    threshold: float = 2.0


class UrgencySpec(_Model):
    """Cues that raise urgency above ``routine`` (常规单)."""

    emergency: UrgencyLevel = Field(default_factory=UrgencyLevel)
    key: UrgencyLevel = Field(default_factory=UrgencyLevel)
    skip_request_types: list[str] = Field(default_factory=list)


class Modifiers(_Model):
    """Words that cancel a nearby cue: negation, the past, the hypothetical."""

    window: int = Field(default=3, ge=1, le=10)
    applies_to: list[str] = Field(default_factory=lambda: ["emergency", "urgency"])
    negators: list[str] = Field(default_factory=list)
    past: list[str] = Field(default_factory=list)
    hypothetical: list[str] = Field(default_factory=list)
    # what happens every day (天天, 老是) is a nuisance to report, not an emergency to divert
    habitual: list[str] = Field(default_factory=list)
    after: list[str] = Field(default_factory=list)  # cancel a cue they follow (隐患, 演练)
    # the danger is over (没事了, 已经灭了): no diversion, conditional advice at most
    resolved: list[str] = Field(default_factory=list)


class RulesFile(_Model):
    """A whole rules file."""

    version: int = 1
    description: str = ""
    threshold: float = Field(default=0.0, ge=0.0, le=1.0)
    unknown_score: float = 1.5
    fallback: str | None = None
    others_min_score: float = 2.0
    others_ratio: float = Field(default=0.6, ge=0.0, le=1.0)
    emergency_threshold: float = 2.0
    # least score of an emergency kind for conditional advice ("if anyone is hurt, call ...")
    # when no kind reaches emergency_threshold; None: never
    caution_threshold: float | None = None
    families: dict[str, str] = Field(default_factory=dict)
    synonyms: dict[str, str] = Field(default_factory=dict)
    phrases: dict[str, str] = Field(default_factory=dict)
    stopwords: list[str] = Field(default_factory=list)
    none: TermSet | None = None
    request_types: dict[str, RequestTypeSpec] = Field(default_factory=dict)
    default_request_type: str = ""
    emergency_request_type: str = ""  # request type of an emergency when the text has no cue
    categories: dict[str, CategorySpec] = Field(min_length=1)
    urgency: UrgencySpec = Field(default_factory=UrgencySpec)
    emergency: dict[str, EmergencySpec] = Field(default_factory=dict)
    # named word lists for emergency scenes (``combos``): people, states, places, weapons ...
    lexicons: dict[str, list[str]] = Field(default_factory=dict)
    modifiers: Modifiers = Field(default_factory=Modifiers)


# --- loading with line numbers ---------------------------------------------------------

Path_ = tuple[str | int, ...]


def _plain(node: yaml.Node, path: Path_, lines: dict[Path_, int], file: str | Path) -> Any:
    """Turn a composed YAML node into plain data, recording the line of every path."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if isinstance(key, (int, float)) and not isinstance(key, bool):
                key = str(key)  # a number as a keyword ("12345") is a term, not a number
            if not isinstance(key, str):
                raise RulesError(file, key_node.start_mark.line + 1, f"key {key!r} must be text")
            if key in out:
                raise RulesError(file, key_node.start_mark.line + 1, f"duplicate key {key!r}")
            out[key] = _plain(value_node, (*path, key), lines, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, (*path, i), lines, file) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    if node.tag == "tag:yaml.org,2002:str":
        return node.value
    return yaml.constructor.SafeConstructor().construct_object(node, deep=True)


def _line(lines: Mapping[Path_, int], loc: Path_) -> int | None:
    for end in range(len(loc), -1, -1):
        found = lines.get(tuple(loc[:end]))
        if found is not None:
            return found
    return None


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_rules(path: str | Path) -> RulesFile:
    """Read and validate a rules file; raise ``RulesError`` naming the file and line."""
    try:
        source = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(path, None, f"cannot read rules file: {exc.strerror}") from None
    try:
        root = yaml.compose(source, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise RulesError(path, line, f"not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise RulesError(path, None, f"not valid YAML: {exc}") from None
    if root is None or not isinstance(root, yaml.MappingNode):
        raise RulesError(path, 1, "a rules file is a mapping with at least `categories:`")
    lines: dict[Path_, int] = {}
    data = _plain(root, (), lines, path)
    try:
        rules = RulesFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        field = ".".join(str(part) for part in loc) or "(file)"
        raise RulesError(path, _line(lines, loc), f"{field}: {err['msg']}") from None
    _check_references(rules, lines, path)
    return rules


def _check_references(rules: RulesFile, lines: Mapping[Path_, int], path: str | Path) -> None:
    def fail(loc: Path_, message: str) -> None:
        raise RulesError(path, _line(lines, loc), message)

    codes = set(rules.categories)
    if rules.fallback is not None and rules.fallback not in codes:
        fail(("fallback",), f"fallback {rules.fallback!r} is not a category")
    if rules.default_request_type and rules.default_request_type not in rules.request_types:
        fail(("default_request_type",), f"{rules.default_request_type!r} is not a request type")
    if rules.emergency_request_type and rules.emergency_request_type not in rules.request_types:
        fail(("emergency_request_type",), f"{rules.emergency_request_type!r} is not a request type")
    for code, spec in rules.categories.items():
        if code == "none" and rules.none is not None:
            fail(("categories", code), "`none` is reserved: put chatter cues under `none:`")
        if rules.families and spec.family not in rules.families:
            known = ", ".join(sorted(rules.families))
            fail(("categories", code, "family"), f"family {spec.family!r} is not one of: {known}")
        if spec.request_type is not None and spec.request_type not in rules.request_types:
            fail(
                ("categories", code, "request_type"),
                f"{spec.request_type!r} is not a request type",
            )
    for kind, em in rules.emergency.items():
        if em.category is not None and em.category not in codes:
            fail(("emergency", kind, "category"), f"{em.category!r} is not a category")
        for code in em.categories:
            if code not in codes:
                fail(("emergency", kind, "categories", code), f"{code!r} is not a category")
        for i, combo in enumerate(em.combos):
            for j, part in enumerate(combo.all):
                for word in part.split("|"):
                    if word.startswith("@") and word[1:] not in rules.lexicons:
                        fail(
                            ("emergency", kind, "combos", i, "all", j),
                            f"{word!r} names no list under `lexicons:`",
                        )
                if not [w for w in part.split("|") if w.strip()]:
                    fail(("emergency", kind, "combos", i, "all", j), "empty part")
    for i, rt in enumerate(rules.urgency.skip_request_types):
        if rt not in rules.request_types:
            fail(("urgency", "skip_request_types", i), f"{rt!r} is not a request type")
    for i, target in enumerate(rules.modifiers.applies_to):
        if target not in {"emergency", "urgency", "category", "request_type", "none"}:
            fail(("modifiers", "applies_to", i), f"unknown target {target!r}")
