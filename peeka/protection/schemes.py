"""One interface over the three template protection schemes. Each scheme turns a descriptor into
a sealed, self-describing template under a fresh per-user key, verifies a probe against it, and
revokes it by destroying that key (crypto-shredding): the old template then matches nothing.

    scheme = get_scheme("iom", vault=KeyVault(), seeds=store)
    template = scheme.enroll(reference)          # bytes to store; no face in them
    scheme.verify(template, probe)               # True / False, never a score
    template = scheme.renew(template, reference) # new key, the old template is useless

Per-user keys are 32 random bytes wrapped (AES-GCM) by the vault's "wrap" key and kept in a
`SeedStore` (in the web app, a database table); templates are sealed with the vault's "mac" key.

- `ckks`: the descriptor is turned by a per-user random rotation (Haar-distributed, from the
  user's key), then encrypted under the deployment's CKKS key pair, kept in the vault. Rotations
  keep distances, so accuracy is that of plaintext; after revocation the old ciphertext holds a
  rotation nobody knows, which says nothing about the face beyond its length, even to the holder
  of the CKKS secret key. The matcher and the decision service run in this process here; the
  matcher's side never touches the secret context (see `ckks.DecisionService`).
- `iom`: Index-of-Max codes under the user's key.
- `ndb`: a negative database of the binarised descriptor under the user's key, with fresh record
  randomness per enrollment. 1:1 only.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
import secrets
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Protocol

import numpy as np
import numpy.typing as npt

from peeka.biometrics import calibration
from peeka.errors import CalibrationError, PeekaError
from peeka.protection import ckks, iom, ndb
from peeka.protection.envelope import (
    Envelope,
    JsonValue,
    TemplateFormatError,
    must_update,
    open_sealed,
    seal,
)
from peeka.protection.vault import KeyVault, UnknownKeyError

__all__ = [
    "DEFAULT_SCHEME",
    "SCHEMES",
    "CkksScheme",
    "IomScheme",
    "MemorySeedStore",
    "ModelMismatchError",
    "NdbScheme",
    "ProtectionScheme",
    "SeedStore",
    "TemplateInfo",
    "TemplateOutdatedError",
    "TemplatePreview",
    "get_scheme",
    "scheme_names",
]

DEFAULT_SCHEME = "ckks"
CKKS_PARAMS = ckks.CkksParams()
IOM_PARAMS = iom.IomParams()
NDB_PARAMS = ndb.NdbParams()
SEED_BYTES = 32
_SEED_ID = re.compile(r"[0-9a-f]{16}")
_CKKS_ACTIVE = "ckks-active"
LEGACY_MODEL = "dlib_resnet_v1"
"""The embedding model of templates sealed before templates recorded theirs."""

Vector = npt.ArrayLike


class ModelMismatchError(PeekaError):
    """A template made from one embedding model met a scheme (and so a probe) of another:
    their descriptors cannot be compared."""

    code = "model_mismatch"


class TemplateOutdatedError(PeekaError):
    """A template made with other scheme parameters than this deployment's; it cannot be
    compared with today's probes, so the user has to enroll again."""

    code = "template_outdated"


class SeedStore(Protocol):
    """Where wrapped per-user keys live (a database table in the web app). It only ever sees
    values wrapped by the vault, never a key in the clear."""

    def put(self, key_id: str, wrapped: bytes) -> None: ...

    def get(self, key_id: str) -> bytes | None: ...

    def delete(self, key_id: str) -> None: ...


class MemorySeedStore:
    """A `SeedStore` in a dict: for tests, the CLI and evaluations."""

    def __init__(self) -> None:
        self._wrapped: dict[str, bytes] = {}

    def put(self, key_id: str, wrapped: bytes) -> None:
        self._wrapped[key_id] = wrapped

    def get(self, key_id: str) -> bytes | None:
        return self._wrapped.get(key_id)

    def delete(self, key_id: str) -> None:
        self._wrapped.pop(key_id, None)

    def __len__(self) -> int:
        return len(self._wrapped)


