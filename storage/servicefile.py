"""The service list 服务清单 (YAML): what each community offers residents — the canteen 幸福食堂,
care for the elderly, paperwork help 帮办代办, the odd-jobs station 零工驿站 … — who provides it,
where and when, and how to ask. It is data the community edits, beside the organisation file;
a bad file is refused with the place of the error, as the organisation file is.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

SAMPLE = Path(__file__).parent / "sample" / "xinxialu.services.yaml"
KINDS = (
    "canteen",  # 幸福食堂 / 老年食堂
    "care",  # 居家养老、日间照料
    "paperwork",  # 帮办代办、一网通办
    "jobs",  # 零工驿站、就业
    "children",  # 托育、四点半课堂
    "assistance",  # 困难帮扶、救助
    "legal",  # 法律咨询、人民调解
    "health",  # 家庭医生、义诊
    "volunteer",  # 志愿服务、时间银行
    "other",
)


class ServiceFileError(ValueError):
    """A bad service file; the message says where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Service(_Strict):
    """One service a community offers."""

    name: str = Field(min_length=1)
    name_en: str = ""
    kind: str = Field(pattern="^(" + "|".join(KINDS) + ")$")
    provider: str = Field(min_length=1)  # who runs it
    provider_en: str = ""
    how: str = Field(min_length=1)  # how a resident asks for it
    how_en: str = ""
    where: str = ""
    where_en: str = ""
    hours: str = ""
    hours_en: str = ""
    compounds: list[str] = []  # only these compounds (names); empty: the whole community


class ServiceList(_Strict):
    """Services per community code."""

    communities: dict[str, list[Service]] = Field(default_factory=dict)

    def of(self, community_code: str, compound: str | None = None) -> list[Service]:
        """A community's services (for a compound: those open to it)."""
        services = self.communities.get(community_code, [])
        if compound is None:
            return list(services)
        return [s for s in services if not s.compounds or compound in s.compounds]


def load(path: Path) -> ServiceList:
    """Read and validate a service file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ServiceFileError(f"{path}: cannot be read: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise ServiceFileError(f"{path}: not valid YAML: {error}") from error
    try:
        return ServiceList.model_validate(raw or {})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ServiceFileError(f"{path}: {where}: {first['msg']}") from error


@lru_cache(maxsize=8)
def cached(path: Path, mtime: float) -> ServiceList:
    """`load`, read again only when the file changed (pass its modification time)."""
    return load(path)


def read(path: Path | None) -> ServiceList:
    """The service list in force: the configured file, or none at all."""
    if path is None:
        return ServiceList()
    try:
        mtime = path.stat().st_mtime
    except OSError as error:
        raise ServiceFileError(f"{path}: cannot be read: {error.strerror}") from error
    return cached(path, mtime)


def check_codes(services: ServiceList, known: set[str]) -> None:
    """Every community the file names must exist in the organisation."""
    unknown = sorted(set(services.communities) - known)
    if unknown:
        raise ServiceFileError(
            f"communities.{unknown[0]}: no community with this code in the organisation"
        )
