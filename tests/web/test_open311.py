"""Open311 GeoReport v2 over HTTP against the running bot: every JSON answer validates against
schemas written from the specification (tests/web/schemas), XML has the spec's shape, filing
needs a key and goes through the chat intake: the grid worker is pinged in Telegram."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import aiohttp
import jsonschema
import pytest
from referencing import Registry, Resource
from sqlmodel import select

import bot.transports.aiogram_transport  # noqa: F401  (imported now, not within World.start's 10 s)
from bot.standin import DEFAULT_TOKEN, BotAPIStandIn
from domain.clock import ManualClock
from domain.open311 import add_client, revoke_client
from storage.db import session as open_session
from storage.models import Report, Ticket
from storage.models_figures import Open311Request
from tests.e2e.conftest import World, free_port

SCHEMAS = Path(__file__).parent / "schemas"
BASE = "https://linli.example/open311/"


def _registry() -> Registry[Any]:
    resources = []
    for path in SCHEMAS.glob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        schema.setdefault("$id", BASE + path.name)
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def valid(name: str, body: Any) -> Any:
    """Validate `body` against schemas/<name>.json (the draft its $schema names)."""
    schema = REGISTRY.contents(BASE + f"{name}.json")
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    validator(schema, registry=REGISTRY, format_checker=validator.FORMAT_CHECKER).validate(body)
    return body


class Api:
    """An HTTP client of the running bot's Open311 endpoint."""

    def __init__(self, world: World, base: str, http: aiohttp.ClientSession):
        self.world = world
        self.base = base
        self.http = http

    async def get(self, path: str, **params: str) -> tuple[int, Any]:
        async with self.http.get(self.base + path, params=params) as response:
            if path.endswith(".xml"):
                assert response.content_type == "text/xml" and response.charset == "utf-8"
                return response.status, ElementTree.fromstring(await response.read())
            assert response.content_type == "application/json"
            return response.status, await response.json()

    async def post(self, path: str, **form: str) -> tuple[int, Any]:
        async with self.http.post(self.base + path, data=form) as response:
            if path.endswith(".xml"):
                return response.status, ElementTree.fromstring(await response.read())
            return response.status, await response.json()

    def key(self, name: str = "12345-platform") -> str:
        with open_session(self.world.core_app.engine) as session:
            _, key = add_client(session, name, self.world.clock.now())
            session.commit()
        return key


@pytest.fixture
async def api(
    database_url: str, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Api]:
    port = free_port()
    monkeypatch.setenv("LINLI_WEB_PORT", str(port))
    standin = BotAPIStandIn(DEFAULT_TOKEN)
    await standin.start()
    world = World(standin, database_url, clock)
    await world.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield Api(world, f"http://127.0.0.1:{port}/open311/v2/", http)
    finally:
        await world.stop()
        await standin.stop()


async def test_services_are_the_categories_as_a_bare_array(api: Api) -> None:
    status, services = await api.get("services.json")
    assert status == 200
    valid("services", services)
    by_code = {s["service_code"]: s for s in services}
    assert "none" not in by_code and len(by_code) == 18
    assert by_code["service.facility"]["service_name"] == "公共设施维修"
    assert by_code["dispute.neighbour"]["group"] == "矛盾纠纷"
    assert "下水道" in by_code["service.facility"]["keywords"].split(", ")
    status, english = await api.get("services.json", locale="en")
    assert {s["service_code"]: s["group"] for s in english}["service.parking"] == "Services"
    status, xml = await api.get("services.xml")
    assert xml.tag == "services" and {child.tag for child in xml} == {"service"}
    first = xml[0]
    assert [c.tag for c in first] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert first.findtext("metadata") == "true"


async def test_a_service_definition_and_the_errors(api: Api) -> None:
    status, definition = await api.get("services/service.facility.json")
    assert status == 200
    valid("service_definition", definition)
    assert definition["attributes"][0]["code"] == "request_type"
    status, xml = await api.get("services/service.facility.xml")
    assert xml.tag == "service_definition"
    assert xml.find("attributes/attribute/values/value/key") is not None
    for path, expected in (
        ("services/no.such.json", 404),
        ("requests/TD-000000-000.json", 404),
        ("tokens/nosuchtoken.json", 404),
        ("nothing-here.json", 404),
    ):
        status, body = await api.get(path)
        assert status == expected, path
        valid("errors", body)
        assert body[0]["code"] == expected
    status, body = await api.get("services.json", jurisdiction_id="elsewhere.gov")
    assert status == 404 and "jurisdiction_id" in valid("errors", body)[0]["description"]
    status, xml = await api.get("requests/TD-000000-000.xml")
    assert status == 404 and xml.tag == "errors" and xml.findtext("error/code") == "404"


