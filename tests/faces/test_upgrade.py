"""Templates upgrade on a successful match, as Django re-hashes an outdated password at login:
after a key rotation, or when made before templates recorded their model, the next successful
face check re-protects the template under today's keys and parameters, in the same request."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import User
from peeka.faces.models import FaceTemplate, UserKey
from peeka.faces.selectors import templates_status
from peeka.faces.services.protection import scheme_for
from peeka.protection.envelope import Envelope, open_sealed, seal
from peeka.protection.schemes import rotate_ckks_key
from peeka.security.vault import vault
from tests.webapp import PASSWORD, burst, enroll, reauthenticated


@pytest.fixture(autouse=True)
def plain_face_login(settings: SettingsWrapper) -> None:
    settings.PEEKA_LIVENESS = False


def face_login(photo: bytes, username: str = "alice") -> bool:
    client = Client()
    client.get("/face/login/")
    data = {"frame": SimpleUploadedFile("f.jpg", photo, "image/jpeg"), "username": username}
    return bool(client.post("/face/login/frame/", data).json()["passed"])


def outdated(template: FaceTemplate) -> bool:
    return scheme_for(template.scheme, model=template.model).must_update(bytes(template.data))


@pytest.mark.parametrize("scheme", ["iom", "ckks"])
def test_a_template_sealed_with_a_retired_key_is_renewed_at_the_next_match(
    scheme: str, alice: User, frames: dict[str, bytes]
) -> None:
    assert enroll(reauthenticated(alice), burst(frames["obama"]), scheme)["ok"] is True
    before = FaceTemplate.objects.get(user=alice)
    if scheme == "ckks":
        rotate_ckks_key(vault())
    else:
        vault().rotate("mac")
    assert outdated(before)
    assert not face_login(frames["biden"])  # a failed check changes nothing
    assert FaceTemplate.objects.get(user=alice).key_id == before.key_id
    assert face_login(frames["obama2"])
    after = FaceTemplate.objects.get(user=alice)
    assert after.pk == before.pk and after.key_id != before.key_id and not outdated(after)
    # The old key is destroyed (a copy of the old template matches nothing); one key is left.
    assert list(UserKey.objects.filter(user=alice).values_list("key_id", flat=True)) == [
        after.key_id.rsplit(".", 1)[-1]
    ]
    # Re-protected from the matching picture (obama2), it still knows the enrollment photo.
    assert face_login(frames["obama"]) and not face_login(frames["biden"])


def test_a_template_made_before_models_were_recorded_gains_its_model_at_the_next_match(
    alice: User, frames: dict[str, bytes], settings: SettingsWrapper
) -> None:
    settings.PEEKA_EMBEDDER = "dlib"  # templates recorded no model while dlib was the only one
    assert enroll(reauthenticated(alice), burst(frames["obama"]), "iom")["ok"] is True
    template = FaceTemplate.objects.get(user=alice)
    envelope = open_sealed(bytes(template.data), vault())
    legacy = {k: v for k, v in envelope.params.items() if k != "model"}
    sealed = seal(Envelope("iom", legacy, envelope.key_id, envelope.payload), vault())
    FaceTemplate.objects.filter(pk=template.pk).update(data=sealed)
    assert "model" not in open_sealed(sealed, vault()).params
    assert face_login(frames["obama2"])
    upgraded = FaceTemplate.objects.get(pk=template.pk)
    assert open_sealed(bytes(upgraded.data), vault()).params["model"] == "dlib_resnet_v1"
    assert not outdated(upgraded)


def test_dlib_templates_keep_working_under_sface_and_their_users_are_asked_to_renew(
    alice: User, frames: dict[str, bytes], settings: SettingsWrapper
) -> None:
    """A database from before SFace: alice enrolled with dlib. With SFace the default, her
    login still works (the probe is embedded with dlib), her template stays dlib's (one login
    picture is no enrollment), and she is asked to renew; after renewing it is SFace's."""
    settings.PEEKA_EMBEDDER = "dlib"
    assert enroll(reauthenticated(alice), burst(frames["obama"]), "ckks")["ok"] is True
    assert FaceTemplate.objects.get(user=alice).model == "dlib_resnet_v1"
    settings.PEEKA_EMBEDDER = "sface"
    assert [(r.model, r.templates, r.current) for r in templates_status()] == [
        ("dlib_resnet_v1", 1, False)
    ]
    assert not face_login(frames["biden"])
    assert face_login(frames["obama2"])
    assert FaceTemplate.objects.get(user=alice).model == "dlib_resnet_v1"  # not converted
    # After a whole login the user is told to renew; the face-data page marks the template.
    client = Client()
    client.force_login(alice)
    page = client.get("/face/mine/").content.decode()
    assert 'id="must-renew"' in page
    client = Client()  # password, then face: a whole login
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    client.get("/face/login/")
    data = {
        "frame": SimpleUploadedFile("f.jpg", frames["obama2"], "image/jpeg"),
        "username": "alice",
    }
    assert client.post("/face/login/frame/", data).json()["passed"]
    assert client.session.get("_auth_user_id") == str(alice.pk)
    home = client.get("/").content.decode()
    assert 'id="renew-face"' in home and "older face model" in home
    # Renewing enrolls with SFace; nothing is left to renew.
    assert enroll(reauthenticated(alice), burst(frames["obama"]), "ckks")["ok"] is True
    assert FaceTemplate.objects.get(user=alice).model == "sface_2021dec_int8bq"
    assert [(r.model, r.current) for r in templates_status()] == [("sface_2021dec_int8bq", True)]
    assert face_login(frames["obama2"]) and not face_login(frames["biden"])
