"""How the month's figures and the problem list read in chat (/stats, /hot, the meeting pack's
reminder): the rates with the counts behind them and the change from last month."""

from __future__ import annotations

from collections.abc import Sequence

from domain.figures import DEFINITIONS, RATES, UnitFigures
from domain.lists import Problem
from handlers.events import T, t
from handlers.views import category


def change(row: UnitFigures, rate: str) -> T | str:
    """', +17 pts on last month' — nothing when either month has no figure."""
    points = row.change(rate)
    if points is None:
        return ""
    return t("fig-change", points=f"{points:+.0f}")


def rates_line(row: UnitFigures, name: str) -> T:
    """One unit's three rates, each with its counts and month-on-month change."""
    counts = row.counts
    params: dict[str, object] = {"name": name, "tickets": t("n-tickets", count=counts.opened)}
    for rate in RATES:
        value = counts.rate(rate)
        params[rate] = value.text()
        params[f"{rate}_counts"] = f"{value.numerator}/{value.denominator}"
        params[f"{rate}_change"] = change(row, rate)
    apart = counts.apart + counts.withdrawn
    params["apart"] = t("fig-apart", count=apart) if apart else ""
    return t("stats-line", **params)


def definitions() -> T:
    return t(
        "fig-definitions",
        **{name: t(key) for name, key in DEFINITIONS.items()},
    )


def problem_line(rank: int, problem: Problem) -> T:
    """One line of the problem list: place, what, how many tickets and households."""
    what: T = (
        t("problem-kind", category=category(problem.category), kind=problem.kind)
        if problem.kind
        else category(problem.category)
    )
    return t(
        "hot-line",
        rank=rank,
        community=problem.community,
        compound=problem.compound or "-",
        what=what,
        tickets=t("n-tickets", count=len(problem.tickets)),
        households=t("n-households", count=problem.households),
    )


def problem_lines(problems: Sequence[Problem]) -> list[T]:
    return [problem_line(rank, p) for rank, p in enumerate(problems, start=1)]