async def test_filing_needs_a_key(api: Api) -> None:
    form = {"service_code": "service.facility", "address_string": "铜都花园3栋"}
    status, body = await api.post("requests.json", description="楼道灯坏了", **form)
    assert status == 403
    valid("errors", body)
    status, body = await api.post("requests.json", api_key="guess", description="灯坏", **form)
    assert status == 403
    key = api.key()
    with open_session(api.world.core_app.engine) as session:
        revoke_client(session, "12345-platform", api.world.clock.now())
        session.commit()
    status, body = await api.post("requests.json", api_key=key, description="灯坏", **form)
    assert status == 403
    with open_session(api.world.core_app.engine) as session:
        assert session.exec(select(Report)).first() is None  # nothing kept from a refused post


async def test_a_filed_report_opens_a_ticket_and_pings_the_grid_worker(api: Api) -> None:
    key = api.key()
    api.world.read(api.world.user("gw1").id)
    status, body = await api.post(
        "requests.json",
        api_key=key,
        jurisdiction_id="xinxialu",
        service_code="service.facility",
        address_string="铜都花园 3栋 二单元",
        description="3栋2单元楼道灯坏了，联系电话13812345678",
        account_id="citizen-42",
        first_name="明",
        last_name="王",
    )
    assert status == 200, body
    valid("post_response", body)
    number = body[0]["service_request_id"]
    assert body[0]["account_id"] == "citizen-42"
    await api.world.core_app.core.drain()
    pings = api.world.inbox("gw1")
    assert any(number in text and "楼道灯坏了" in text for text in pings), pings
    with open_session(api.world.core_app.engine) as session:
        ticket = session.exec(select(Ticket).where(Ticket.number == number)).one()
        assert (ticket.category, ticket.grid_id is not None) == ("service.facility", True)
        token = session.exec(select(Open311Request.token)).one()

    status, requests = await api.get("requests.json")
    assert status == 200
    valid("requests", requests)
    mine = next(r for r in requests if r["service_request_id"] == number)
    assert mine["status"] == "open" and mine["service_code"] == "service.facility"
    assert mine["address"] == "3栋, 铜都花园, 铜都社区"
    assert mine["address_id"] == "TD/铜都花园/3栋"
    assert mine["agency_responsible"] == "铜都第一网格"
    assert "13812345678" not in json.dumps(requests, ensure_ascii=False)
    assert mine["requested_datetime"].endswith("+08:00")
    assert mine["expected_datetime"] is not None

    status, one = await api.get(f"requests/{number}.json")
    assert status == 200 and valid("requests", one)[0]["service_request_id"] == number
    status, xml = await api.get(f"requests/{number}.xml")
    assert xml.tag == "service_requests" and xml.findtext("request/status") == "open"
    status, found = await api.get(f"tokens/{token}.json")
    assert valid("tokens", found) == [{"service_request_id": number, "token": token}]

    now = api.world.clock.now()
    for params, expected in (
        ({"status": "closed"}, []),
        ({"status": "open,closed"}, [number]),
        ({"service_code": "service.parking"}, []),
        ({"service_code": "service.parking,service.facility"}, [number]),
        ({"start_date": (now + timedelta(hours=1)).isoformat()}, []),
        ({"service_request_id": f"{number},TD-000000-000"}, [number]),
    ):
        status, body = await api.get("requests.json", **params)
        assert status == 200, params
        assert [r["service_request_id"] for r in valid("requests", body)] == expected, params

    for params in (
        {"start_date": "last week"},
        {"status": "pending"},
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"},
    ):
        status, body = await api.get("requests.json", **params)
        assert status == 400, params
        valid("errors", body)


async def test_a_report_the_api_cannot_place_is_refused_and_explained(api: Api) -> None:
    key = api.key()
    base = {"api_key": key, "service_code": "service.facility", "description": "灯坏了"}
    for extra, expected in (
        ({"lat": "30.2", "long": "115.1"}, 400),
        ({"address_string": "北京市朝阳区"}, 404),
        ({"address_id": "TD/铜都花园/99栋"}, 404),
        ({"address_string": "铜都花园3栋", "service_code": "pothole"}, 404),
        ({"address_string": "铜都花园3栋", "description": "  "}, 400),
    ):
        status, body = await api.post("requests.json", **(base | extra))
        assert status == expected, extra
        valid("errors", body)
    status, body = await api.post("requests.json", **(base | {"address_id": "TD/铜都小区/2栋"}))
    assert status == 200
    valid("post_response", body)
