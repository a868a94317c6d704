"""Homomorphic templates (TenSEAL CKKS): a matcher holding only the public context compares
encrypted descriptors, and a decision service holding the secret key answers accept or reject."""

from __future__ import annotations

import hashlib
import math
import secrets
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

# TenSEAL ships no type information; it stays behind the private helpers of this module.
import tenseal as ts

Embedding = npt.NDArray[np.float64]

_MAGIC = b"peeka.ckks.1"
_KEY_ID_BYTES = 16
_KEY_ID_LABEL = b"peeka/ckks/key-id/v1"
_TEMPLATE, _BLOCK, _SCORE, _SCORES = b"T", b"B", b"s", b"S"
_KINDS = {
    _TEMPLATE: "1:1 template",
    _BLOCK: "gallery block",
    _SCORE: "masked score",
    _SCORES: "masked block scores",
}
# Gallery slot states. A removed slot holds noise that no later template can be added onto.
_FREE, _LIVE, _REMOVED = 0, 1, 2

# dlib descriptors measure about 1.4. The bound keeps every masked score below 2**15, where the
# double-precision decoding still resolves about 1e-9, and excludes garbage input.
_MAX_NORM = 4.0
# rho is log-uniform in [2**-8, 2**8]: one masked value pins |tau - d2| only within 16 octaves.
_RHO_OCTAVES = 8
# A removed slot gets uniform noise in [-2**24, 2**24) added to each of its values, which hides a
# value v up to a statistical distance |v| / 2**25. More noise would cost precision in every
# other slot: SEAL encodes through a double-precision FFT whose error grows with the largest
# value (2**30 already tripled the score error of the live slots).
_FLOOD_BITS = 24
_FLOOD_GRID_BITS = 20
# Scores are computed with one plaintext multiplication and no rescaling, so they sit at scale
# 2**(2 * scale_bits) and need this many bits of the data modulus above that for the value.
_HEADROOM_BITS = 20


@dataclass(frozen=True)
class CkksParams:
    poly_modulus_degree: int = 8192
    """N; a ciphertext has N / 2 slots, so a gallery block holds up to N / 2 templates."""
    coeff_mod_bit_sizes: tuple[int, ...] = (60, 40, 40, 60)
    """Bit sizes of the modulus primes; the last one is the special prime for key switching."""
    global_scale_bits: int = 40
    """Values are encoded times 2**global_scale_bits; smaller scales silently lose precision."""

    def __post_init__(self) -> None:
        n = self.poly_modulus_degree
        if n < 2048 or n & (n - 1):
            raise ValueError(f"CKKS poly_modulus_degree must be a power of two >= 2048, got {n}")
        if len(self.coeff_mod_bit_sizes) < 2:
            raise ValueError(
                "CKKS coeff_mod_bit_sizes needs data primes and a special prime, got "
                f"{self.coeff_mod_bit_sizes}"
            )
        if not 30 <= self.global_scale_bits <= 60:
            raise ValueError(
                f"CKKS global_scale_bits must be in 30..60, got {self.global_scale_bits}"
            )
        data_bits = sum(self.coeff_mod_bit_sizes[:-1])
        needed = 2 * self.global_scale_bits + _HEADROOM_BITS
        if data_bits < needed:
            raise ValueError(
                f"CKKS data primes {self.coeff_mod_bit_sizes[:-1]} give {data_bits} bits; a score "
                f"at scale 2**{2 * self.global_scale_bits} needs at least {needed}"
            )


