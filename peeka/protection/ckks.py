"""Homomorphic templates (CKKS; SEAL's keys and encryption through TenSEAL): a matcher holding
only the public context compares encrypted descriptors, and a decision service holding the secret
key answers accept or reject.

SEAL encrypts; everything after that runs on the ciphertexts' residues in numpy (`ckks_ring`,
checked bit for bit against SEAL in the tests), because TenSEAL's own operations were the
bottleneck: 1:N over 100,000 templates took 4.6 s (126 times plain numpy, measured side by side
on the shared 2-core development machine) and 1:1 about 25 ms (57 ms under load), mostly in
rotations and in encoding 128 fresh plaintexts per block. Matching now uses no rotations, no key
switching and no Galois keys:

- 1:1: the template times the probe's plaintext holds x_j y_j in its slots, and the constant
  coefficient of a CKKS polynomial is 2/N times the sum of the real parts of all slots. The
  matcher hands over that one coefficient of the ciphertext's first half (and the second half),
  so the key holder can decrypt the total and nothing else: the other coefficients, which would
  give every single product, never leave the matcher. 2.4 to 2.9 ms instead of 57 ms, side by
  side.
- 1:N: slot k of a gallery block is template k with two values per complex slot, so a probe is
  one exact weighted sum of 65 ciphertexts (one BLAS product), then one multiplication by fresh
  per-slot masks rho_k; no rescaling. The imaginary parts hold cross terms x_a y_b - x_b y_a,
  which the key holder must not read: the matcher hands over only the sigma-symmetric half of the
  first polynomial (sigma: X -> X^-1 conjugates every slot), so decryption gives exactly the real
  parts. About 7 ms per block of 4096 templates on one core (3 to 4 ms of it the product, which
  OpenBLAS runs at a third of the speed of a single weighted sum); `peeka bench protection`
  measured 1:N over 100,000 at 150 to 210 ms, 6 to 11 times plain numpy side by side (median 9.4
  over six runs on the shared machine), peak memory 868 MB instead of 1347 MB."""

from __future__ import annotations

import hashlib
import math
import os
import secrets
import struct
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

# TenSEAL ships no type information; it stays behind the private helpers of this module.
import tenseal as ts
import tenseal.sealapi as seal
import tenseal.sealapi.util as seal_util

from peeka.protection.ckks_ring import MAX_PRIME_BITS, Digits, Ints, Operand, Ring

Embedding = npt.NDArray[np.float64]
_T = TypeVar("_T")
_R = TypeVar("_R")

_MAGIC = b"peeka.ckks.2"
_OLD_MAGIC = b"peeka.ckks."
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

# dlib descriptors measure about 1.4. The bound keeps |threshold**2 - distance**2| <= 64 and
# every masked score below 2**15, and excludes garbage input.
_MAX_NORM = 4.0
# rho is log-uniform in [2**-8, 2**8]: one masked value pins |tau - d2| only within 16 octaves.
_RHO_OCTAVES = 8
# A removed slot gets uniform noise in [-2**24, 2**24) added to each of its values, which hides a
# value v up to a statistical distance |v| / 2**25. The noise is encoded in double precision,
# which leaves an error of about 2**-30 in the other slots' values after ten removals (2**-32 after
# one), below the encryption noise of a single value (2**-29.6).
_FLOOD_BITS = 24
_FLOOD_GRID_BITS = 20
# 1:N: the probe's weights are round(2 y_j 2**26), so scores sit at scale 2**(s + 26) for
# templates at 2**s; the masks rho_k are encoded at 2**30. Decisions are exact for the probe
# rounded to that grid (2**-27), and the sum of squared weights gives |y'|^2 exactly.
_PROBE_SCALE_BITS = 26
_RHO_SCALE_BITS = 30
# 1:1: the probe's plaintext at 2**s like the template, rho an integer over 2**20.
_MASK_SCALE_BITS = 20
# Masked scores and the noise-flooded gallery values need this many bits above their scale.
_VALUE_BITS = 16


def _needed_bits(scale_bits: int) -> int:
    return scale_bits + _PROBE_SCALE_BITS + _RHO_SCALE_BITS + _VALUE_BITS


