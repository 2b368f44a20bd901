"""The server kit without containers: the systemd units pass `systemd-analyze verify` (with
their programs stood in for), and the nginx example sends only the webhook to the bot."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).parents[2] / "deploy" / "systemd"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
@pytest.mark.parametrize(
    "units", [["linli.service"], ["linli-backup.timer", "linli-backup.service"]]
)
def test_units_verify_cleanly(units: list[str], tmp_path: Path) -> None:
    # The programs the units start, at the same places under tmp_path: verify checks they exist.
    for program in ("opt/linli/venv/bin/linli", "opt/linli/app/deploy/backup.sh"):
        path = tmp_path / program
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    for unit in UNITS.iterdir():
        text = unit.read_text().replace("/opt/linli", f"{tmp_path}/opt/linli")
        (tmp_path / unit.name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / u) for u in units)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_service_migrates_before_it_runs() -> None:
    unit = (UNITS / "linli.service").read_text()
    assert unit.index("ExecStartPre=/opt/linli/venv/bin/linli db upgrade") < unit.index(
        "ExecStart=/opt/linli/venv/bin/linli run"
    )
    assert "User=linli" in unit and "EnvironmentFile=/etc/linli/linli.env" in unit


def test_nginx_passes_only_the_webhook_to_the_bot() -> None:
    conf = (UNITS.parent / "nginx" / "linli.conf").read_text()
    assert "listen 443 ssl;" in conf  # a port Telegram posts to
    webhook = conf[conf.index("location = /telegram/webhook {") :]
    assert "proxy_pass http://127.0.0.1:8080;" in webhook[: webhook.index("}")]
    assert "location / { return 404; }" in conf