class KeyPair:
    """The CKKS keys, made and kept on the decision-service side.

    `public_context()` goes to the matcher: the public key and the rotation (Galois) keys, never
    the secret key. `secret_context()` goes to the decision service's key vault only. Encrypted
    values carry the key id (a hash of the public key and parameters) so that a template from
    another key is refused instead of being decrypted into a random decision."""

    def __init__(self, secret_context: bytes) -> None:
        """The key pair saved by `secret_context()`, e.g. to make a new public context."""
        context = _load_context(secret_context, "secret context")
        if not context.has_secret_key():
            raise ValueError("a CKKS key pair needs KeyPair.secret_context(), not the public one")
        _check_context(context)
        self._context = context
        self._key_id = _key_id(context)

    @classmethod
    def generate(cls, params: CkksParams = CkksParams()) -> KeyPair:
        try:
            context = ts.context(
                ts.SCHEME_TYPE.CKKS,
                poly_modulus_degree=params.poly_modulus_degree,
                coeff_mod_bit_sizes=list(params.coeff_mod_bit_sizes),
            )
        except ValueError as exc:
            raise ValueError(f"SEAL refused the CKKS parameters {params}: {exc}") from exc
        context.global_scale = 2.0**params.global_scale_bits
        # Through bytes, so that a new key pair and a loaded one are built the same way.
        return cls(_serialize_secret(context))

    @property
    def key_id(self) -> str:
        """Hex fingerprint of the public key; stored values carry it."""
        return self._key_id.hex()

    def public_context(self, *, rotations: bool = True) -> bytes:
        """Everything the matcher needs and nothing that decrypts.

        `rotations` adds the Galois keys that 1:1 matching (`Matcher.masked_score`) needs to sum
        a product over its slots: about 34 MB at the default parameters instead of 0.5 MB. A
        matcher that only does 1:N can do without them."""
        if rotations and not self._context.has_galois_keys():
            self._context.generate_galois_keys()
        data: bytes = self._context.serialize(
            save_public_key=True,
            save_secret_key=False,
            save_galois_keys=rotations,
            save_relin_keys=False,
        )
        return data

    def secret_context(self) -> bytes:
        """For the decision service's own storage only (the key vault), never the matcher's."""
        return _serialize_secret(self._context)


class GalleryBlock:
    """Up to N / 2 encrypted templates for 1:N, column packed: ciphertext j holds feature j of
    every template and the last ciphertext their squared norms, so slot k is template k.

    Made by `Matcher.build_block` or `Matcher.load_block`; immutable, the add and remove
    operations return a new block. A probe is matched with plaintext multiplications only."""

    def __init__(
        self, key_id: bytes, columns: tuple[Any, ...], states: npt.NDArray[np.uint8]
    ) -> None:
        self._key_id = key_id
        self._columns = columns
        self._states = states
        self._states.flags.writeable = False

    @property
    def dim(self) -> int:
        return len(self._columns) - 1

    @property
    def capacity(self) -> int:
        return int(self._states.size)

    @property
    def live(self) -> npt.NDArray[np.bool_]:
        """Which slots hold a template (a copy)."""
        live: npt.NDArray[np.bool_] = self._states == _LIVE
        return live

    @property
    def free(self) -> int:
        """Slots never used, where `Matcher.add_to_block` can still put a template."""
        return int(np.count_nonzero(self._states == _FREE))

    def to_bytes(self) -> bytes:
        columns = [column.serialize() for column in self._columns]
        return _pack(_BLOCK, self._key_id, self._states.tobytes(), *columns)


