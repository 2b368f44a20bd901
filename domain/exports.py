"""Everything filterable as a table, written as XLSX (openpyxl) or CSV.

A table knows its columns by locale key and its coded cells (category, state, urgency …) by
locale prefix; the caller hands in `label`, which renders a key in the reader's language, so the
same table reads in Chinese or English. Texts in the rows are already masked for the reader
(domain.lists does that).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from domain.figures import RATES, Figures, Rate, UnitFigures
from domain.lists import Problem, Resolved, TicketRow
from storage.servicefile import Service

Label = Callable[..., str]  # label(key, **params) → the text in the reader's language
FORMATS = ("xlsx", "csv")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Column:
    """A column: its header's locale key, how its cells read, how wide it is in a sheet."""

    key: str
    kind: str = "text"  # text | number | percent (a Rate) | points | datetime | code | bool
    prefix: str = ""  # code cells: the locale key prefix ("category-" + code)
    width: int = 12


@dataclass
class Table:
    """Rows under columns, with a title (a locale key) naming the sheet."""

    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)


def _cell(value: Any, column: Column, label: Label, tz: ZoneInfo, *, native: bool) -> Any:
    """What a cell holds: text for CSV; numbers, fractions and local times kept for XLSX."""
    if value is None or value == "":
        return None if native else ""
    if column.kind == "code":
        return label(column.prefix + str(value))
    if column.kind == "bool":
        return label("fig-yes" if value else "fig-no")
    if column.kind == "datetime" and isinstance(value, datetime):
        local = value.astimezone(tz)
        return local.replace(tzinfo=None) if native else local.strftime("%Y-%m-%d %H:%M")
    if column.kind == "percent" and isinstance(value, Rate):
        if value.percent is None:
            return None if native else "-"
        return value.numerator / value.denominator if native else value.text()
    if column.kind == "points":  # a change in percentage points
        return round(float(value), 1) if native else f"{value:+.1f}"
    return value


def to_csv(table: Table, label: Label, tz: ZoneInfo) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens Chinese text as it should."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([label(c.key) for c in table.columns])
    for row in table.rows:
        writer.writerow(
            [_cell(v, c, label, tz, native=False) for v, c in zip(row, table.columns, strict=True)]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _sheet_name(text: str, taken: set[str]) -> str:
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in text)[:31] or "Sheet"
    name, n = cleaned, 2
    while name in taken:
        name = f"{cleaned[:28]} {n}"
        n += 1
    taken.add(name)
    return name


_FORMATS = {"percent": "0%", "points": "+0.0;-0.0;0", "datetime": "yyyy-mm-dd hh:mm"}


def to_xlsx(
    tables: Sequence[Table], label: Label, tz: ZoneInfo, *, heading: str | None = None
) -> bytes:
    """A workbook with one sheet per table: bold headers, frozen header row, sized columns.

    Written in openpyxl's write-only mode (rows streamed, styles shared): an export of a
    hundred thousand tickets stays within memory, and the meeting pack is quick to write."""
    book = Workbook(write_only=True)
    taken: set[str] = set()
    bold, title = Font(bold=True), Font(bold=True, size=13)
    wrap = Alignment(wrap_text=True, vertical="top")
    for table in tables:
        sheet = book.create_sheet(_sheet_name(label(table.title), taken))
        for index, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        header_row = 3 if heading else 1
        sheet.freeze_panes = f"A{header_row + 1}"
        if heading:
            cell = WriteOnlyCell(sheet, value=heading)
            cell.font = title
            sheet.append([cell])
            sheet.append([])
        headers = []
        for column in table.columns:
            cell = WriteOnlyCell(sheet, value=label(column.key))
            cell.font, cell.alignment = bold, wrap
            headers.append(cell)
        sheet.append(headers)
        for row in table.rows:
            cells = []
            for value, column in zip(row, table.columns, strict=True):
                cell = WriteOnlyCell(sheet, value=_cell(value, column, label, tz, native=True))
                if column.kind in _FORMATS:
                    cell.number_format = _FORMATS[column.kind]
                elif column.kind == "text":
                    cell.alignment = wrap
                cells.append(cell)
            sheet.append(cells)
    if not tables:
        book.create_sheet("-")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write(tables: Sequence[Table], fmt: str, label: Label, tz: ZoneInfo) -> bytes:
    """XLSX (every table a sheet) or CSV (the first table)."""
    if fmt == "csv":
        return to_csv(tables[0], label, tz)
    if fmt == "xlsx":
        return to_xlsx(tables, label, tz)
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


# --- the tables --------------------------------------------------------------------------------

TICKET_COLUMNS = [
    Column("col-number", width=16),
    Column("col-opened", "datetime", width=17),
    Column("col-community"),
    Column("col-compound"),
    Column("col-building", width=8),
    Column("col-grid"),
    Column("col-department"),
    Column("col-category", "code", "category-", width=16),
    Column("col-urgency", "code", "urgency-", width=9),
    Column("col-state", "code", "state-"),
    Column("col-level", "code", "level-"),
    Column("col-holder"),
    Column("col-deadline", "datetime", width=17),
    Column("col-overdue", "bool", width=8),
    Column("col-households", "number", width=8),
    Column("col-rating", "code", "rating-"),
    Column("col-outcome", "code", "fig-outcome-"),
    Column("col-text", width=40),
    Column("col-resolution", width=40),
]


