"""The protection schemes and face engines this process uses, one per (scheme, model), and
the `SeedStore` that keeps wrapped template keys in the database."""

from __future__ import annotations

import functools
import threading

from django.conf import settings

from peeka.biometrics import EngineConfig, FaceEngine
from peeka.biometrics.calibration import Mode
from peeka.biometrics.embedders import model_name
from peeka.faces.models import UserKey
from peeka.protection.schemes import ProtectionScheme, get_scheme
from peeka.security.vault import vault


class DbSeedStore:
    """`SeedStore` over `UserKey` rows. A key is stored without its user and claimed by the
    enrollment in the same transaction as the template."""

    def put(self, key_id: str, wrapped: bytes) -> None:
        UserKey.objects.create(key_id=key_id, wrapped=wrapped)

    def get(self, key_id: str) -> bytes | None:
        row = UserKey.objects.filter(key_id=key_id).values_list("wrapped", flat=True).first()
        return None if row is None else bytes(row)

    def delete(self, key_id: str) -> None:
        UserKey.objects.filter(key_id=key_id).delete()


_lock = threading.Lock()


def scheme_for(name: str, *, model: str, mode: Mode = "single") -> ProtectionScheme:
    """Scheme `name` for descriptors of `model` and probes of `mode`, made once per process
    (loading a CKKS key takes seconds)."""
    with _lock:
        return _scheme(name, model, mode)


@functools.cache
def _scheme(name: str, model: str, mode: Mode) -> ProtectionScheme:
    return get_scheme(name, vault=vault(), seeds=DbSeedStore(), model=model, mode=mode)


def enrollment_model() -> str:
    """The embedding model new templates are made with (PEEKA_EMBEDDER)."""
    return model_name(settings.PEEKA_EMBEDDER)


@functools.cache
def engine_for(model: str) -> FaceEngine:
    """The face engine whose descriptors a template of `model` compares with. Its models load
    on first use, so dlib's stay unloaded while no template and no setting asks for them."""
    return FaceEngine(EngineConfig(embedder=model))


def seed_id_of(key_id: str) -> str:
    """The `UserKey` id in a template's key id (a CKKS key id names its key pair first)."""
    return key_id.rsplit(".", 1)[-1]
