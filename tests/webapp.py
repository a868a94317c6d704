"""Helpers for the web-side tests: the personas' password, sessions that are logged in or
have just stepped up, enrollment through the pages, a frozen clock and a camera burst."""

from __future__ import annotations

import io
from collections.abc import Sequence

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from peeka.accounts.models import User
from peeka.biometrics import RGBImage

PASSWORD = "correct horse battery staple"


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
        "/face/enroll/frames/", {"frames": files, "consent": "2", "scheme": scheme}
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


def burst(photo: bytes, count: int = 4) -> list[bytes]:
    """A camera burst of one scene: the photo re-encoded at slightly different crops and
    qualities, as consecutive webcam frames differ."""
    image = Image.open(io.BytesIO(photo)).convert("RGB")
    width, height = image.size
    frames = []
    for i in range(count):
        crop = image.crop((i * 2, i, width - i * 2, height - i))
        buffer = io.BytesIO()
        crop.save(buffer, "JPEG", quality=85 + i)
        frames.append(buffer.getvalue())
    return frames


UPLOAD_SECONDS = 0.4


def jpegs(frames: Sequence[RGBImage]) -> list[bytes]:
    """Video frames as the camera page sends them: JPEG, at most 640x480."""
    out = []
    for frame in frames:
        picture = Image.fromarray(frame)
        picture.thumbnail((640, 480))
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=88)
        out.append(buffer.getvalue())
    return out


def uploads(frames: list[bytes]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"f{i}.jpg", f, "image/jpeg") for i, f in enumerate(frames)]


def recorded(frames: list[bytes], clock: FrozenClock, *, skew_ms: int = 0) -> dict[str, object]:
    """A step's frames as the page sends them: recorded at 10 fps from now on (the client's
    clock runs with the server's, `skew_ms` off), arriving once recorded and uploaded."""
    start = round(clock.now * 1000) + skew_ms
    clock.now += (len(frames) - 1) / 10 + UPLOAD_SECONDS
    stamps = [start + 100 * i for i in range(len(frames))]
    return {"frames": uploads(frames), "timestamps": ",".join(map(str, stamps))}
