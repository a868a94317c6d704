"""Two server processes sharing one database and one cache behave as one: a face lockout and
a rate-limit window set by one process are enforced by the other. With DATABASE_URL and
REDIS_URL set (as `.ci/run`'s second pass does) this runs on PostgreSQL and Redis; otherwise
on a shared SQLite file and cache folder."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

SETUP = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from peeka.accounts.models import User
User.objects.filter(username="{name}").delete()
User.objects.create_user("{name}", password="x")
"""
FIRST = """
import django; django.setup()
from peeka.accounts.models import User
from django.test import override_settings
from peeka.security import clock, services
clock.source = lambda: 1_800_000_020.0  # one frozen instant in both processes
user = User.objects.get(username="{name}")
for _ in range(services.FACE.backoff_after):
    services.lockout_failed(user=user)
with override_settings(PEEKA_RATE_LIMITS={{"face": 3}}):
    for _ in range(3):
        services.rate_limit(scope="face", ident="{ip}")
print("first done")
"""
SECOND = """
import django; django.setup()
from peeka.accounts.models import User
from django.test import override_settings
from peeka.security import clock, services
clock.source = lambda: 1_800_000_021.0
user = User.objects.get(username="{name}")
try:
    services.lockout_check(user=user)
    print("face allowed")
except services.ThrottledError as exc:
    print("face locked", exc.retry_after)
try:
    with override_settings(PEEKA_RATE_LIMITS={{"face": 3}}):
        services.rate_limit(scope="face", ident="{ip}")
    print("rate allowed")
except services.ThrottledError as exc:
    print("rate limited", exc.code)
User.objects.filter(username="{name}").delete()
"""


def _run(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_a_lockout_set_by_one_process_is_seen_by_another(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "peeka.web.settings",
        "PEEKA_DATA_DIR": str(tmp_path),
        "PEEKA_KEY_DIR": str(tmp_path / "keys"),
        "PEEKA_SECRET_KEY": "scale-out-test",
    }
    names = {"name": f"scale-{uuid.uuid4().hex[:8]}", "ip": f"192.0.2.{uuid.uuid4().int % 250}"}
    _run(SETUP.format(**names), env)
    assert "first done" in _run(FIRST.format(**names), env)
    second = _run(SECOND.format(**names), env).split("\n")
    assert second[0] == "face locked 29" and second[1] == "rate limited rate_limited"