@dataclass(frozen=True)
class CkksParams:
    """CKKS parameters; the defaults give 128-bit security and were chosen by measurement.

    N = 8192 (4096 templates per gallery block). The HomomorphicEncryption.org standard allows at
    most 218 bits of coefficient modulus at N = 8192 for 128-bit security (109 at N = 4096); these
    use 180: three 40-bit data primes and SEAL's 60-bit special prime.

    Why 120 data bits: a masked 1:N score sits at scale 2**(40 + 26 + 30) (template, probe
    weights, masks rho) and is below 2**16 in magnitude, so it needs 112 bits; a noise-flooded
    slot reaches 2**(40 + 26 + 33). N = 4096 with at most 109 bits cannot hold that. Why 40-bit
    primes: the weighted sum of a block's 65 ciphertexts runs as one float64 matrix product,
    exact only while 65 * 2**7 * 2**39 < 2**53. The special prime is used by SEAL's encryption
    only (it encrypts modulo it as well and divides it away, which brings fresh noise down to
    about 2**10.4 / 2**40 per slot); matching does no key switching.

    Measured (`peeka bench protection`, which also times 1:1): see the module docstring. The
    old defaults (60, 40, 40, 60) suited TenSEAL's operations, not the float64 sums."""

    poly_modulus_degree: int = 8192
    """N; a ciphertext has N / 2 slots, so a gallery block holds up to N / 2 templates."""
    coeff_mod_bit_sizes: tuple[int, ...] = (40, 40, 40, 60)
    """Bit sizes of the modulus primes; the last one is the special prime of SEAL's encryption,
    the others are the data primes (each at most 40 bits)."""
    global_scale_bits: int = 40
    """Templates are encoded times 2**global_scale_bits; fresh noise is about 2**10.4 / scale."""

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
        data = self.coeff_mod_bit_sizes[:-1]
        if max(data) > MAX_PRIME_BITS:
            raise ValueError(
                f"CKKS data primes {data} must have at most {MAX_PRIME_BITS} bits each"
            )
        needed = _needed_bits(self.global_scale_bits)
        if sum(data) < needed:
            raise ValueError(
                f"CKKS data primes {data} give {sum(data)} bits; masked scores at scale "
                f"2**{self.global_scale_bits} need at least {needed}"
            )


class KeyPair:
    """The CKKS keys, made and kept on the decision-service side.

    `public_context()` goes to the matcher: the public key, never the secret key.
    `secret_context()` goes to the decision service's key vault only. Encrypted values carry the
    key id (a hash of the public key and parameters) so that a template from another key is
    refused instead of being decrypted into a random decision."""

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

    def public_context(self, *, rotations: bool = False) -> bytes:
        """Everything the matcher needs and nothing that decrypts: about 0.5 MB.

        `rotations` adds SEAL's Galois keys (about 34 MB). Matching no longer rotates, so
        nothing here needs them; the flag stays for callers that ask for them."""
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
    """Up to N / 2 encrypted templates for 1:N: slot k is template k. Template values are
    packed two per complex slot, feature 2j in the real part and feature 2j+1 (the squared norm
    after the last feature) in the imaginary part, times -1 in the odd slots (where SEAL's X^(N/2)
    is -i), so ciphertext j holds the pair j of every template.

    Made by `Matcher.build_block` or `Matcher.load_block`; immutable, the add and remove
    operations return a new block. The ciphertexts are kept as exact float64 residues, ready for
    the matrix product that matches a probe: 25.6 MB per block, 6.3 KB per template."""

    def __init__(
        self,
        key_id: bytes,
        dim: int,
        columns: npt.NDArray[np.float64],
        states: npt.NDArray[np.uint8],
        primes: tuple[int, ...],
    ) -> None:
        self._key_id = key_id
        self._dim = dim
        self._columns = columns
        self._columns.flags.writeable = False
        self._states = states
        self._states.flags.writeable = False
        self._primes = primes

    @property
    def dim(self) -> int:
        return self._dim

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
        primes = np.array(self._primes, dtype=np.int64)[:, None]
        residues = np.mod(self._columns.astype(np.int64), primes)
        return _pack(
            _BLOCK,
            self._key_id,
            struct.pack(">H", self._dim),
            self._states.tobytes(),
            _residue_bytes(residues),
        )