@dataclass(frozen=True)
class TemplatePreview:
    """A picture of a template's protected contents for its owner, with nothing of the face:
    `kind` says which of the fields is filled."""

    kind: str
    """"histogram" (IoM index counts), "records" (NDB records) or "ciphertext" (CKKS)."""
    histogram: list[int]
    records: list[str]


@dataclass(frozen=True)
class TemplateInfo:
    """What a user may see about their own template (the "My face data" page)."""

    scheme: str
    params: dict[str, JsonValue]
    key_id: str
    version: int
    mac_key_id: str | None
    size: int
    """Bytes of the sealed template."""
    sha256: str
    """Fingerprint of the sealed template."""


class ProtectionScheme(ABC):
    """Enroll, verify, renew and revoke protected templates of one scheme.

    `threshold` is the decision threshold in the scheme's own units (a Euclidean distance for
    `ckks`, a similarity in [0, 1] for `iom` and `ndb`); `get_scheme` reads the calibrated one.
    `model` names the embedding model whose descriptors the scheme protects: templates record
    it, and a template of another model is refused with `ModelMismatchError`.
    """

    name: ClassVar[str]

    def __init__(
        self, vault: KeyVault, seeds: SeedStore, threshold: float, *, model: str = LEGACY_MODEL
    ) -> None:
        self.vault = vault
        self.seeds = seeds
        self.threshold = float(threshold)
        self.model = model

    @classmethod
    @abstractmethod
    def configured(
        cls,
        *,
        vault: KeyVault,
        seeds: SeedStore,
        model: str,
        calibration_path: Any = None,
        mode: calibration.Mode = "single",
    ) -> ProtectionScheme:
        """The scheme with its calibrated threshold (and data) for descriptors of `model`,
        compared with probes of `mode` (`peeka.biometrics.calibration.Mode`)."""

    @property
    def params(self) -> dict[str, JsonValue]:
        """The parameters every template of this scheme is made with, the model included."""
        return {**self._params(), "model": self.model}

    @abstractmethod
    def _params(self) -> dict[str, JsonValue]:
        """The scheme's own parameters."""

    @abstractmethod
    def preview(self, template: bytes) -> TemplatePreview:
        """What the owner's "My face data" page shows of the protected contents."""

    def enroll(self, embedding: Vector) -> bytes:
        """A sealed template of `embedding` under a new per-user key."""
        seed_id, seed = self._new_seed()
        try:
            payload = self._protect(embedding, seed)
        except BaseException:
            self.seeds.delete(seed_id)  # no orphan key for a template that was never made
            raise
        envelope = Envelope(self.name, self.params, self._key_id(seed_id), payload)
        return seal(envelope, self.vault)

    def verify(self, template: bytes, probe: Vector) -> bool:
        """Whether `probe` is the enrolled face. Raises `UnknownKeyError` for a revoked
        template, `TemplateIntegrityError` for an altered one."""
        envelope = self.open(template)
        seed = self._seed(_seed_id(envelope.key_id))
        return self._match(envelope, probe, seed)

    def revoke(self, template: bytes) -> None:
        """Destroy the template's key: no copy of the template can be matched again."""
        self.revoke_key(self.open(template, check_params=False).key_id)

    def revoke_key(self, key_id: str) -> None:
        """Destroy the key `describe(...).key_id` named, e.g. of a template that was altered and
        can no longer be opened."""
        self.seeds.delete(_seed_id(key_id))

    def renew(self, template: bytes, embedding: Vector) -> bytes:
        """A new template under a new key, and the old one revoked."""
        renewed = self.enroll(embedding)
        self.revoke(template)
        return renewed

    def open(self, template: bytes, *, check_params: bool = True) -> Envelope:
        """The authenticated envelope of one of this scheme's templates."""
        envelope = open_sealed(template, self.vault)
        if envelope.scheme != self.name:
            raise TemplateFormatError(
                f"this is a {envelope.scheme!r} template, not a {self.name!r} one"
            )
        made_with = template_model(envelope)
        if check_params and made_with != self.model:
            raise ModelMismatchError(
                f"the {self.name} template holds descriptors of {made_with!r}, but the probe "
                f"comes from {self.model!r}; embed the probe with {made_with!r}"
            )
        if check_params and {"model": LEGACY_MODEL, **envelope.params} != self.params:
            raise TemplateOutdatedError(
                f"the {self.name} template was made with {envelope.params}, but this deployment "
                f"uses {self.params}; enroll again"
            )
        return envelope

    def must_update(self, template: bytes) -> bool:
        """True when the template should be re-protected at the user's next successful match
        (a retired MAC key, or for `ckks` a retired CKKS key)."""
        envelope = self.open(template, check_params=False)
        current = self._key_id(_seed_id(envelope.key_id))
        return must_update(
            envelope, scheme=self.name, params=self.params, key_id=current, vault=self.vault
        )

    def describe(self, template: bytes) -> TemplateInfo:
        envelope = self.open(template, check_params=False)
        return TemplateInfo(
            scheme=envelope.scheme,
            params=envelope.params,
            key_id=envelope.key_id,
            version=envelope.version,
            mac_key_id=envelope.mac_key_id,
            size=len(template),
            sha256=hashlib.sha256(template).hexdigest(),
        )

    @abstractmethod
    def _protect(self, embedding: Vector, seed: bytes) -> bytes: ...

    @abstractmethod
    def _match(self, envelope: Envelope, probe: Vector, seed: bytes) -> bool: ...

    def _key_id(self, seed_id: str) -> str:
        return seed_id

    def _new_seed(self) -> tuple[str, bytes]:
        seed_id = secrets.token_hex(8)
        seed = secrets.token_bytes(SEED_BYTES)
        self.seeds.put(seed_id, self.vault.wrap(seed, context=self._seed_context(seed_id)))
        return seed_id, seed

    def _seed(self, seed_id: str) -> bytes:
        wrapped = self.seeds.get(seed_id)
        if wrapped is None:
            raise UnknownKeyError(
                f"the key {seed_id} of this {self.name} template was revoked or never stored; "
                "the template can no longer be matched — enroll again"
            )
        return self.vault.unwrap(wrapped, context=self._seed_context(seed_id))

    def _seed_context(self, seed_id: str) -> bytes:
        # Bound to scheme and key id: a wrapped key copied to another row does not unwrap.
        return f"peeka/seed/{self.name}/{seed_id}".encode()


