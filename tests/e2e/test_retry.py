"""A report that could not be filed is kept, and the retry job files it later."""

from __future__ import annotations

from datetime import timedelta

from nlp import Classification
from tests.e2e.conftest import World


class Broken:
    def classify(self, text: str) -> Classification:
        raise RuntimeError("the rules file is being replaced")


async def test_a_failed_filing_loses_nothing(world: World) -> None:
    deps = world.core_app.core.dispatcher.deps
    working = deps["classifier"]
    deps["classifier"] = Broken()
    answer = await world.say("r1", "楼道灯坏了")
    assert answer == ["已收到并保存您的报事，系统稍后会自动生成工单并通知您。"]
    assert world.inbox("gw1") == []
    deps["classifier"] = working
    await world.run("retry_reports")
    assert world.inbox("r1") == []  # too fresh: it might still be in hand
    world.clock.advance(timedelta(minutes=3))
    await world.run("retry_reports")
    assert "TD-261125-001" in world.inbox("r1")[0]
    assert len(world.inbox("gw1")) == 1
    await world.run("retry_reports")
    assert world.inbox("r1") == []  # filed once