class Matcher:
    """Encrypts and compares templates with the public context only; it can decrypt nothing.

    A comparison yields Enc(rho * (tau - d2)): d2 is the squared Euclidean distance between
    template and probe, tau the squared threshold and rho > 0 fresh randomness from the operating
    system per comparison (per slot in 1:N), log-uniform in [2**-8, 2**8]. The probe stays
    plaintext on the matcher, which computes d2 = |x|^2 - 2 x.y + |y|^2 from the encrypted x
    and |x|^2 of the template. Decisions equal plaintext ones up to the CKKS error, measured in
    the tests (worst slot of a full block, also after removals)."""

    def __init__(self, public_context: bytes, *, dim: int = 128) -> None:
        context = _load_context(public_context, "public context")
        if context.has_secret_key():
            raise ValueError(
                "this context holds the secret key; give the matcher KeyPair.public_context()"
            )
        _check_context(context)
        self._ring = _ring(context)
        self._slots = self._ring.slots
        if not 1 <= dim <= self._slots - 2:
            raise ValueError(f"dim must be in 1..{self._slots - 2} for this context, got {dim}")
        self._key_id = _key_id(context)
        self._context = context
        self._encryptor = context.encryptor().data
        self._scale_bits = _scale_bits(context)
        self._dim = dim
        self._pairs = (dim + 2) // 2  # dim features and the squared norm, two per slot
        ring = self._ring
        self._half_turn = ring.operand(ring.half_turn)
        # 1/2 and 1/(2 X^(N/2)) = X^(3N/2) / 2 in NTT form, to split two masks (see _masks).
        halves = np.array([(p + 1) // 2 for p in ring.primes], dtype=np.int64)[:, None]
        self._half = ring.operand(np.repeat(halves, ring.degree, axis=1))
        cube = ring.multiply(ring.multiply(ring.half_turn, self._half_turn), self._half_turn)
        self._half_turn_half = ring.operand(ring.multiply(cube, self._half))

    @property
    def key_id(self) -> str:
        return self._key_id.hex()

    @property
    def capacity(self) -> int:
        """Templates per gallery block (N / 2)."""
        return self._slots

    def encrypt_template(self, embedding: npt.ArrayLike) -> bytes:
        """A 1:1 template: Enc([x_1..x_dim, |x|^2, 1, 0, ...]), one real value per slot."""
        x = _as_embedding(embedding, self._dim, "embedding")
        packed = np.zeros(self._slots)
        packed[: self._dim] = x
        packed[self._dim] = x @ x
        # The constant 1 lets the probe's plaintext carry the whole score in one product.
        packed[self._dim + 1] = 1.0
        cipher = self._encrypt(packed[None, :])[0]
        return _pack(_TEMPLATE, self._key_id, struct.pack(">H", self._dim), _residue_bytes(cipher))

    def masked_score(self, template: bytes, probe: npt.ArrayLike, threshold: float) -> bytes:
        """The constant coefficient of Enc(rho * (threshold**2 - |x - probe|**2)) summed over
        the slots, with the ciphertext's second half, for `DecisionService.decide`."""
        key_id, fields = _unpack(template, _TEMPLATE, 2)
        self._check_key(key_id, "template")
        if struct.unpack(">H", _exact(fields[0], 2, "template"))[0] != self._dim:
            raise ValueError(f"the template was not made for {self._dim}-dimensional embeddings")
        ring = self._ring
        cipher = _read_residues(fields[1], (2, ring.levels, ring.degree), ring, "template")
        y = _as_embedding(probe, self._dim, "probe")
        tau = _as_threshold(threshold) ** 2
        plain = np.zeros(self._slots)
        plain[: self._dim] = 2.0 * y
        plain[self._dim] = -1.0
        plain[self._dim + 1] = tau - y @ y
        plain_ntt = ring.operand(ring.encode_ntt(plain, 2.0**self._scale_bits))
        product = ring.multiply(cipher, plain_ntt)
        # rho as an integer over 2**20: at least 2**12, and exact.
        rho = round(float(_rhos(1)[0]) * 2**_MASK_SCALE_BITS)
        constant = ring.scale(ring.constant_coefficient(product[0])[:, None], rho)[:, 0]
        second = ring.scale(product[1], rho)
        return _pack(_SCORE, self._key_id, _residue_bytes(constant), _residue_bytes(second))

    def build_block(self, embeddings: npt.ArrayLike) -> GalleryBlock:
        """A gallery block with the (n, dim) `embeddings` in slots 0..n-1, the rest free."""
        rows = _as_embeddings(embeddings, self._dim, self._slots)
        values = np.zeros((self._dim + 1, self._slots))
        values[: self._dim, : len(rows)] = rows.T
        values[self._dim, : len(rows)] = np.einsum("nd,nd->n", rows, rows)
        cipher = self._encrypt(self._paired(values))
        states = np.full(self._slots, _FREE, dtype=np.uint8)
        states[: len(rows)] = _LIVE
        return self._block(cipher, states)

    def load_block(self, data: bytes) -> GalleryBlock:
        key_id, fields = _unpack(data, _BLOCK, 3)
        self._check_key(key_id, "gallery block")
        if struct.unpack(">H", _exact(fields[0], 2, "gallery block"))[0] != self._dim:
            raise ValueError(
                f"the gallery block was not made for {self._dim}-dimensional embeddings"
            )
        states = np.frombuffer(_exact(fields[1], self._slots, "gallery block"), dtype=np.uint8)
        if np.any(states > _REMOVED):
            raise ValueError("the gallery block has corrupt slot states")
        ring = self._ring
        shape = (self._pairs, 2, ring.levels, ring.degree)
        cipher = _read_residues(fields[2], shape, ring, "gallery block")
        return self._block(cipher, states.copy())

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
        values = np.zeros((self._dim + 1, self._slots))
        values[: self._dim, slot] = x
        values[self._dim, slot] = x @ x
        # A fresh encryption per column: adding a plaintext instead would show the new
        # template to anyone holding copies of the block from before and after.
        fresh = self._encrypt(self._paired(values))
        cipher = self._ring.reduce(self._ring.from_centered(block._columns) + fresh)
        states = block._states.copy()
        states[slot] = _LIVE
        return self._block(cipher, states), slot

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
        ring = self._ring
        scale = 2.0**self._scale_bits
        shape = (self._pairs, len(chosen))
        real, imaginary = _flood(math.prod(shape)), _flood(math.prod(shape))
        flood = np.zeros((self._pairs, ring.degree), dtype=np.int64)
        for part in range(2):  # the coarse and the fine part (see _flood), encoded apart
            noise = np.zeros((self._pairs, self._slots), dtype=np.complex128)
            noise[:, chosen] = (real[part] + 1j * imaginary[part]).reshape(shape)
            flood += np.stack([ring.encode(column, scale) for column in noise])
        cipher = ring.from_centered(block._columns)
        # Plaintext additions suffice here: the noise is secret and thrown away, and a copy
        # of the block from before the removal already held the template anyway.
        cipher[:, 0] = ring.reduce(cipher[:, 0] + ring.ntt(ring.residues(flood)))
        states = block._states.copy()
        states[chosen] = _REMOVED
        return self._block(cipher, states)

    def masked_scores(self, block: GalleryBlock, probe: npt.ArrayLike, threshold: float) -> bytes:
        """Enc(rho_k * (threshold**2 - |x_k - probe|**2)) for every slot k, with a fresh rho_k per
        slot, for `DecisionService.decide_many`. Slots without a live template get rho_k = 0."""
        self._check_block(block)
        return self._masked([block], self._probe(probe, threshold))[0]

    def search(
        self,
        blocks: Sequence[GalleryBlock],
        probe: npt.ArrayLike,
        threshold: float,
        *,
        workers: int | None = None,
    ) -> list[bytes]:
        """`masked_scores` of every block, on `workers` threads (default: one per CPU). Blocks
        go two at a time, so that their masks share one NTT (see `_masks`).

        The matrix products and the larger numpy loops run without the GIL, so threads help
        where cores are free: 100,000 templates took 147 ms on 2 threads against 189 ms on one,
        with BLAS limited to one thread each (OPENBLAS_NUM_THREADS=1; with BLAS's own 2 threads
        per worker, 182 ms). On a machine busy with other work the second thread gained nothing."""
        for block in blocks:
            self._check_block(block)
        prepared = self._probe(probe, threshold)
        groups = [blocks[start : start + 2] for start in range(0, len(blocks), 2)]
        masked = _parallel(lambda group: self._masked(group, prepared), groups, workers)
        return [scores for group in masked for scores in group]

    def _probe(self, probe: npt.ArrayLike, threshold: float) -> tuple[Digits, Ints]:
        """(weights (2, pairs), constant residues (L, 1)) that turn a block into its scores.

        The weights are 2 y'_j for the features and -1 for the squared norm, times 2**26; the
        constant is tau - |y'|^2 at scale 2**(s + 26), |y'|^2 = sum_j (w_j / 2**27)^2 exactly."""
        y = _as_embedding(probe, self._dim, "probe")
        tau = _as_threshold(threshold) ** 2
        weights = np.zeros(2 * self._pairs, dtype=np.int64)
        weights[: self._dim] = np.round(y * 2.0 ** (_PROBE_SCALE_BITS + 1)).astype(np.int64)
        weights[self._dim] = -(1 << _PROBE_SCALE_BITS)
        scale_bits = self._scale_bits + _PROBE_SCALE_BITS
        squares = sum(int(w) * int(w) for w in weights[: self._dim])
        constant = round(Fraction(tau) * 2**scale_bits) - (
            squares << (scale_bits - 2 * _PROBE_SCALE_BITS - 2)
        )
        pairs = weights.reshape(-1, 2).T.copy()
        return self._ring.digits(pairs, self._pairs), _constant_residues(self._ring, constant)

    def _masked(self, blocks: Sequence[GalleryBlock], probe: tuple[Digits, Ints]) -> list[bytes]:
        """The masked scores of one or two blocks."""
        ring = self._ring
        weights, constant = probe
        live = [block._states == _LIVE for block in blocks]
        results = []
        for block, alive, mask in zip(blocks, live, self._masks(live), strict=True):
            # Column j times (a_j - b_j X^(N/2)) has real part a_j v_2j + b_j v_2j+1 in every
            # slot (the imaginary parts were packed times -1 where X^(N/2) is -i).
            sums = ring.weighted_sums(block._columns, weights)
            score = sums[0] - ring.multiply_lazy(sums[1], self._half_turn)  # in (-2q, q)
            score[0] += constant  # in (-2q, 2q)
            masked = ring.multiply(score, mask)
            symmetric = ring.fold(masked[0] + ring.conjugate(masked[0]))
            results.append(
                _pack(
                    _SCORES,
                    self._key_id,
                    alive.astype(np.uint8).tobytes(),
                    _residue_bytes(symmetric),
                    _residue_bytes(masked[1]),
                )
            )
        return results

    def _masks(self, live: Sequence[npt.NDArray[np.bool_]]) -> list[Operand]:
        """Fresh masks rho (0 where no template lives) for one or two blocks, in NTT form.

        Two masks a, b share one NTT: both are exactly sigma-invariant integer polynomials and
        sigma(X^(N/2)) = -X^(N/2), so f = a + X^(N/2) b has sigma(f) = a - X^(N/2) b, and sigma
        is a reversal in NTT form: a = (f + sigma f) / 2, b = (f - sigma f) / (2 X^(N/2))."""
        ring = self._ring
        polynomials = []
        for alive in live:
            rho = _rhos(self._slots)
            rho[~alive] = 0.0
            polynomials.append(ring.encode(rho, 2.0**_RHO_SCALE_BITS))
        if len(polynomials) == 1:
            return [ring.operand(ring.ntt(ring.residues(polynomials[0])))]
        first, second = polynomials
        half = ring.degree // 2
        # X^(N/2) b: coefficient t moves to t + N/2, with a sign change where it wraps around.
        combined = first + np.concatenate([-second[half:], second[:half]])
        both = ring.ntt(ring.residues(combined))
        mirrored = ring.conjugate(both)
        return [
            ring.operand(
                ring.multiply(ring.fold(both + mirrored - ring.primes_column), self._half)
            ),
            ring.operand(ring.multiply(ring.fold(both - mirrored), self._half_turn_half)),
        ]

    def _encrypt(self, values: npt.NDArray[Any]) -> Ints:
        """SEAL's public-key encryptions of zero plus the encoded rows of `values` (count,
        slots): residues (count, 2, L, N)."""
        ring = self._ring
        zeros = np.stack([_encrypt_zero(self._encryptor, ring) for _ in values])
        scale = 2.0**self._scale_bits
        messages = np.stack([ring.encode(row, scale) for row in values])
        zeros[:, 0] = ring.reduce(zeros[:, 0] + ring.ntt(ring.residues(messages)))
        return zeros

    def _paired(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.complex128]:
        """(dim + 1, slots) values as (pairs, slots) complex columns (see `GalleryBlock`)."""
        padded = np.zeros((2 * self._pairs, self._slots))
        padded[: len(values)] = values
        paired: npt.NDArray[np.complex128] = padded[0::2] + 1j * (
            padded[1::2] * self._ring.half_turn_signs
        )
        return paired

    def _block(self, cipher: Ints, states: npt.NDArray[np.uint8]) -> GalleryBlock:
        centered = self._ring.centered(cipher)
        return GalleryBlock(self._key_id, self._dim, centered, states, self._ring.primes)

    def _check_block(self, block: GalleryBlock) -> None:
        if not isinstance(block, GalleryBlock):
            raise ValueError(f"expected a GalleryBlock, got {type(block).__name__}")
        self._check_key(block._key_id, "gallery block")
        shape = (self._pairs, 2, self._ring.levels, self._ring.degree)
        if block.dim != self._dim or block.capacity != self._slots or block._columns.shape != shape:
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
    as CKKS requires (Li and Micciancio 2021). It can decrypt only what the matcher sent: the
    total of a 1:1 comparison and the real parts of a block's slots.

    Limits, said plainly: the service is a sign oracle for whatever ciphertext it is sent. A
    matcher that is taken over can build Enc(rho * (x_j - c)) from a stored template and binary
    search every feature in about 20 questions each, so the service must authenticate its
    matcher, rate-limit and audit the questions. A stolen template store together with the
    secret key decrypts every live template: the two must never be kept together. Whoever holds
    a stolen template store and also reads the matcher's messages can work out the probe: the
    messages are linear in it and are not re-randomised."""

    def __init__(self, secret_context: bytes) -> None:
        context = _load_context(secret_context, "secret context")
        if not context.has_secret_key():
            raise ValueError("the decision service needs KeyPair.secret_context(), not the public")
        _check_context(context)
        self._ring = _ring(context)
        self._slots = self._ring.slots
        self._key_id = _key_id(context)
        self._secret = self._ring.operand(_secret_key(context, self._ring))
        self._half_turn = self._ring.operand(self._ring.half_turn)

    @property
    def key_id(self) -> str:
        return self._key_id.hex()

    def decide(self, masked: bytes) -> bool:
        """True when the masked 1:1 score is non-negative, i.e. distance <= threshold."""
        return self._score(masked) >= 0

    def decide_many(self, masked: bytes) -> npt.NDArray[np.bool_]:
        """Per slot of the block: True where a live template is within the threshold."""
        live, values = self._block_scores(masked)
        accepted: npt.NDArray[np.bool_] = (values >= 0.0) & live
        return accepted

    def decide_all(
        self, masked: Sequence[bytes], *, workers: int | None = None
    ) -> list[npt.NDArray[np.bool_]]:
        """`decide_many` for every block's masked scores, on `workers` threads (default: one
        per CPU). Blocks are decrypted two at a time, the second one's real parts moved into the
        imaginary parts (times X^(N/2)), so that they share one inverse NTT and one decoding."""
        groups = [masked[start : start + 2] for start in range(0, len(masked), 2)]
        decided = _parallel(self._decide_group, groups, workers)
        return [accepted for group in decided for accepted in group]

    def _decide_group(self, group: Sequence[bytes]) -> list[npt.NDArray[np.bool_]]:
        if len(group) == 1:
            return [self.decide_many(group[0])]
        ring = self._ring
        (live, first), (second_live, second) = (self._doubled(item) for item in group)
        turned = ring.multiply(second, self._half_turn)
        slots = self._decode(ring.fold(first + turned - ring.primes_column))
        values = (slots.real, slots.imag * ring.half_turn_signs)
        return [
            (value >= 0.0) & alive for value, alive in zip(values, (live, second_live), strict=True)
        ]

    def _score(self, masked: bytes) -> int:
        """The decrypted constant coefficient of a masked 1:1 score: rho (tau - d2) times
        2**(2 s + 20 + 1) / N, exactly."""
        key_id, fields = _unpack(masked, _SCORE, 2)
        self._check_key(key_id)
        ring = self._ring
        constant = _read_residues(fields[0], (ring.levels, 1), ring, "masked score")
        second = _read_residues(fields[1], (ring.levels, ring.degree), ring, "masked score")
        product = ring.constant_coefficient(ring.multiply(second, self._secret))
        total = np.mod(constant[:, 0] + product, np.array(ring.primes, dtype=np.int64))
        return ring.to_int(total.tolist())

    def _block_scores(self, masked: bytes) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
        """(live slots, 2 Re(slots)) of the decrypted masked block scores: rho_k (tau - d2_k)
        times 2**(s + 26 + 30 + 1) in slot k."""
        live, doubled = self._doubled(masked)
        values: npt.NDArray[np.float64] = self._decode(doubled).real
        return live, values

    def _doubled(self, masked: bytes) -> tuple[npt.NDArray[np.bool_], Ints]:
        """(live slots, d + sigma(d)) for masked block scores d = c0 + c1 s, in NTT form: the
        matcher sent c0 + sigma(c0) only, so nothing else of d can be had."""
        key_id, fields = _unpack(masked, _SCORES, 3)
        self._check_key(key_id)
        live = np.frombuffer(_exact(fields[0], self._slots, "masked block scores"), np.uint8)
        if np.any(live > 1):
            raise ValueError("the masked block scores have corrupt slot states")
        ring = self._ring
        shape = (ring.levels, ring.degree)
        symmetric = _read_residues(fields[1], shape, ring, "masked block scores")
        second = _read_residues(fields[2], shape, ring, "masked block scores")
        product = ring.multiply(second, self._secret)
        doubled = ring.fold(symmetric + product + ring.conjugate(product) - ring.primes_column)
        return live == 1, doubled

    def _decode(self, residues: Ints) -> npt.NDArray[np.complex128]:
        """The slots of a plaintext given in NTT form, unscaled."""
        ring = self._ring
        return ring.decode(ring.to_float(ring.intt(residues)))

    def _decrypt(self, cipher: Ints) -> Ints:
        """c0 + c1 s for a ciphertext (2, L, N): the plaintext in NTT form."""
        ring = self._ring
        return ring.fold(cipher[0] + ring.multiply(cipher[1], self._secret) - ring.primes_column)

    def _check_key(self, key_id: bytes) -> None:
        if key_id != self._key_id:
            raise ValueError(
                f"the masked score was computed under CKKS key {key_id.hex()}, but this service "
                f"holds key {self.key_id}"
            )


def _decrypt_template(secret_context: bytes, template: bytes) -> npt.NDArray[np.float64]:
    """The slot values of a 1:1 template decrypted with the secret context: what a key holder
    with a stolen template would see. For audits and tests, never for matching."""
    service = DecisionService(secret_context)
    key_id, fields = _unpack(template, _TEMPLATE, 2)
    service._check_key(key_id)
    ring = service._ring
    cipher = _read_residues(fields[1], (2, ring.levels, ring.degree), ring, "template")
    slots = service._decode(service._decrypt(cipher)) / 2.0 ** _scale_bits(
        _load_context(secret_context, "secret context")
    )
    values: npt.NDArray[np.float64] = slots.real
    return values


def _check_context(context: Any) -> None:
    try:
        scale_bits = math.log2(context.global_scale)
    except ValueError as exc:
        raise ValueError(f"the CKKS context has no global scale: {exc}") from exc
    if scale_bits != int(scale_bits):
        raise ValueError(f"the CKKS context's scale 2**{scale_bits:g} is not a power of two")
    data = context.seal_context().data.first_context_data()
    primes = [modulus.value() for modulus in data.parms().coeff_modulus()]
    if max(primes).bit_length() > MAX_PRIME_BITS:
        raise ValueError(
            f"the CKKS context's data primes must have at most {MAX_PRIME_BITS} bits; make the "
            "keys with CkksParams()"
        )
    bits = data.total_coeff_modulus_bit_count()
    if bits < _needed_bits(int(scale_bits)):
        raise ValueError(
            f"the CKKS context's {bits}-bit data modulus is too small for scale 2**"
            f"{scale_bits:g}; make the keys with CkksParams()"
        )


def _scale_bits(context: Any) -> int:
    return int(math.log2(context.global_scale))


def _ring(context: Any) -> Ring:
    """The numpy ring of the context's data level, with the roots of unity SEAL's NTT uses."""
    parms = context.seal_context().data.first_context_data().parms()
    degree = int(parms.poly_modulus_degree())
    primes = [int(modulus.value()) for modulus in parms.coeff_modulus()]
    log_degree = degree.bit_length() - 1
    roots = [seal_util.NTTTables(log_degree, seal.Modulus(p)).get_root() for p in primes]
    return Ring(degree, primes, roots)


def _encrypt_zero(encryptor: Any, ring: Ring) -> Ints:
    """A fresh public-key encryption of zero at the data level, as residues (2, L, N). SEAL
    offers no bulk access to a ciphertext, so its words are read one by one (about 12 ms)."""
    cipher = seal.Ciphertext()
    encryptor.encrypt_zero(cipher)
    shape = (2, ring.levels, ring.degree)
    if (cipher.size(), cipher.coeff_modulus_size(), cipher.poly_modulus_degree()) != shape:
        raise ValueError("SEAL made a ciphertext of an unexpected shape")
    if not cipher.is_ntt_form():
        raise ValueError("SEAL made a CKKS ciphertext outside NTT form")
    words = cipher.dyn_array()
    count = math.prod(shape)
    return (
        np.fromiter(map(words.at, range(count)), np.uint64, count).astype(np.int64).reshape(shape)
    )


def _secret_key(context: Any, ring: Ring) -> Ints:
    """The secret key's residues (L, N) at the data level, in NTT form."""
    plain = context.secret_key().data.data()
    if not plain.is_ntt_form() or plain.coeff_count() < ring.levels * ring.degree:
        raise ValueError("the secret key is not in the expected form")
    count = ring.levels * ring.degree
    words = np.fromiter(map(plain.__getitem__, range(count)), np.uint64, count)
    return words.astype(np.int64).reshape(ring.levels, ring.degree)


def _constant_residues(ring: Ring, value: int) -> Ints:
    """The constant polynomial `value` in NTT form: the same residue at every root, as (L, 1)
    to broadcast."""
    return np.array([[value % prime] for prime in ring.primes], dtype=np.int64)


def _residue_bytes(residues: Ints) -> bytes:
    """Residues (in [0, q), so int64 and uint64 agree) as little-endian words."""
    words: bytes = np.ascontiguousarray(residues, dtype="<i8").tobytes()
    return words


def _read_residues(field: memoryview, shape: tuple[int, ...], ring: Ring, what: str) -> Ints:
    if len(field) != 8 * math.prod(shape):
        raise ValueError(f"the {what} is corrupt")
    residues = np.frombuffer(field, dtype="<u8").reshape(shape)
    primes = np.array(ring.primes, dtype=np.uint64)[:, None]
    if np.any(residues >= primes):
        raise ValueError(f"the {what} holds values outside the modulus")
    # Below 2**40, the same bits as int64: a read-only view, no copy.
    signed: Ints = residues.view(np.int64)
    return signed


def _parallel(work: Callable[[_T], _R], items: Sequence[_T], workers: int | None) -> list[_R]:
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if count == 1 or len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(count, len(items))) as pool:
        return list(pool.map(work, items))