class IomScheme(ProtectionScheme):
    name = "iom"

    def __init__(
        self,
        vault: KeyVault,
        seeds: SeedStore,
        threshold: float,
        iom_params: iom.IomParams = IOM_PARAMS,
        *,
        model: str = LEGACY_MODEL,
    ) -> None:
        super().__init__(vault, seeds, threshold, model=model)
        self.iom_params = iom_params

    @classmethod
    def configured(
        cls,
        *,
        vault: KeyVault,
        seeds: SeedStore,
        model: str,
        calibration_path: Any = None,
        mode: calibration.Mode = "single",
    ) -> IomScheme:
        scheme = cls(vault, seeds, 0.0, model=model)
        scheme.threshold = _calibrated(scheme, model, calibration_path, mode).threshold
        return scheme

    def _params(self) -> dict[str, JsonValue]:
        return plain_params(self.iom_params)

    def preview(self, template: bytes) -> TemplatePreview:
        codes = iom_codes(self.open(template, check_params=False).payload, self.iom_params)
        histogram = np.bincount(codes, minlength=self.iom_params.q).tolist()
        return TemplatePreview("histogram", histogram=histogram, records=[])

    def _protect(self, embedding: Vector, seed: bytes) -> bytes:
        return iom.protect(embedding, seed, self.iom_params).tobytes()

    def _match(self, envelope: Envelope, probe: Vector, seed: bytes) -> bool:
        codes = iom_codes(envelope.payload, self.iom_params)
        return iom.similarity(codes, iom.protect(probe, seed, self.iom_params)) >= self.threshold


def iom_codes(payload: bytes, params: iom.IomParams) -> npt.NDArray[np.uint8]:
    """The codes an `iom` template holds."""
    codes = np.frombuffer(payload, dtype=np.uint8)
    if codes.size != params.m or np.any(codes >= params.q):
        raise TemplateFormatError(f"the iom template does not hold {params.m} codes below q")
    return codes


