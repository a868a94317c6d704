"""Privacy and audit: a user downloads everything stored about them; admins export the audit
log as CSV (spreadsheet-safe); old audit events are pruned after the retention period."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import User
from peeka.cli import main
from peeka.faces import services
from peeka.faces.models import AuditEvent
from tests.web.conftest import PASSWORD, enroll, logged_in, reauthenticated
from tests.web.test_faces import burst


@pytest.fixture(autouse=True)
def plain_enrollment(settings: SettingsWrapper) -> None:
    settings.PEEKA_LIVENESS = False


def test_a_user_downloads_everything_stored_about_them(
    alice: User, bob: User, frames: dict[str, bytes]
) -> None:
    assert enroll(reauthenticated(alice), burst(frames["obama"]), "iom")["ok"] is True
    services.audit("face_login", success=False, reason="no_match", user=alice)
    services.audit("face_login", success=True, reason="ok", user=bob)
    assert logged_in(alice).get("/accounts/export/").status_code == 200
    response = logged_in(alice).get("/accounts/export/")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["username"] == "alice"
    # Enrolling the first second factor made recovery codes: their count, never the codes.
    assert data["second_factors"] == {"authenticator_app": False, "recovery_codes_unused": 10,
                                      "one_time_codes_disabled": False}  # fmt: skip
    [template] = data["face_templates"]
    assert template["scheme"] == "iom" and template["consent_version"] == "1"
    assert template["consented_at"] and len(template["sha256"]) == 64
    events = {(e["event"], e["reason"]) for e in data["audit_events"]}
    assert ("face_login", "no_match") in events and ("face_login", "ok") not in events
    assert "bob" not in response.text
    assert logged_in(bob).get("/accounts/export/").json()["face_templates"] == []
    assert Client().get("/accounts/export/").status_code == 302


def test_admins_export_the_audit_log_as_safe_csv(alice: User) -> None:
    services.audit("password_login", success=False, reason="bad_credentials", username="=1+2")
    services.audit("face_login", success=True, reason="ok", user=alice)
    admin = User.objects.create_superuser("root", password=PASSWORD)
    ids = [str(pk) for pk in AuditEvent.objects.values_list("pk", flat=True)]
    response = logged_in(admin).post(
        "/admin/faces/auditevent/",
        {"action": "export_csv", "_selected_action": ids},
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["time", "event", "username", "success", "reason", "ip", "user_agent"]
    assert {row[2] for row in rows[1:]} == {"'=1+2", "alice"}
    assert (
        logged_in(alice)
        .post("/admin/faces/auditevent/", {"action": "export_csv", "_selected_action": ids})
        .status_code
        == 302
    )  # not staff


def test_old_audit_events_are_pruned(alice: User, capsys: pytest.CaptureFixture[str]) -> None:
    services.audit("face_login", success=True, user=alice)
    services.audit("face_login", success=False, user=alice)
    old = timezone.now() - timedelta(days=400)
    AuditEvent.objects.filter(success=False).update(time=old)
    assert main(["audit", "prune", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"deleted": 1, "days": 365}
    assert list(AuditEvent.objects.values_list("success", flat=True)) == [True]
    assert services.prune_audit(1, now=timezone.now() + timedelta(days=2)) == 1