class Matcher:
    """Encrypts and compares templates with the public context only; it can decrypt nothing.

    A comparison yields Enc(rho * (tau - d2)): d2 is the squared Euclidean distance between
    template and probe, tau the squared threshold and rho > 0 fresh randomness from the operating
    system per comparison (per slot in 1:N), log-uniform in [2**-8, 2**8]. The probe stays
    plaintext on the matcher, which computes d2 = |x|^2 - 2 x.y + |y|^2 from the encrypted x
    and |x|^2 of the template. Accuracy equals plaintext matching: the CKKS error in tau - d2
    measured below 1e-7 (worst of 4096 slots, also after removals), so only a distance within
    about 1e-7 of the threshold could be decided differently."""

    def __init__(self, public_context: bytes, *, dim: int = 128) -> None:
        context = _load_context(public_context, "public context")
        if context.has_secret_key():
            raise ValueError(
                "this context holds the secret key; give the matcher KeyPair.public_context()"
            )
        _check_context(context)
        self._slots = _slot_count(context)
        if not 1 <= dim <= self._slots - 2:
            raise ValueError(f"dim must be in 1..{self._slots - 2} for this context, got {dim}")
        # The serialisation the key id hashes includes the context's flags: hash before the
        # change below so that the matcher and the decision service agree.
        self._key_id = _key_id(context)
        # Scores use one plaintext multiplication and are left at scale 2**80 instead of being
        # rescaled: that skips the rescale rounding noise and keeps the modulus chain unused.
        context.auto_rescale = False
        self._context = context
        self._dim = dim

    @property
    def key_id(self) -> str:
        return self._key_id.hex()

    @property
    def capacity(self) -> int:
        """Templates per gallery block (N / 2)."""
        return self._slots

    def encrypt_template(self, embedding: npt.ArrayLike) -> bytes:
        """A 1:1 template: Enc([x_1..x_dim, |x|^2, 1, 0, ...]) over all slots."""
        x = _as_embedding(embedding, self._dim, "embedding")
        packed = np.zeros(self._slots)
        packed[: self._dim] = x
        packed[self._dim] = x @ x
        # The constant 1 lets the probe's plaintext carry the whole score in one dot product.
        packed[self._dim + 1] = 1.0
        vector = _encrypt(self._context, packed)
        return _pack(_TEMPLATE, self._key_id, struct.pack(">H", self._dim), vector.serialize())

    def masked_score(self, template: bytes, probe: npt.ArrayLike, threshold: float) -> bytes:
        """Enc(rho * (threshold**2 - |x - probe|**2)) for `DecisionService.decide`."""
        if not self._context.has_galois_keys():
            raise ValueError(
                "1:1 matching needs a public context made with KeyPair.public_context("
                "rotations=True)"
            )
        key_id, fields = _unpack(template, _TEMPLATE, 2)
        self._check_key(key_id, "template")
        if struct.unpack(">H", _exact(fields[0], 2, "template"))[0] != self._dim:
            raise ValueError(f"the template was not made for {self._dim}-dimensional embeddings")
        vector = _load_vector(self._context, fields[1], self._slots, "template")
        y = _as_embedding(probe, self._dim, "probe")
        tau = _as_threshold(threshold) ** 2
        rho = float(_rhos(1)[0])
        plain = np.zeros(self._slots)
        plain[: self._dim] = 2.0 * rho * y
        plain[self._dim] = -rho
        plain[self._dim + 1] = rho * (tau - y @ y)
        # The template spans every slot, so TenSEAL's rotate-and-add sum runs over the full cycle
        # and leaves the total in every slot. Over a shorter vector the other slots would hold
        # partial sums, from which the key holder could read single products x_j * y_j.
        score = vector.dot(plain.tolist())
        return _pack(_SCORE, self._key_id, score.serialize())

    def build_block(self, embeddings: npt.ArrayLike) -> GalleryBlock:
        """A gallery block with the (n, dim) `embeddings` in slots 0..n-1, the rest free."""
        rows = _as_embeddings(embeddings, self._dim, self._slots)
        packed = np.zeros((self._dim + 1, self._slots))
        packed[: self._dim, : len(rows)] = rows.T
        packed[self._dim, : len(rows)] = np.einsum("nd,nd->n", rows, rows)
        columns = tuple(_encrypt(self._context, column) for column in packed)
        states = np.full(self._slots, _FREE, dtype=np.uint8)
        states[: len(rows)] = _LIVE
        return GalleryBlock(self._key_id, columns, states)

    def load_block(self, data: bytes) -> GalleryBlock:
        key_id, fields = _unpack(data, _BLOCK, None)
        self._check_key(key_id, "gallery block")
        if len(fields) != self._dim + 2:
            raise ValueError(
                f"the gallery block was not made for {self._dim}-dimensional embeddings"
            )
        states = np.frombuffer(_exact(fields[0], self._slots, "gallery block"), dtype=np.uint8)
        if np.any(states > _REMOVED):
            raise ValueError("the gallery block has corrupt slot states")
        columns = tuple(
            _load_vector(self._context, field, self._slots, "gallery block") for field in fields[1:]
        )
        return GalleryBlock(self._key_id, columns, states.copy())

    def add_to_block(
        self, block: GalleryBlock, embedding: npt.ArrayLike
    ) -> tuple[GalleryBlock, int]:
        """The block with `embedding` in its first free slot, and that slot."""
        self._check_block(block)
        free = np.flatnonzero(block._states == _FREE)
        if not free.size:
            raise ValueError("the gallery block has no free slot; start a new block")
        slot = int(free[0])
        x = _as_embedding(embedding, self._dim, "embedding")
        values = np.append(x, x @ x)
        contribution = np.zeros(self._slots)
        columns = []
        for column, value in zip(block._columns, values, strict=True):
            contribution[slot] = value
            # A fresh encryption per column: adding a plaintext instead would show the new
            # template to anyone holding copies of the block from before and after.
            columns.append(column + _encrypt(self._context, contribution))
        states = block._states.copy()
        states[slot] = _LIVE
        return GalleryBlock(self._key_id, tuple(columns), states), slot

    def remove_from_block(self, block: GalleryBlock, slots: Iterable[int]) -> GalleryBlock:
        """The block without the templates in `slots`; nothing else is touched or decrypted.

        Every value of a removed slot gets fresh uniform noise in [-2**24, 2**24) added and the
        noise is forgotten, so even the key holder decrypts only noise there. Multiplying by a 0/1
        mask instead would use up a level of the modulus chain per removal, and without a rescale
        it leaves the slot as the template times the mask's encoding error: decrypting then gave
        a copy of x with correlation 0.99999996. Removed slots are never reused."""
        self._check_block(block)
        chosen = sorted(set(_as_slots(slots, block)))
        if not chosen:
            return block
        columns = []
        for column in block._columns:
            coarse, fine = _flood(len(chosen))
            grid = np.zeros(self._slots)
            grid[chosen] = coarse
            rest = np.zeros(self._slots)
            rest[chosen] = fine
            # Plaintext additions suffice here: the noise is secret and thrown away, and a copy
            # of the block from before the removal already held the template anyway.
            columns.append(column + grid.tolist() + rest.tolist())
        states = block._states.copy()
        states[chosen] = _REMOVED
        return GalleryBlock(self._key_id, tuple(columns), states)

    def masked_scores(self, block: GalleryBlock, probe: npt.ArrayLike, threshold: float) -> bytes:
        """Enc(rho_k * (threshold**2 - |x_k - probe|**2)) for every slot k, with a fresh rho_k per
        slot, for `DecisionService.decide_many`. Slots without a live template get rho_k = 0."""
        self._check_block(block)
        y = _as_embedding(probe, self._dim, "probe")
        tau = _as_threshold(threshold) ** 2
        live = block._states == _LIVE
        rho = _rhos(self._slots)
        rho[~live] = 0.0
        *features, norms = block._columns
        # sum_j x_kj * 2 rho_k y_j  -  rho_k * (|x_k|^2 - (tau - |y|^2)), all one multiplication
        # deep; putting rho into every plaintext keeps the ciphertexts free of a second level.
        score = norms - float(tau - y @ y)
        score = score * (-rho).tolist()
        for column, y_j in zip(features, y, strict=True):
            score += column * (2.0 * y_j * rho).tolist()
        return _pack(_SCORES, self._key_id, live.astype(np.uint8).tobytes(), score.serialize())

    def _check_block(self, block: GalleryBlock) -> None:
        if not isinstance(block, GalleryBlock):
            raise ValueError(f"expected a GalleryBlock, got {type(block).__name__}")
        self._check_key(block._key_id, "gallery block")
        if block.dim != self._dim or block.capacity != self._slots:
            raise ValueError("the gallery block was made for other parameters than this matcher's")

    def _check_key(self, key_id: bytes, what: str) -> None:
        if key_id != self._key_id:
            raise ValueError(
                f"the {what} was encrypted under CKKS key {key_id.hex()}, but this matcher holds "
                f"key {self.key_id}; re-enroll under the current key"
            )