class NdbScheme(ProtectionScheme):
    name = "ndb"

    def __init__(
        self,
        vault: KeyVault,
        seeds: SeedStore,
        threshold: float,
        center: Vector,
        ndb_params: ndb.NdbParams = NDB_PARAMS,
        *,
        model: str = LEGACY_MODEL,
    ) -> None:
        super().__init__(vault, seeds, threshold, model=model)
        self.ndb_params = ndb_params
        self.center = np.asarray(center, dtype=np.float64)
        if self.center.shape != (ndb_params.dim,) or not np.all(np.isfinite(self.center)):
            raise ValueError(f"the ndb center must be {ndb_params.dim} finite numbers")

    PREVIEW_RECORDS: ClassVar[int] = 6

    @classmethod
    def configured(
        cls,
        *,
        vault: KeyVault,
        seeds: SeedStore,
        model: str,
        calibration_path: Any = None,
        mode: calibration.Mode = "single",
    ) -> NdbScheme:
        # Templates are binarised around the single-probe calibration's center, whatever the
        # probe: only the threshold depends on the mode.
        cal = calibration.load_scheme(model, cls.name, calibration_path)
        if cal.center is None:
            raise CalibrationError("the ndb calibration has no center; run `peeka calibrate`")
        scheme = cls(vault, seeds, cal.threshold, cal.center, model=model)
        scheme.threshold = _calibrated(scheme, model, calibration_path, mode).threshold
        return scheme

    def preview(self, template: bytes) -> TemplatePreview:
        payload = self.open(template, check_params=False).payload
        database = ndb_database(payload, self.ndb_params)
        shown = slice(0, self.PREVIEW_RECORDS)
        records = [
            "  ".join(f"bit {p} = {int(v)}" for p, v in zip(positions, values, strict=True))
            for positions, values in zip(
                database.positions[shown], database.values[shown], strict=True
            )
        ]
        return TemplatePreview("records", histogram=[], records=records)

    def _params(self) -> dict[str, JsonValue]:
        params = plain_params(self.ndb_params)
        # Part of the parameters: a probe binarised around another center would not compare.
        params["center_sha256"] = hashlib.sha256(self.center.astype("<f8").tobytes()).hexdigest()
        return params

    def _protect(self, embedding: Vector, seed: bytes) -> bytes:
        hidden = ndb.binarise(embedding, seed, self.ndb_params, center=self.center)
        # Fresh record randomness, used once and forgotten: it is not needed for matching.
        database = ndb.generate(hidden, secrets.token_bytes(SEED_BYTES), self.ndb_params)
        return ndb_payload(database)

    def _match(self, envelope: Envelope, probe: Vector, seed: bytes) -> bool:
        database = ndb_database(envelope.payload, self.ndb_params)
        bits = ndb.binarise(probe, seed, self.ndb_params, center=self.center)
        return ndb.similarity(database, bits, self.ndb_params) >= self.threshold


def ndb_payload(database: ndb.Ndb) -> bytes:
    """Positions as little-endian uint16, then the specified values packed 8 to a byte."""
    positions = database.positions.astype("<u2").tobytes()
    return positions + np.packbits(database.values.ravel()).tobytes()


def ndb_database(payload: bytes, params: ndb.NdbParams) -> ndb.Ndb:
    """The negative database an `ndb` template holds."""
    count = params.records * params.k
    position_bytes = 2 * count
    if len(payload) != position_bytes + (count + 7) // 8:
        raise TemplateFormatError(f"the ndb template does not hold {params.records} records")
    positions = np.frombuffer(payload[:position_bytes], dtype="<u2").reshape(-1, params.k)
    if int(positions.max()) >= params.bits:
        raise TemplateFormatError(f"the ndb template names bits beyond {params.bits}")
    values = np.unpackbits(np.frombuffer(payload[position_bytes:], dtype=np.uint8), count=count)
    return ndb.Ndb(
        positions=positions.astype(np.uint16), values=values.astype(bool).reshape(-1, params.k)
    )


