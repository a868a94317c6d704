"""A budget for frames: what one anonymous request may cost. Camera frames over 1280x720 are
refused from their header, expiry and counts are checked before anything is decoded, a whole
request is limited to 40 MB on the web as on the API, and every refusal is JSON with a code."""

from __future__ import annotations

import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import User
from peeka.api.models import ApiClient
from peeka.evaluation.liveness import stamps
from peeka.security.models import AuditEvent
from tests.webapp import FrozenClock


@pytest.fixture(autouse=True)
def blink_only(settings: SettingsWrapper) -> None:
    settings.PEEKA_LIVENESS = True
    settings.PEEKA_LIVENESS_FIXED_STEPS = ["blink"]


@pytest.fixture(autouse=True)
def server_clock(clock: FrozenClock) -> FrozenClock:
    """Answers arrive as late after the reveal as recording their frames took, so the timing
    checks pass and the frames themselves are what is judged."""
    return clock


def png(width: int, height: int) -> bytes:
    """A few kilobytes that decode to width x height pixels."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 110, 100)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def files(frames: list[bytes]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"f{i}.png", f, "image/png") for i, f in enumerate(frames)]


def answer(
    client: Client, frames: list[bytes], timestamps: str | None = None
) -> tuple[int, dict[str, object]]:
    from peeka.security import clock

    issued = client.post("/face/challenge/", {"username": "alice"}).json()
    assert isinstance(clock.source, FrozenClock)
    clock.source.now += len(frames) / 10 + 0.4  # recorded at 10 a second, then sent
    data = {
        "challenge": issued["id"],
        "frames": files(frames),
        "timestamps": timestamps or ",".join(map(str, stamps(len(frames)))),
    }
    response = client.post("/face/login/frames/", data)
    return response.status_code, dict(response.json())


def test_frames_that_decode_to_25_megapixels_are_refused_from_their_headers(
    alice: User,
) -> None:
    bomb = png(5000, 5000)
    assert len(bomb) < 100_000
    started = time.perf_counter()
    status, body = answer(Client(), [bomb] * 30)  # as many as a step takes
    elapsed = time.perf_counter() - started
    assert status == 200 and body["passed"] is False
    assert elapsed < 5, elapsed  # decoding them would take over a minute and gigabytes
    assert AuditEvent.objects.get(event="liveness_login").reason == "frames"


def test_an_expired_or_oversized_answer_is_refused_before_decoding(
    alice: User, clock: FrozenClock
) -> None:
    client = Client()
    issued = client.post("/face/challenge/", {"username": "alice"}).json()
    clock.now += 3600
    frames = [png(640, 480)] * 20
    data = {"challenge": issued["id"], "frames": files(frames),
            "timestamps": ",".join(map(str, stamps(20)))}  # fmt: skip
    assert client.post("/face/login/frames/", data).json()["passed"] is False
    assert AuditEvent.objects.get(event="liveness_login").reason == "expired"
    status, body = answer(client, [png(640, 480)] * 31)  # more than a step takes
    assert (status, body["code"]) == (400, "invalid_timestamps")
    status, body = answer(client, [png(640, 480)] * 31, ",".join(map(str, stamps(30))))
    assert status == 200 and body["passed"] is False
    assert AuditEvent.objects.filter(event="liveness_login", reason="frames").count() == 1


def test_out_of_range_timestamps_get_a_code_not_a_server_error(alice: User) -> None:
    frames = [png(640, 480)] * 6
    huge = ",".join(["12345678901234567890"] * 6)
    status, body = answer(Client(), frames, huge)
    assert (status, body["code"]) == (400, "invalid_timestamps")
    key = ApiClient.create("app")[1]
    api = Client()
    issued = api.post("/api/v1/liveness/challenges", {}, headers={"X-API-Key": key}).json()
    response = api.post(
        f"/api/v1/liveness/challenges/{issued['id']}/frames",
        {"frames": files(frames), "timestamps": huge},
        headers={"X-API-Key": key},
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_timestamps"


def test_the_web_takes_40_mb_in_all_and_refuses_more_with_json(alice: User) -> None:
    # 30 frames of ~0.9 MB: 27 MB in all, each far below the 20 MB a file may have.
    noisy = io.BytesIO()
    Image.frombytes("RGB", (640, 480), bytes(range(256)) * 3600).save(noisy, "BMP")
    frame = noisy.getvalue()
    assert len(frame) * 30 > 25 * 2**20
    status, body = answer(Client(), [frame] * 30)
    assert status == 200 and body["passed"] is False  # read and judged, not refused for size
    status, body = answer(Client(), [frame] * 46)  # over 40 MB
    assert (status, body["code"]) == (413, "request_too_large")
    too_many = Client().post("/face/login/frames/", {"frames": files([b"x"] * 101)})
    assert too_many.status_code == 413 and too_many.json()["code"] == "too_many_files"
    broken = Client().post(
        "/face/login/frames/", data=b"--nope\r\n", content_type="multipart/form-data"
    )
    assert broken.status_code == 400 and broken.json()["code"] == "malformed_body"
