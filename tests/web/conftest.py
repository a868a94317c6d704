"""Fixtures for the web platform: users and real face photos as camera frames."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from peeka.accounts.models import User

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    """Each test starts with empty rate-limit windows (they are per client IP)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def alice(db: None) -> User:
    return User.objects.create_user("alice", password=PASSWORD)


@pytest.fixture
def bob(db: None) -> User:
    return User.objects.create_user("bob", password=PASSWORD)


@pytest.fixture
def frames(faces_dir: Path) -> dict[str, bytes]:
    """JPEG bytes of the real photos, as a browser would send them."""
    return {p.stem: p.read_bytes() for p in faces_dir.glob("*.jpg")}


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def reauthenticated(user: User) -> Client:
    """A session of `user` that has just stepped up: with the password, as an account with no
    second factor does before enrolling a face, or else with the password and a (new)
    recovery code, the way without a camera."""
    from peeka.accounts import mfa, otp

    client = logged_in(user)
    data = {"password": PASSWORD, "next": "/face/enroll/"}
    if "password" not in mfa.step_up_methods(user):
        data["code"] = otp.new_recovery_codes(user)[0]
    response = client.post("/accounts/step-up/", data)
    assert response.status_code == 302 and response["Location"] == "/face/enroll/"
    return client


def enroll(client: Client, photos: list[bytes], scheme: str = "ckks") -> dict[str, object]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    files = [SimpleUploadedFile(f"f{i}.jpg", data, "image/jpeg") for i, data in enumerate(photos)]
    response = client.post(
        "/face/enroll/frames/", {"frames": files, "consent": "1", "scheme": scheme}
    )
    body: dict[str, object] = response.json()
    body["status"] = response.status_code
    return body


class FrozenClock:
    """A time source that moves only when a test moves it."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    """Freeze the clock of the lockouts, rate limits, one-time codes, logins and step-ups."""
    from peeka.faces import abuse

    frozen = FrozenClock()
    monkeypatch.setattr(abuse, "clock", frozen)
    return frozen
