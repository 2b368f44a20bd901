"""Open311 GeoReport v2 at /open311/v2/: services, service definitions, requests (GET and
POST), one request, tokens; JSON and XML; errors as `[{"code": …, "description": …}]`.

Reading is public (texts masked, no names); filing needs an API key made with
`linli open311 key add NAME`. A filed report goes through the same intake as a chat report
(handlers/outside.py → handlers/reporting.Filing). docs/open311.md has the details.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from xml.etree import ElementTree

from aiohttp import web

from domain import open311
from domain.open311 import Category, Open311Error, Query
from handlers.i18n import Texts
from handlers.jobs import Jobs
from handlers.outside import OutsideReport, file_outside, number_for_token
from storage.db import session as open_session

log = logging.getLogger(__name__)
T = TypeVar("T")
Run = Callable[[Callable[[], T]], Awaitable[T]]
PREFIX = "/open311/v2"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# The element that holds each item of a list, by the list's name (the Spark convention).
_ITEM = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}


def _xml_value(parent: ElementTree.Element, name: str, value: Any) -> None:
    node = ElementTree.SubElement(parent, name)
    if isinstance(value, list):
        for item in value:
            _xml_value(node, _ITEM.get(name, "item"), item)
    elif isinstance(value, dict):
        for key, inner in value.items():
            _xml_value(node, key, inner)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = str(value)


def to_xml(root: str, body: Any) -> bytes:
    """XML as the spec shows it: a root element, one child per item, no namespace."""
    element = ElementTree.Element(root)
    if isinstance(body, list):
        for item in body:
            _xml_value(element, _ITEM.get(root, "item"), item)
    else:
        for key, value in body.items():
            _xml_value(element, key, value)
    written: bytes = ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)
    return written


def respond(fmt: str, root: str, body: Any, status: int = 200) -> web.Response:
    if fmt == "xml":
        return web.Response(
            body=to_xml(root, body), status=status, content_type="text/xml", charset="utf-8"
        )
    return web.json_response(body, status=status, dumps=_dumps)


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def error(fmt: str, status: int, description: str) -> web.Response:
    return respond(
        fmt if fmt in ("json", "xml") else "json",
        "errors",
        [{"code": status, "description": description}],
        status,
    )


class Open311:
    """The handlers of one API: the bot's intake, its texts, and how to run database work."""

    def __init__(
        self,
        jobs: Jobs,
        texts: Texts,
        categories: list[Category],
        *,
        jurisdiction: str,
        subdistrict: str,
        run: Run[Any],
        delivered: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.jobs = jobs
        self.texts = texts
        self.categories = categories
        self.families = {c.code: c.family for c in categories if c.code != "none"}
        self.jurisdiction = jurisdiction
        self.subdistrict = subdistrict
        self.run = run
        self.delivered = delivered

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._errors])
        fmt = "{fmt:(json|xml)}"
        app.router.add_get(f"/discovery.{fmt}", self.discovery)
        app.router.add_get(f"/services.{fmt}", self.services)
        app.router.add_get(r"/services/{code:[A-Za-z0-9_.-]+?}." + fmt, self.definition)
        app.router.add_get(f"/requests.{fmt}", self.requests)
        app.router.add_post(f"/requests.{fmt}", self.post)
        app.router.add_get(r"/requests/{id:[A-Za-z0-9_-]+}." + fmt, self.one)
        app.router.add_get(r"/tokens/{token:[A-Za-z0-9_-]+}." + fmt, self.token)
        return app

    @web.middleware
    async def _errors(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        fmt = request.match_info.get("fmt") or ("xml" if request.path.endswith(".xml") else "json")
        try:
            return await handler(request)
        except Open311Error as failure:
            return error(fmt, failure.status, failure.description)
        except web.HTTPNotFound:
            return error(fmt, 404, "no such resource; see /open311/v2/discovery.json")
        except web.HTTPMethodNotAllowed:
            return error(fmt, 405, "method not allowed")
        except Exception:
            log.exception("open311 %s %s failed", request.method, request.path)
            return error(fmt, 500, "general service error")

    # --- helpers -------------------------------------------------------------------------------

    def _label(self, request: web.Request) -> Callable[..., str]:
        wanted = request.query.get("locale") or request.headers.get("Accept-Language") or ""
        lang = "en" if wanted.lower().startswith("en") else "zh_Hans"
        return lambda key, **params: self.texts.get(lang, key, **params)

    def _jurisdiction(self, params: Any) -> None:
        given = (params.get("jurisdiction_id") or "").strip()
        if given and given != self.jurisdiction:
            raise Open311Error(404, f"jurisdiction_id {given!r} was not found")

    # --- the methods ---------------------------------------------------------------------------

    async def discovery(self, request: web.Request) -> web.Response:
        base = f"{request.scheme}://{request.host}{PREFIX}"
        body = {
            "changeset": "2026-12-01T00:00:00+08:00",
            "contact": self._label(request)("o311-contact"),
            "key_service": self._label(request)("o311-key-service"),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": base,
                    "changeset": "2026-12-01T00:00:00+08:00",
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        }
        return respond(request.match_info["fmt"], "discovery", body)

    async def services(self, request: web.Request) -> web.Response:
        self._jurisdiction(request.query)
        body = open311.services(self.categories, self._label(request))
        return respond(request.match_info["fmt"], "services", body)

    async def definition(self, request: web.Request) -> web.Response:
        self._jurisdiction(request.query)
        code = request.match_info["code"]
        if code not in self.families:
            raise Open311Error(404, f"service_code {code!r} was not found")
        body = open311.definition(code, self._label(request))
        return respond(request.match_info["fmt"], "service_definition", body)

    async def requests(self, request: web.Request) -> web.Response:
        self._jurisdiction(request.query)
        query = Query.parse(dict(request.query), self.jobs.clock.now())
        label = self._label(request)

        def read() -> list[dict[str, Any]]:
            with open_session(self.jobs.engine) as session:
                return [
                    open311.request(session, ticket, self.jobs.tz, label, self.subdistrict)
                    for ticket in open311.find(session, query)
                ]

        body = await self.run(read)
        return respond(request.match_info["fmt"], "service_requests", body)

    async def one(self, request: web.Request) -> web.Response:
        self._jurisdiction(request.query)
        number = request.match_info["id"].upper()
        label = self._label(request)

        def read() -> list[dict[str, Any]]:
            with open_session(self.jobs.engine) as session:
                found = open311.find(session, Query(ids=(number,)))
                return [
                    open311.request(session, t, self.jobs.tz, label, self.subdistrict)
                    for t in found
                ]

        body = await self.run(read)
        if not body:
            raise Open311Error(404, f"service_request_id {number!r} was not found")
        return respond(request.match_info["fmt"], "service_requests", body)

    async def token(self, request: web.Request) -> web.Response:
        self._jurisdiction(request.query)
        token = request.match_info["token"]
        known, number = await self.run(lambda: number_for_token(self.jobs, token))
        if not known:
            raise Open311Error(404, f"token {token!r} was not found")
        body = [{"service_request_id": number, "token": token}]
        return respond(request.match_info["fmt"], "service_requests", body)

    async def post(self, request: web.Request) -> web.Response:
        form = await request.post()
        params = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        self._jurisdiction(params)
        key = params.get("api_key", "")

        def client_id() -> int | None:
            with open_session(self.jobs.engine) as session:
                client = open311.client_for(session, key)
                return client.id if client else None

        ident = await self.run(client_id)
        if ident is None:
            raise Open311Error(403, "a valid api_key is required to file a service request")
        code = params.get("service_code", "").strip()
        if not code:
            raise Open311Error(400, "service_code is required")
        if code not in self.families:
            raise Open311Error(404, f"service_code {code!r} was not found")
        report = OutsideReport(
            client_id=ident,
            service_code=code,
            description=params.get("description", ""),
            address_id=params.get("address_id") or None,
            address_string=params.get("address_string") or None,
            account=(
                params.get("account_id")
                or params.get("phone")
                or params.get("email")
                or params.get("device_id")
                or ""
            ),
            name=" ".join(
                p for p in (params.get("last_name", ""), params.get("first_name", "")) if p
            ),
        )
        filed = await self.run(lambda: file_outside(self.jobs, report, self.families))
        if self.delivered is not None:
            await self.delivered()  # the grid worker's ping is in the outbox: send it now
        label = self._label(request)
        account = params.get("account_id") or None
        item: dict[str, Any]
        if filed.number is not None:
            item = {"service_request_id": filed.number}
        else:
            item = {"token": filed.token}
        item |= {"service_notice": label("o311-notice-filed"), "account_id": account}
        return respond(request.match_info["fmt"], "service_requests", [item])
