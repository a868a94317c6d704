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

from peeka.accounts import otp
from peeka.accounts.models import TotpDevice, User
from peeka.cli import main
from peeka.security.models import AuditEvent
from peeka.security.services import audit_prune, audit_record
from tests.webapp import PASSWORD, burst, enroll, logged_in, reauthenticated


@pytest.fixture(autouse=True)
def plain_enrollment(settings: SettingsWrapper) -> None:
    settings.PEEKA_LIVENESS = False


def test_a_user_downloads_everything_stored_about_them(
    alice: User, bob: User, frames: dict[str, bytes]
) -> None:
    assert enroll(reauthenticated(alice), burst(frames["obama"]), "iom")["ok"] is True
    audit_record(event="face_login", success=False, reason="no_match", user=alice)
    audit_record(event="face_login", success=True, reason="ok", user=bob)
    assert logged_in(alice).get("/accounts/export/").status_code == 200
    response = logged_in(alice).get("/accounts/export/")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["username"] == "alice"
    # Enrolling the first second factor made recovery codes: their count, never the codes.
    assert data["second_factors"] == {"authenticator_app": False, "recovery_codes_unused": 10,
                                      "one_time_codes_disabled": False}  # fmt: skip
    [template] = data["face_templates"]
    assert template["scheme"] == "iom" and template["consent_version"] == "2"
    assert template["consented_at"] and len(template["sha256"]) == 64
    events = {(e["event"], e["reason"]) for e in data["audit_events"]}
    assert ("face_login", "no_match") in events and ("face_login", "ok") not in events
    assert "bob" not in response.text
    assert logged_in(bob).get("/accounts/export/").json()["face_templates"] == []
    assert Client().get("/accounts/export/").status_code == 302


def test_admins_export_the_audit_log_as_safe_csv(alice: User) -> None:
    audit_record(event="password_login", success=False, reason="bad_credentials", username="=1+2")
    audit_record(event="face_login", success=True, reason="ok", user=alice)
    admin = User.objects.create_superuser("root", password=PASSWORD)
    otp.begin_totp(admin)  # staff reach the admin only with a second factor
    TotpDevice.objects.filter(user=admin).update(confirmed=True)
    ids = [str(pk) for pk in AuditEvent.objects.values_list("pk", flat=True)]
    response = logged_in(admin).post(
        "/admin/security/auditevent/",
        {"action": "export_csv", "_selected_action": ids},
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["time", "event", "username", "success", "reason", "ip", "user_agent"]
    assert {row[2] for row in rows[1:]} == {"'=1+2", "alice"}
    assert (
        logged_in(alice)
        .post("/admin/security/auditevent/", {"action": "export_csv", "_selected_action": ids})
        .status_code
        == 302
    )  # not staff


def test_not_even_a_superuser_deletes_audit_events_in_the_admin(alice: User) -> None:
    audit_record(event="face_login", success=True, user=alice)
    event = AuditEvent.objects.get()
    admin = User.objects.create_superuser("root", password=PASSWORD)
    otp.begin_totp(admin)
    TotpDevice.objects.filter(user=admin).update(confirmed=True)
    client = logged_in(admin)
    listing = client.get("/admin/security/auditevent/").content.decode()
    assert 'value="delete_selected"' not in listing and 'value="export_csv"' in listing
    assert client.get(f"/admin/security/auditevent/{event.pk}/delete/").status_code == 403
    client.post(
        "/admin/security/auditevent/",
        {"action": "delete_selected", "_selected_action": [str(event.pk)], "post": "yes"},
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_old_audit_events_are_pruned(alice: User, capsys: pytest.CaptureFixture[str]) -> None:
    audit_record(event="face_login", success=True, user=alice)
    audit_record(event="face_login", success=False, user=alice)
    old = timezone.now() - timedelta(days=400)
    AuditEvent.objects.filter(success=False).update(time=old)
    assert main(["audit", "prune", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"deleted": 1, "days": 365}
    assert list(AuditEvent.objects.values_list("success", flat=True)) == [True]
    assert audit_prune(days=1, at=timezone.now() + timedelta(days=2)) == 1


def test_export_and_account_deletion_walk_every_registered_part(
    alice: User, frames: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An app that registers a part (as the workplace, wallet and coach will) appears in the
    download and is deleted with the account, before the account row goes."""
    from peeka.faces.models import FaceTemplate, UserKey
    from peeka.security import privacy

    deleted: list[tuple[str, bool]] = []

    def delete_part(user: object) -> None:
        deleted.append((str(user), User.objects.filter(pk=alice.pk).exists()))

    monkeypatch.setattr(privacy, "_parts", dict(privacy._parts))
    privacy.privacy_register(
        "notebook", export=lambda user: {"pages": 2, "owner": str(user)}, delete=delete_part
    )
    client = reauthenticated(alice)
    assert enroll(client, burst(frames["obama"]), "iom")["ok"] is True
    data = client.get("/accounts/export/").json()
    assert set(data) == {
        "account", "second_factors", "access_tokens", "face_templates", "audit_events", "wallet",
        "coach_reviews", "coach_practice", "notebook",
    }  # fmt: skip
    assert data["notebook"] == {"pages": 2, "owner": "alice"}
    response = client.post("/accounts/delete/", {"confirm": "on"})
    assert response.status_code == 302
    assert deleted == [("alice", True)]  # called while the account still existed
    assert not User.objects.filter(pk=alice.pk).exists()
    assert not FaceTemplate.objects.exists() and not UserKey.objects.exists()
    assert AuditEvent.objects.filter(event="account_delete", username="alice").exists()
