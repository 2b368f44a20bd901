"""The in-process harness reads like the phone screens of the end-to-end transcripts."""

from __future__ import annotations

from tests.handlers.harness import GROUP, Harness


def test_a_report_reaches_the_grid_worker_who_accepts_it(harness: Harness) -> None:
    answer = harness.says("r1", "3号楼楼道灯坏了")
    assert "TD-261125-001" in answer[0]
    ping = harness.inbox("gw1")
    assert "TD-261125-001" in ping[0]
    assert harness.buttons("gw1")[0] == "✅ 受理"
    assert harness.taps("gw1", "受理") == "已受理 TD-261125-001"
    assert "已由 王网格 受理" in harness.inbox("r1")[0]


def test_a_group_report_is_answered_in_the_group(harness: Harness) -> None:
    answer = harness.says("r1", "#报事 小区东门路灯不亮", chat=GROUP)
    assert "TD-261125-001" in answer[0]


def test_a_stale_button_is_answered_once_by_the_dispatcher(harness: Harness) -> None:
    assert harness.presses("gw1", "zz:nonsense") == "这个按钮已过期，请重新打开最新的消息。"
    assert harness.last.keys == ["error-stale-button"]