def _serialize_secret(context: Any) -> bytes:
    # Without the Galois keys (34 MB): KeyPair.public_context makes them again when asked.
    data: bytes = context.serialize(
        save_public_key=True, save_secret_key=True, save_galois_keys=False, save_relin_keys=False
    )
    return data


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


def _pack(kind: bytes, key_id: bytes, *fields: bytes) -> bytes:
    parts = [_MAGIC, kind, key_id, struct.pack(">I", len(fields))]
    for field in fields:
        parts += [struct.pack(">I", len(field)), field]
    return b"".join(parts)


def _unpack(data: bytes, kind: bytes, count: int | None) -> tuple[bytes, list[memoryview]]:
    """(key id, fields) of a value `_pack` made, checking it is of `kind`."""
    expected = _KINDS[kind]
    if not isinstance(data, bytes):
        raise ValueError(f"the {expected} must be bytes, got {type(data).__name__}")
    header = len(_MAGIC) + 1 + _KEY_ID_BYTES + 4
    if not data.startswith(_MAGIC) and data.startswith(_OLD_MAGIC):
        raise ValueError(f"this {expected} was made by an older Peeka; enroll again")
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
    view = memoryview(data)
    for _ in range(total):
        if offset + 4 > len(data):
            raise ValueError(f"the {expected} is truncated")
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        offset += 4
        if offset + length > len(data):
            raise ValueError(f"the {expected} is truncated")
        fields.append(view[offset : offset + length])
        offset += length
    if offset != len(data):
        raise ValueError(f"the {expected} has trailing bytes")
    return key_id, fields


def _exact(field: memoryview, size: int, what: str) -> memoryview:
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
