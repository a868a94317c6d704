"""Shared fixtures: real photos from ../shared/data (skipped with a reason when absent) and
scikit-image's public-domain astronaut, so a fresh clone always exercises the real models."""

from __future__ import annotations

import io
import os
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from peeka.accounts.models import User
from peeka.biometrics import FaceEngine, RGBImage
from peeka.biometrics.engine import EngineConfig
from tests.webapp import PASSWORD, FrozenClock, jpegs

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FACES = SHARED_DATA / "faces"
LFW_DEV = SHARED_DATA / "lfw-dev"
LIVENESS = SHARED_DATA / "liveness"


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    if not (FACES / "obama.jpg").is_file():
        pytest.skip(f"real face photos not found at {FACES} (../shared/data/faces)")
    return FACES


@pytest.fixture(scope="session")
def lfw_dev() -> Path:
    if not (LFW_DEV / "pairs.txt").is_file():
        pytest.skip(f"LFW dev set not found at {LFW_DEV} (../shared/data/lfw-dev)")
    return LFW_DEV


@pytest.fixture(scope="session")
def liveness_dir() -> Path:
    if not (LIVENESS / "MANIFEST.csv").is_file():
        pytest.skip(f"liveness recordings not found at {LIVENESS} (../shared/data/liveness)")
    return LIVENESS


@pytest.fixture(scope="session")
def astronaut() -> RGBImage:
    from skimage import data

    image: RGBImage = np.ascontiguousarray(data.astronaut())
    return image


@pytest.fixture(scope="session")
def engine() -> FaceEngine:
    return FaceEngine()


@pytest.fixture(scope="session")
def dlib_engine() -> FaceEngine:
    """dlib's ResNet pipeline, still selectable and still serving templates enrolled with it."""
    return FaceEngine(EngineConfig(embedder="dlib_resnet_v1"))


@pytest.fixture(scope="session", params=["sface_2021dec_int8bq", "dlib_resnet_v1"])
def any_engine(request: pytest.FixtureRequest) -> FaceEngine:
    """Each face model's whole pipeline in turn."""
    return FaceEngine(EngineConfig(embedder=request.param))


def encode(image: RGBImage | Image.Image, fmt: str = "JPEG", **options: object) -> bytes:
    picture = image if isinstance(image, Image.Image) else Image.fromarray(image)
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def mini_pairs(lfw_dev: Path, tmp_path: Path, per_fold: int = 4) -> Path:
    """A pairs file of the first `per_fold` same and different pairs of the first two official
    folds: real LFW pairs, few enough for a test."""
    lines = (lfw_dev / "pairs.txt").read_text().splitlines()
    n = int(lines[0].split()[1])
    chosen = []
    for fold in range(2):
        start = 1 + fold * 2 * n
        chosen += lines[start : start + per_fold] + lines[start + n : start + n + per_fold]
    path = tmp_path / "pairs.txt"
    path.write_text(f"2\t{per_fold}\n" + "\n".join(chosen) + "\n")
    return path


class SeededSecrets:
    """`secrets.token_bytes` and `token_hex` from a seeded generator."""

    def __init__(self, seed: str) -> None:
        self._random = random.Random(seed)

    def token_bytes(self, n: int) -> bytes:
        return self._random.randbytes(n)

    def token_hex(self, n: int) -> str:
        return self.token_bytes(n).hex()


@pytest.fixture(autouse=True)
def repeatable_template_keys(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same per-user template keys in every run of a test (seeded by its name), for
    `peeka.protection.schemes` only. Whether IoM accepts one genuine photo pair depends on the
    key: obama's enrollment against the obama2 photo fails for 0.3-0.5 % of random keys
    (measured over 1,000-2,000), so with fresh keys a correct product would fail a test now and
    then. Accuracy over many keys is what `peeka eval protection` measures."""
    from peeka.protection import schemes

    monkeypatch.setattr(schemes, "secrets", SeededSecrets(request.node.nodeid))


# --- the web side: personas, frames, a clean rate-limit cache, a frozen clock -------------


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


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    """Freeze the server's security clock: lockouts, rate limits, one-time codes, logins,
    step-ups and liveness challenges."""
    from peeka.security import clock as security_clock

    frozen = FrozenClock()
    monkeypatch.setattr(security_clock, "source", frozen)
    return frozen


# The real webcam recording, as the liveness steps' answers (tests/faces/test_liveness.py and
# every camera page after it: the kiosk, approvals).


@pytest.fixture(scope="session")
def webcam(liveness_dir: Path) -> list[RGBImage]:
    """The webcam clip's first 90 frames (blinks at frames 29-35 and 56-61)."""
    from peeka.biometrics.liveness import video_frames

    return list(video_frames(liveness_dir / "face_video" / "tfjs_facemesh_input.mp4", stop=90))


@pytest.fixture(scope="session")
def blink(webcam: list[RGBImage]) -> list[bytes]:
    """One step's recording at 10 fps, as a browser sends it: open eyes, a blink, open."""
    return jpegs(webcam[15:45:3])


@pytest.fixture(scope="session")
def blink_again(webcam: list[RGBImage]) -> list[bytes]:
    return jpegs(webcam[45:75:3])


@pytest.fixture(scope="session")
def look(webcam: list[RGBImage]) -> list[bytes]:
    """Looking at the camera (an enrollment's last step)."""
    return jpegs(webcam[63:90:3])


@pytest.fixture
def async_unsafe() -> Iterator[None]:
    """For the browser tests: Playwright's sync API keeps an event loop in this thread; the
    ORM calls of the test run between browser steps, never concurrently with them."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
