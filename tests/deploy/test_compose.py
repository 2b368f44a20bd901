"""deploy/compose.yaml, checked without a container engine: interpolated as docker compose does
from compose.env.example, validated against the Compose Specification's schema, and read for
what the deployment needs (PostgreSQL healthy before the bot, migrations once, TLS in front of
the webhook on a port Telegram posts to, every LINLI_ variable a real setting)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft7Validator

from tests.bot.test_config import _variables

DEPLOY = Path(__file__).parents[2] / "deploy"
SCHEMA = Path(__file__).parent / "compose-spec.json"
TELEGRAM_PORTS = {443, 80, 88, 8443}


def env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs if not k.lstrip().startswith("#")}


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """${NAME}, ${NAME:?message} and ${NAME:-default}, as docker compose reads them."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        name, operator, rest = match[1], match[2] or "", match[3] or ""
        if env.get(name):
            return env[name]
        if operator == ":?":
            raise AssertionError(f"{name} is required: {rest}")
        return rest if operator == ":-" else ""

    return re.sub(r"\$\{(\w+)(:\?|:-)?([^}]*)\}", one, value)


@pytest.fixture
def compose() -> dict[str, Any]:
    raw = yaml.safe_load((DEPLOY / "compose.yaml").read_text())  # merges the x-linli anchor
    document: dict[str, Any] = interpolate(raw, env_file(DEPLOY / "compose.env.example"))
    return document


def test_the_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    validator = Draft7Validator(json.loads(SCHEMA.read_text()))
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_a_missing_password_or_domain_stops_compose() -> None:
    raw = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    with pytest.raises(AssertionError, match="is required"):
        interpolate(raw, {"LINLI_DOMAIN": "bot.example.org"})


def test_postgres_then_migrations_then_the_bot_behind_tls(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "migrate", "bot", "proxy"}
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["bot"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert services["bot"]["healthcheck"]["test"][0] == "CMD"
    assert services["proxy"]["depends_on"] == {"bot": {"condition": "service_healthy"}}
    assert "443:443" in services["proxy"]["ports"]
    for name in ("migrate", "bot"):
        service = services[name]
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert service["env_file"] == "linli.env"
        assert (DEPLOY / "linli.env.example").exists()  # what linli.env is copied from
        environment = service["environment"]
        assert set(environment) <= _variables()  # every variable is one Linli reads
        assert environment["LINLI_ENV"] == "production"
        assert environment["LINLI_DATABASE_URL"].startswith("postgresql+psycopg://linli:")
        assert environment["LINLI_DATABASE_URL"].endswith("@postgres:5432/linli")
        webhook = urlsplit(environment["LINLI_WEBHOOK_URL"])
        assert webhook.scheme == "https" and (webhook.port or 443) in TELEGRAM_PORTS
        assert webhook.path == environment["LINLI_WEBHOOK_PATH"]
    assert (DEPLOY / "Dockerfile").exists()


def test_caddy_passes_only_the_webhook_to_the_bot(compose: dict[str, Any]) -> None:
    mounts = compose["services"]["proxy"]["volumes"]
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in mounts
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    path = compose["services"]["bot"]["environment"]["LINLI_WEBHOOK_PATH"]
    assert re.search(rf"handle {re.escape(path)} {{\s*reverse_proxy bot:8080\s*}}", caddyfile)
    assert "respond 404" in caddyfile


def test_the_schema_catches_a_misspelt_key(compose: dict[str, Any]) -> None:
    compose["services"]["bot"]["depend_on"] = compose["services"]["bot"].pop("depends_on")
    validator = Draft7Validator(json.loads(SCHEMA.read_text()))
    assert [e.message for e in validator.iter_errors(compose)] == [
        "'depend_on' does not match any of the regexes: '^x-'"
    ]


def test_docker_compose_config_accepts_it(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    has_compose = docker and (
        subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    )
    if not has_compose:
        pytest.skip("no `docker compose` here (checked against the schema instead)")
    deploy = tmp_path / "deploy"  # a copy, with linli.env made from the example
    shutil.copytree(DEPLOY, deploy)
    shutil.copy(DEPLOY / "linli.env.example", deploy / "linli.env")
    shutil.copy(DEPLOY / "compose.env.example", deploy / ".env")
    result = subprocess.run(
        [str(docker), "compose", "-f", str(deploy / "compose.yaml"), "config", "--quiet"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
