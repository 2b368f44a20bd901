"""The meeting pack and the exports: the hand-computed month of tests/domain/test_figures.py
read back from the workbook, the printable page, CSV for Excel, masking."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import true
from sqlmodel import Session, select

import locales
from domain import exports, pack
from domain.clock import ManualClock
from domain.figures import Month, Scope, month_figures
from domain.lists import TicketFilter, ticket_page
from domain.selection import Weights
from domain.tickets import TicketDesk
from handlers.i18n import Texts
from storage.models import Community, Ticket
from tests.domain.test_figures import _history

TZ = ZoneInfo("Asia/Shanghai")
TEXTS = Texts.load(locales.DIRECTORY, TZ)


def label(lang: str = "zh_Hans"):  # type: ignore[no-untyped-def]  # a test's small closure
    return lambda key, **params: TEXTS.get(lang, key, **params)


@pytest.fixture
def month_of_tickets(session: Session, desk: TicketDesk, clock: ManualClock) -> dict[str, Ticket]:
    tickets = _history(session, desk, clock)
    tickets["C"].text = "楼道灯坏了，我的电话13812345678"
    session.add(tickets["C"])
    session.commit()
    return tickets


def _sheet_rows(book: openpyxl.Workbook, title: str) -> list[tuple[object, ...]]:
    sheet = book[title]
    return [tuple(row) for row in sheet.iter_rows(min_row=3, values_only=True)]


def test_the_pack_workbook_holds_the_hand_computed_rates(
    session: Session, clock: ManualClock, month_of_tickets: dict[str, Ticket]
) -> None:
    td = session.exec(select(Community).where(Community.code == "TD")).one()
    built = pack.build(session, Month(2026, 11), TZ, clock.now(), td, Weights())
    book = openpyxl.load_workbook(io.BytesIO(pack.workbook(built, label())))
    assert book.sheetnames == [
        "三率",
        "逾期工单",
        "多次重开",
        "问题清单",
        "议事议题",
        "通知确认",
        "文明小区评分",
    ]
    assert book["三率"]["A1"].value == "铜都社区 2026-11 联席会议材料"
    rows = _sheet_rows(book, "三率")
    header, total = rows[0], rows[1]
    assert header[:5] == ("单位类别", "名称", "工单数", "单独计数", "撤回或合并")
    # total row: 6 opened, 1 apart, 1 withdrawn; response 2/3, resolution 1/3, satisfaction 1/1
    assert total[:5] == ("合计", None, 6, 1, 1)
    assert total[5:8] == (pytest.approx(2 / 3), 2, 3)
    assert total[10:13] == (pytest.approx(1 / 3), 1, 3)
    assert total[15:18] == (1, 1, 1)
    assert total[8] == 16.7  # month-on-month, percentage points (200/3 - 50)
    grids = {row[1]: row for row in rows[2:] if row[0] == "网格"}
    assert grids["铜都第一网格"][5:8] == (1, 2, 2)
    assert grids["铜都第二网格"][5:8] == (0, 0, 1)
    overdue = _sheet_rows(book, "逾期工单")
    assert {row[0] for row in overdue[1:]} == {month_of_tickets["H"].number}
    problems = _sheet_rows(book, "问题清单")
    assert all("13812345678" not in str(cell) for row in problems for cell in row)
    compounds = {row[1]: row for row in _sheet_rows(book, "文明小区评分")[1:]}
    assert set(compounds) == {"铜都花园", "铜都小区"}


def test_the_printable_page(
    session: Session, clock: ManualClock, month_of_tickets: dict[str, Ticket]
) -> None:
    built = pack.build(session, Month(2026, 11), TZ, clock.now(), None, Weights())
    html = pack.page(built, label("en"), "en")
    assert "<title>the whole sub-district: joint meeting pack for 2026-11</title>" in html
    assert "@page { size: A4" in html and "<svg" in html and "<script" not in html
    assert "80%" in html  # response over the sub-district: 4 of 5
    assert "4/5" in html and "1/5" in html and "1/2" in html
    assert "13812345678" not in html and "138****5678" in html
    zh = pack.page(built, label(), "zh_Hans")
    assert '<html lang="zh-Hans">' in zh and "响应率 = 按时受理的工单" in zh


def test_ticket_exports_for_excel_and_masked(
    session: Session, clock: ManualClock, month_of_tickets: dict[str, Ticket]
) -> None:
    rows = ticket_page(
        session,
        TicketFilter(community=1, sort="number"),
        true(),
        TZ,
        clock.now(),
        staff=False,
        per_page=0,
        snippet=None,
    ).rows
    table = exports.tickets_table(rows)
    data = exports.to_csv(table, label("en"), TZ)
    assert data.startswith("\ufeff".encode())
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed[0][:3] == ["Number", "Opened", "Community"]
    assert len(parsed) == 1 + 8  # A, B, C, D, H, E, F, G
    by_number = {row[0]: row for row in parsed[1:]}
    c = by_number[month_of_tickets["C"].number]
    assert c[1] == "2026-11-02 09:00"  # local time
    assert c[7] == TEXTS.get("en", "category-service.facility")
    assert "138****5678" in c[17] and "13812345678" not in data.decode("utf-8-sig")
    g = by_number[month_of_tickets["G"].number]
    assert g[16] == "answered"
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx([table], label(), TZ)))
    assert book.sheetnames == ["工单"]
    assert book["工单"].max_row == 1 + 8


def test_rates_export_has_every_unit(
    session: Session, clock: ManualClock, month_of_tickets: dict[str, Ticket]
) -> None:
    figures = month_figures(session, Month(2026, 11), TZ, Scope(), clock.now())
    table = exports.rates_table(figures)
    units = [row[0] for row in table.rows]
    assert units[0] == "total" and {"community", "grid", "worker"} <= set(units)
    with pytest.raises(ValueError, match="unknown format"):
        exports.write([table], "pdf", label(), TZ)
