"""Every number an emergency needs, police first; conditional advice when danger is unclear."""

from __future__ import annotations

from tests.e2e.conftest import World


async def test_violence_with_an_injury_gets_110_then_120_and_an_emergency_ticket(
    world: World,
) -> None:
    answer = await world.say("r1", "有人拿刀在楼下砍人 地上好多血")
    assert answer[0].startswith("⚠️") and "110" in answer[0]
    assert answer[1].startswith("⚠️") and "120" in answer[1]
    assert "应急单" in answer[2] and "安全隐患" in answer[2]
    assert "应急工单" in world.inbox("pingan")[0]


async def test_a_scene_without_cue_words_is_diverted(world: World) -> None:
    answer = await world.say("r1", "我妈躺在卫生间地上 怎么喊都不答应")
    assert answer[0].startswith("⚠️") and "120" in answer[0]
    assert "应急单" in answer[1]


async def test_unclear_danger_gets_conditional_advice_and_an_ordinary_ticket(
    world: World,
) -> None:
    answer = await world.say("r1", "楼下有个醉汉在闹")
    assert answer[0].startswith("⚠️") and "如果有人受伤或有危险" in answer[0]
    assert "应急单" not in answer[1] and "TD-261125-001" in answer[1]
    assert world.inbox("pingan") == []