class DecisionService:
    """Holds the secret key and turns masked scores into accept/reject, nothing more.

    It returns only the sign of rho * (tau - d2): rho hides the magnitude (how close the face
    was), the sign is the decision, and no exact decryption goes back to the ciphertext holder,
    as CKKS requires (Li and Micciancio 2021).

    Limits, said plainly: the service is a sign oracle for whatever ciphertext it is sent. A
    matcher that is taken over can build Enc(rho * (x_j - c)) from a stored template and binary
    search every feature in about 20 questions each, so the service must authenticate its
    matcher, rate-limit and audit the questions. A stolen template store together with the
    secret key decrypts every live template: the two must never be kept together."""

    def __init__(self, secret_context: bytes) -> None:
        context = _load_context(secret_context, "secret context")
        if not context.has_secret_key():
            raise ValueError("the decision service needs KeyPair.secret_context(), not the public")
        _check_context(context)
        self._context = context
        self._slots = _slot_count(context)
        self._key_id = _key_id(context)

    @property
    def key_id(self) -> str:
        return self._key_id.hex()

    def decide(self, masked: bytes) -> bool:
        """True when the masked 1:1 score is non-negative, i.e. distance <= threshold."""
        key_id, fields = _unpack(masked, _SCORE, 1)
        self._check_key(key_id)
        values = self._decrypt(fields[0])
        return bool(values[0] >= 0.0)

    def decide_many(self, masked: bytes) -> npt.NDArray[np.bool_]:
        """Per slot of the block: True where a live template is within the threshold."""
        key_id, fields = _unpack(masked, _SCORES, 2)
        self._check_key(key_id)
        live = np.frombuffer(_exact(fields[0], self._slots, "masked block scores"), np.uint8)
        values = self._decrypt(fields[1])
        if values.size != self._slots:
            raise ValueError(f"masked block scores must span {self._slots} slots")
        accepted: npt.NDArray[np.bool_] = (values >= 0.0) & (live == 1)
        return accepted

    def _decrypt(self, data: bytes) -> npt.NDArray[np.float64]:
        try:
            vector = ts.ckks_vector_from(self._context, data)
            return np.asarray(vector.decrypt(), dtype=np.float64)
        except (ValueError, RuntimeError, TypeError) as exc:
            raise ValueError(f"cannot read the masked score: {exc}") from exc

    def _check_key(self, key_id: bytes) -> None:
        if key_id != self._key_id:
            raise ValueError(
                f"the masked score was computed under CKKS key {key_id.hex()}, but this service "
                f"holds key {self.key_id}"
            )