class CkksScheme(ProtectionScheme):
    """Templates are Enc(R_u x) under the deployment's active CKKS key; R_u is the user's
    rotation. A template under a retired CKKS key still verifies and `must_update` says so."""

    name = "ckks"
    TRANSFORM = "haar-rotation-v1"

    def __init__(
        self,
        vault: KeyVault,
        seeds: SeedStore,
        threshold: float,
        ckks_params: ckks.CkksParams = CKKS_PARAMS,
        dim: int = 128,
        *,
        model: str = LEGACY_MODEL,
    ) -> None:
        super().__init__(vault, seeds, threshold, model=model)
        self.ckks_params = ckks_params
        self.dim = dim
        self._sides: dict[str, tuple[ckks.Matcher, ckks.DecisionService]] = {}

    @classmethod
    def configured(
        cls,
        *,
        vault: KeyVault,
        seeds: SeedStore,
        model: str,
        calibration_path: Any = None,
        mode: calibration.Mode = "single",
    ) -> CkksScheme:
        # Matching is exact on the encrypted distance: the engine's own calibrated threshold.
        distance = calibration.load(model, calibration_path, mode).threshold
        return cls(vault, seeds, distance, model=model)

    def preview(self, template: bytes) -> TemplatePreview:
        self.open(template, check_params=False)  # authenticated, like the other previews
        return TemplatePreview("ciphertext", histogram=[], records=[])

    def _params(self) -> dict[str, JsonValue]:
        params = plain_params(self.ckks_params)
        params["dim"] = self.dim
        params["transform"] = self.TRANSFORM
        return params

    @property
    def active_key_id(self) -> str:
        """The CKKS key new templates are encrypted under; made on first use."""
        return active_ckks_key(self.vault, self.ckks_params)

    def _key_id(self, seed_id: str) -> str:
        return f"{self.active_key_id}.{seed_id}"

    def _protect(self, embedding: Vector, seed: bytes) -> bytes:
        matcher, _ = self._side(self.active_key_id)
        return matcher.encrypt_template(rotation(seed, self.dim) @ _vector(embedding, self.dim))

    def _match(self, envelope: Envelope, probe: Vector, seed: bytes) -> bool:
        matcher, service = self._side(envelope.key_id.split(".")[0])
        turned = rotation(seed, self.dim) @ _vector(probe, self.dim)
        return service.decide(matcher.masked_score(envelope.payload, turned, self.threshold))

    def _side(self, key_id: str) -> tuple[ckks.Matcher, ckks.DecisionService]:
        """The matcher (public context only) and the decision service for a CKKS key."""
        if key_id not in self._sides:
            keys = load_ckks_key(self.vault, key_id)
            matcher = ckks.Matcher(keys.public_context(), dim=self.dim)
            self._sides[key_id] = (matcher, ckks.DecisionService(keys.secret_context()))
        return self._sides[key_id]


def active_ckks_key(vault: KeyVault, params: ckks.CkksParams = CKKS_PARAMS) -> str:
    """The id of the deployment's active CKKS key pair, generated and kept (wrapped) in the
    vault the first time it is asked for."""
    active = vault.get_secret(_CKKS_ACTIVE)
    if active is not None:
        return active.decode()
    with vault.lock():
        active = vault.get_secret(_CKKS_ACTIVE)  # another process may have made it meanwhile
        if active is not None:
            return active.decode()
        return _new_ckks_key(vault, params)


def rotate_ckks_key(vault: KeyVault, params: ckks.CkksParams = CKKS_PARAMS) -> str:
    """A new active CKKS key pair; the old one stays so its templates still verify."""
    with vault.lock():
        return _new_ckks_key(vault, params)


def ckks_key_ids(vault: KeyVault) -> tuple[list[str], str | None]:
    """(every CKKS key id in the vault, oldest first; the active one or None)."""
    names = [n for n in vault.secret_names() if re.fullmatch(r"ckks-[0-9a-f]{32}", n)]
    names.sort(key=lambda n: (vault.directory / "secrets" / n).stat().st_mtime_ns)
    active = vault.get_secret(_CKKS_ACTIVE)
    return [n.removeprefix("ckks-") for n in names], active.decode() if active else None