def tickets_table(rows: Iterable[TicketRow]) -> Table:
    return Table(
        "sheet-tickets",
        TICKET_COLUMNS,
        [
            [
                r.number,
                r.opened_at,
                r.community,
                r.compound,
                r.building,
                r.grid,
                r.department,
                r.category,
                r.urgency,
                r.state,
                r.level,
                r.holder,
                r.deadline,
                r.overdue,
                r.households,
                r.rating,
                r.outcome,
                r.text,
                r.resolution,
            ]
            for r in rows
        ],
    )


def _rate_columns() -> list[Column]:
    columns: list[Column] = []
    for rate in RATES:
        columns += [
            Column(f"col-{rate}", "percent", width=9),
            Column(f"col-{rate}-numerator", "number", width=8),
            Column(f"col-{rate}-denominator", "number", width=8),
            Column(f"col-{rate}-change", "points", width=9),
            Column(f"col-{rate}-rank", "number", width=6),
        ]
    return columns


def _rate_cells(row: UnitFigures) -> list[Any]:
    cells: list[Any] = []
    for rate in RATES:
        value = row.rate(rate)
        cells += [value, value.numerator, value.denominator, row.change(rate), row.ranks.get(rate)]
    return cells


def rates_table(figures: Figures, english: bool = False) -> Table:
    """Every unit's rates, each with its counts, change and rank; the total first."""
    columns = [
        Column("col-unit", "code", "unit-", width=10),
        Column("col-name", width=18),
        Column("col-opened-count", "number", width=8),
        Column("col-apart", "number", width=8),
        Column("col-withdrawn", "number", width=8),
        *_rate_columns(),
    ]
    rows: list[list[Any]] = []
    for row in [figures.total, *(r for unit in figures.units.values() for r in unit)]:
        counts = row.counts
        name = row.name_en if english and row.name_en else row.name
        rows.append(
            [row.unit, name, counts.opened, counts.apart, counts.withdrawn, *_rate_cells(row)]
        )
    return Table("sheet-rates", columns, rows)


def problems_table(problems: Iterable[Problem]) -> Table:
    return Table(
        "sheet-problems",
        [
            Column("col-community"),
            Column("col-compound"),
            Column("col-buildings"),
            Column("col-category", "code", "category-", width=16),
            Column("col-kind"),
            Column("col-households", "number", width=8),
            Column("col-tickets-count", "number", width=8),
            Column("col-overdue-count", "number", width=8),
            Column("col-oldest", "datetime", width=17),
            Column("col-numbers", width=30),
            Column("col-example", width=40),
        ],
        [
            [
                p.community,
                p.compound,
                " ".join(p.buildings),
                p.category,
                p.kind,
                p.households,
                len(p.tickets),
                p.overdue,
                p.oldest,
                " ".join(p.tickets),
                p.example,
            ]
            for p in problems
        ],
    )


def resolutions_table(resolved: Iterable[Resolved]) -> Table:
    return Table(
        "sheet-resolutions",
        [
            Column("col-number", width=16),
            Column("col-community"),
            Column("col-compound"),
            Column("col-building", width=8),
            Column("col-category", "code", "category-", width=16),
            Column("col-kind"),
            Column("col-opened", "datetime", width=17),
            Column("col-resolved", "datetime", width=17),
            Column("col-in-time", "bool", width=8),
            Column("col-households", "number", width=8),
            Column("col-rating", "code", "rating-"),
            Column("col-text", width=40),
            Column("col-resolution", width=40),
        ],
        [
            [
                r.number,
                r.community,
                r.compound,
                r.building,
                r.category,
                r.kind,
                r.opened_at,
                r.resolved_at,
                r.in_time,
                r.households,
                r.rating,
                r.text,
                r.resolution,
            ]
            for r in resolved
        ],
    )


def services_table(services: Iterable[tuple[str, Service]], english: bool = False) -> Table:
    """The service list: (community name, service) pairs."""

    def pick(zh: str, en: str) -> str:
        return en if english and en else zh

    return Table(
        "sheet-services",
        [
            Column("col-community"),
            Column("col-service", width=16),
            Column("col-service-kind", "code", "service-kind-"),
            Column("col-provider", width=24),
            Column("col-how", width=48),
            Column("col-where", width=24),
            Column("col-hours", width=20),
        ],
        [
            [
                community,
                pick(s.name, s.name_en),
                s.kind,
                pick(s.provider, s.provider_en),
                pick(s.how, s.how_en),
                pick(s.where, s.where_en),
                pick(s.hours, s.hours_en),
            ]
            for community, s in services
        ],
    )
