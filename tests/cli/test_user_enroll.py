"""`peeka user enroll NAME IMAGE...`: an administrator's photos make the account's protected
template (the same flow and audit as every enrollment); nothing of the photos is kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from peeka.accounts.models import User
from peeka.cli import main
from peeka.faces.models import FaceTemplate
from peeka.security.models import AuditEvent
from tests.webapp import PASSWORD

pytestmark = pytest.mark.django_db


def test_enroll_from_photos_and_again_to_replace_the_template(
    faces_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    User.objects.create_user("obama", password=PASSWORD)
    photos = [str(faces_dir / "obama.jpg"), str(faces_dir / "obama2.jpg")]
    assert main(["user", "enroll", "obama", *photos, "--scheme", "iom", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"user": "obama", "scheme": "iom", "photos_used": 2, "photos": 2}
    template = FaceTemplate.objects.get(user__username="obama")
    assert template.scheme == "iom"
    event = AuditEvent.objects.get(event="admin_enroll")
    assert event.success and event.user_agent == "peeka user enroll"
    # A photo of someone else among them: enrolled from the photos that agree, or refused.
    assert main(["user", "enroll", "obama", str(faces_dir / "obama3.jpg")]) == 0
    assert FaceTemplate.objects.filter(user__username="obama").count() == 1  # replaced
    assert list(tmp_path.iterdir()) == []


def test_refusals_name_what_is_wrong(
    faces_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["user", "enroll", "nobody", str(faces_dir / "obama.jpg")]) == 2
    assert "[user_not_found]" in capsys.readouterr().err
    User.objects.create_user("erin", password=PASSWORD)
    assert main(["user", "enroll", "erin", str(tmp_path / "missing.jpg")]) == 2
    assert "[image_unreadable]" in capsys.readouterr().err
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    assert main(["user", "enroll", "erin", str(text)]) == 2
    assert "[image_unsupported]" in capsys.readouterr().err
    assert not FaceTemplate.objects.filter(user__username="erin").exists()
    refused = AuditEvent.objects.get(event="admin_enroll")
    assert not refused.success and refused.reason == "image_unsupported"