def _check_context(context: Any) -> None:
    try:
        scale_bits = math.log2(context.global_scale)
    except ValueError as exc:
        raise ValueError(f"the CKKS context has no global scale: {exc}") from exc
    data_bits = context.seal_context().data.first_context_data().total_coeff_modulus_bit_count()
    if data_bits < 2 * scale_bits + _HEADROOM_BITS:
        raise ValueError(
            f"the CKKS context's {data_bits}-bit data modulus is too small for scale 2**"
            f"{scale_bits:g}; make the keys with CkksParams()"
        )


def _serialize_secret(context: Any) -> bytes:
    # Without the Galois keys (34 MB): KeyPair.public_context makes them again when asked.
    data: bytes = context.serialize(
        save_public_key=True, save_secret_key=True, save_galois_keys=False, save_relin_keys=False
    )
    return data


def _slot_count(context: Any) -> int:
    degree: int = context.seal_context().data.first_context_data().parms().poly_modulus_degree()
    return degree // 2


def _key_id(context: Any) -> bytes:
    public_key = context.serialize(
        save_public_key=True, save_secret_key=False, save_galois_keys=False, save_relin_keys=False
    )
    return hashlib.sha256(_KEY_ID_LABEL + public_key).digest()[:_KEY_ID_BYTES]


def _load_context(data: bytes, what: str) -> Any:
    if not isinstance(data, bytes):
        raise ValueError(f"the {what} must be bytes, got {type(data).__name__}")
    try:
        context = ts.context_from(data)
    except (ValueError, RuntimeError, TypeError) as exc:
        raise ValueError(f"the {what} is not a TenSEAL context: {exc}") from exc
    if not context.is_public() and not context.is_private():
        raise ValueError(f"the {what} holds no key")
    return context


def _encrypt(context: Any, values: npt.NDArray[np.float64]) -> Any:
    return ts.ckks_vector(context, values.tolist())


def _load_vector(context: Any, data: bytes, size: int, what: str) -> Any:
    try:
        vector = ts.ckks_vector_from(context, data)
    except (ValueError, RuntimeError, TypeError) as exc:
        raise ValueError(f"the {what} holds no readable CKKS ciphertext: {exc}") from exc
    if vector.size() != size:
        raise ValueError(f"the {what} holds {vector.size()} values, expected {size}")
    return vector


def _pack(kind: bytes, key_id: bytes, *fields: bytes) -> bytes:
    parts = [_MAGIC, kind, key_id, struct.pack(">I", len(fields))]
    for field in fields:
        parts += [struct.pack(">I", len(field)), field]
    return b"".join(parts)


def _unpack(data: bytes, kind: bytes, count: int | None) -> tuple[bytes, list[bytes]]:
    """(key id, fields) of a value `_pack` made, checking it is of `kind`."""
    expected = _KINDS[kind]
    if not isinstance(data, bytes):
        raise ValueError(f"the {expected} must be bytes, got {type(data).__name__}")
    header = len(_MAGIC) + 1 + _KEY_ID_BYTES + 4
    if len(data) < header or not data.startswith(_MAGIC):
        raise ValueError(f"this is not a Peeka CKKS value (expected a {expected})")
    found = data[len(_MAGIC) : len(_MAGIC) + 1]
    if found != kind:
        raise ValueError(f"expected a {expected}, got a {_KINDS.get(found, 'unknown value')}")
    key_id = data[len(_MAGIC) + 1 : len(_MAGIC) + 1 + _KEY_ID_BYTES]
    (total,) = struct.unpack(">I", data[header - 4 : header])
    if count is not None and total != count:
        raise ValueError(f"the {expected} is corrupt: {total} fields instead of {count}")
    fields = []
    offset = header
    for _ in range(total):
        if offset + 4 > len(data):
            raise ValueError(f"the {expected} is truncated")
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        offset += 4
        if offset + length > len(data):
            raise ValueError(f"the {expected} is truncated")
        fields.append(data[offset : offset + length])
        offset += length
    if offset != len(data):
        raise ValueError(f"the {expected} has trailing bytes")
    return key_id, fields


