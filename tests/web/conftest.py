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
    """A session of `user` that has just re-entered its password (as the enroll page asks)."""
    client = logged_in(user)
    response = client.post("/face/enroll/", {"password": PASSWORD})
    assert response.status_code == 302
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
