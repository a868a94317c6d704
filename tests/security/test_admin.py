"""The audit log and lockouts in the admin: rows say what happened in words (in the admin's
language), the raw codes stay filterable and in the CSV, nothing can be edited or deleted, and
models and columns have translated names."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.utils import translation

from peeka.accounts import otp
from peeka.accounts.models import TotpDevice, User
from peeka.security.models import AuditEvent, Lockout
from peeka.security.services import FACE, audit_record, lockout_failed
from tests.webapp import PASSWORD, logged_in


def results(html: str) -> str:
    """The change list's table, without the filters beside it."""
    return html.split('id="result_list"', 1)[1].split("</table>", 1)[0]


@pytest.fixture
def admin_client(db: None) -> Client:
    admin = User.objects.create_superuser("root", password=PASSWORD)
    otp.begin_totp(admin)  # staff reach the admin only with a second factor
    TotpDevice.objects.filter(user=admin).update(confirmed=True)
    return logged_in(admin)


def test_an_event_reads_as_what_happened(alice: User) -> None:
    audit_record(event="liveness_login", success=False, reason="duplicates", user=alice)
    event = AuditEvent.objects.get()
    with translation.override("en"):
        text = str(event)
    assert text.startswith("Face login refused: alice, ")
    assert "AuditEvent object" not in text
    with translation.override("ko"):
        assert not str(event).startswith("Face login refused")


def test_the_list_shows_titles_and_reasons_and_filters_by_code(
    alice: User, admin_client: Client
) -> None:
    audit_record(event="liveness_login", success=False, reason="duplicates", user=alice)
    audit_record(event="login", success=True, reason="face+password", user=alice)
    page = admin_client.get("/admin/security/auditevent/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.text
    assert "Face login refused" in html and "Same picture repeated" in html
    assert "Signed in" in html and "Face + password" in html
    assert "AuditEvent object" not in html
    assert "What happened" in html and "Reason" in html
    filtered = results(admin_client.get("/admin/security/auditevent/?event=login").text)
    assert "Signed in" in filtered and "Face login refused" not in filtered
    refused = results(admin_client.get("/admin/security/auditevent/?success__exact=0").text)
    assert "Face login refused" in refused and "Signed in" not in refused
    by_reason = results(admin_client.get("/admin/security/auditevent/?reason=duplicates").text)
    assert "Face login refused" in by_reason and "Face + password" not in by_reason
    # The filter's choices name the events in words, with their codes.
    assert "Signed in (login)" in html


def test_the_list_speaks_the_admins_language(alice: User, admin_client: Client) -> None:
    audit_record(event="liveness_login", success=False, reason="duplicates", user=alice)
    html = admin_client.get("/admin/security/auditevent/", headers={"Accept-Language": "ko"}).text
    with translation.override("ko"):
        assert str(AuditEvent._meta.verbose_name_plural) in html
    assert "Face login refused" not in html and "Same picture repeated" not in html


def test_the_detail_page_is_read_only_and_shows_the_words(
    alice: User, admin_client: Client
) -> None:
    audit_record(event="step_up", success=True, reason="code", user=alice)
    event = AuditEvent.objects.get()
    page = admin_client.get(
        f"/admin/security/auditevent/{event.pk}/change/", headers={"Accept-Language": "en"}
    )
    assert page.status_code == 200
    assert "Identity confirmed" in page.text and "Password + one-time code" in page.text
    assert 'name="event"' not in page.text  # shown, not editable
    admin_client.post(f"/admin/security/auditevent/{event.pk}/change/", {"event": "forged"})
    assert AuditEvent.objects.get().event == "step_up"
    assert admin_client.get(f"/admin/security/auditevent/{event.pk}/delete/").status_code == 403


def test_the_csv_keeps_the_raw_codes(alice: User, admin_client: Client) -> None:
    audit_record(event="login", success=True, reason="face+password", user=alice)
    ids = [str(pk) for pk in AuditEvent.objects.values_list("pk", flat=True)]
    response = admin_client.post(
        "/admin/security/auditevent/", {"action": "export_csv", "_selected_action": ids}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][1] == "login" and rows[1][4] == "face+password"


def test_lockouts_show_their_kind_in_words(alice: User, admin_client: Client) -> None:
    lockout_failed(user=alice, rule=FACE)
    html = admin_client.get("/admin/security/lockout/", headers={"Accept-Language": "en"}).text
    assert "Face login" in html
    with translation.override("en"):
        assert str(Lockout.objects.get()) == "Face login: alice"
    assert "alice" in results(html)
    filtered = admin_client.get("/admin/security/lockout/?kind=otp").text
    assert 'id="result_list"' not in filtered  # nobody is locked out of codes
    assert "alice" in results(admin_client.get("/admin/security/lockout/?kind=face").text)


def test_models_have_translated_names() -> None:
    from peeka.api.models import ApiClient
    from peeka.faces.models import FaceTemplate

    with translation.override("ko"):
        for model in (AuditEvent, Lockout, FaceTemplate, ApiClient):
            assert str(model._meta.verbose_name) != model.__name__.lower()
        assert str(AuditEvent._meta.verbose_name) != "audit event"
        assert str(FaceTemplate._meta.get_field("scheme").verbose_name) != "protection scheme"
        assert str(ApiClient._meta.get_field("last_used").verbose_name) != "last used"