def _exact(field: bytes, size: int, what: str) -> bytes:
    if len(field) != size:
        raise ValueError(f"the {what} is corrupt")
    return field


def _uniform(count: int) -> npt.NDArray[np.float64]:
    """`count` uniform floats in [0, 1) from the operating system's CSPRNG (what
    secrets.SystemRandom uses), 53 random bits each; numpy's generators are not for secrets."""
    words = np.frombuffer(secrets.token_bytes(8 * count), dtype="<u8")
    uniform: npt.NDArray[np.float64] = (words >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return uniform


def _rhos(count: int) -> npt.NDArray[np.float64]:
    exponent = (2.0 * _uniform(count) - 1.0) * _RHO_OCTAVES
    rho: npt.NDArray[np.float64] = np.exp2(exponent)
    return rho


def _flood(count: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Uniform noise in [-2**24, 2**24) as a coarse part on a 2**-20 grid plus a fine part.

    One float64 near 2**24 only resolves 2**-28, so a single draw would leave the template's
    bits below that visible; the sum of the two parts is uniform at full resolution."""
    steps = 1 << (_FLOOD_BITS + _FLOOD_GRID_BITS + 1)
    words = np.frombuffer(secrets.token_bytes(8 * count), dtype="<u8")
    coarse = ((words % np.uint64(steps)).astype(np.int64) - steps // 2) * 2.0**-_FLOOD_GRID_BITS
    fine = _uniform(count) * 2.0**-_FLOOD_GRID_BITS
    return coarse.astype(np.float64), fine


def _as_embedding(embedding: npt.ArrayLike, dim: int, name: str) -> Embedding:
    x = np.asarray(embedding, dtype=np.float64)
    if x.shape != (dim,):
        raise ValueError(f"{name} must have shape ({dim},), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values")
    norm = float(np.linalg.norm(x))
    if norm > _MAX_NORM:
        raise ValueError(f"{name} has norm {norm:.3g}; CKKS templates accept at most {_MAX_NORM}")
    return x


def _as_embeddings(embeddings: npt.ArrayLike, dim: int, capacity: int) -> Embedding:
    rows = np.asarray(embeddings, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] != dim:
        raise ValueError(f"embeddings must have shape (n, {dim}), got {rows.shape}")
    if rows.shape[0] > capacity:
        raise ValueError(f"a gallery block holds at most {capacity} templates, got {rows.shape[0]}")
    if not np.all(np.isfinite(rows)):
        raise ValueError("embeddings contain NaN or infinite values")
    norms = np.linalg.norm(rows, axis=1)
    if np.any(norms > _MAX_NORM):
        worst = int(np.argmax(norms))
        raise ValueError(
            f"embedding {worst} has norm {norms[worst]:.3g}; CKKS templates accept at most "
            f"{_MAX_NORM}"
        )
    return rows


def _as_threshold(threshold: float) -> float:
    value = float(threshold)
    if not (math.isfinite(value) and 0.0 < value <= 2.0 * _MAX_NORM):
        raise ValueError(f"threshold must be a distance in (0, {2.0 * _MAX_NORM}], got {threshold}")
    return value


def _as_slots(slots: Iterable[int], block: GalleryBlock) -> list[int]:
    chosen = []
    for slot in slots:
        if isinstance(slot, bool) or not isinstance(slot, int | np.integer):
            raise ValueError(f"slots must be integers, got {slot!r}")
        index = int(slot)
        if not 0 <= index < block.capacity:
            raise ValueError(f"slot {index} is outside the block (0..{block.capacity - 1})")
        if block._states[index] != _LIVE:
            raise ValueError(f"slot {index} holds no template")
        chosen.append(index)
    return chosen