def load_ckks_key(vault: KeyVault, key_id: str) -> ckks.KeyPair:
    if not re.fullmatch(r"[0-9a-f]{32}", key_id):
        raise TemplateFormatError(f"{key_id!r} is not a CKKS key id")
    secret = vault.get_secret(f"ckks-{key_id}")
    if secret is None:
        raise UnknownKeyError(
            f"no CKKS key {key_id} in the key vault at {vault.directory}; the template was "
            "made by another deployment — enroll again"
        )
    return ckks.KeyPair(secret)


def _new_ckks_key(vault: KeyVault, params: ckks.CkksParams) -> str:
    keys = ckks.KeyPair.generate(params)
    vault.put_secret(f"ckks-{keys.key_id}", keys.secret_context())
    vault.put_secret(_CKKS_ACTIVE, keys.key_id.encode())
    return keys.key_id


def rotation(seed: bytes, dim: int) -> npt.NDArray[np.float64]:
    """The (dim, dim) rotation a user key stands for: Haar-distributed, from the QR
    decomposition of a seeded Gaussian matrix with the signs of R's diagonal folded in."""
    digest = hashlib.sha256(b"peeka/ckks/rotation/v1" + seed).digest()
    rng = np.random.Generator(np.random.PCG64(int.from_bytes(digest, "big")))
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    turned: npt.NDArray[np.float64] = q * np.sign(np.diag(r))
    return turned


def plain_params(params: Any) -> dict[str, JsonValue]:
    """A parameters dataclass as the JSON an envelope stores (tuples become lists)."""
    plain: dict[str, JsonValue] = json.loads(json.dumps(asdict(params)))
    return plain


def _vector(embedding: Vector, dim: int) -> npt.NDArray[np.float64]:
    x = np.asarray(embedding, dtype=np.float64)
    if x.shape != (dim,):
        raise ValueError(f"embedding must have shape ({dim},), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("embedding contains NaN or infinite values")
    return x


def _seed_id(key_id: str) -> str:
    seed_id = key_id.rsplit(".", 1)[-1]
    if not _SEED_ID.fullmatch(seed_id):
        raise TemplateFormatError(f"the template names key {key_id!r}, which is not a key id")
    return seed_id


def template_model(envelope: Envelope) -> str:
    """The embedding model a template's descriptor came from."""
    model = envelope.params.get("model", LEGACY_MODEL)
    if not isinstance(model, str):
        raise TemplateFormatError(f"the template names model {model!r}, which is not a name")
    return model


SCHEMES: dict[str, str] = {
    "ckks": "peeka.protection.schemes:CkksScheme",
    "iom": "peeka.protection.schemes:IomScheme",
    "ndb": "peeka.protection.schemes:NdbScheme",
}
"""Scheme name -> "module:Class". A deployment's own scheme is one more entry."""


def scheme_names() -> list[str]:
    return sorted(SCHEMES)


def get_scheme(
    name: str,
    *,
    vault: KeyVault,
    seeds: SeedStore,
    model: str = LEGACY_MODEL,
    calibration_path: Any = None,
    mode: calibration.Mode = "single",
) -> ProtectionScheme:
    """Scheme `name` from the registry, with its calibrated threshold for descriptors of
    `model` and probes of `mode`."""
    try:
        module_name, _, attr = SCHEMES[name].partition(":")
    except KeyError:
        raise ValueError(
            f"unknown protection scheme {name!r}; choose one of {scheme_names()}"
        ) from None
    cls: type[ProtectionScheme] = getattr(importlib.import_module(module_name), attr)
    return cls.configured(
        vault=vault, seeds=seeds, model=model, calibration_path=calibration_path, mode=mode
    )


def _calibrated(
    scheme: ProtectionScheme, model: str, calibration_path: Any, mode: calibration.Mode
) -> calibration.SchemeCalibration:
    """The calibration of `scheme`, checked to be for the parameters it uses."""
    cal = calibration.load_scheme(model, scheme.name, calibration_path, mode)
    measured = {k: v for k, v in scheme.params.items() if k not in ("center_sha256", "model")}
    if cal.params != measured:
        raise CalibrationError(
            f"the {scheme.name} threshold was calibrated with {cal.params}, but the scheme uses "
            f"{measured}; run `peeka calibrate` again"
        )
    return cal
