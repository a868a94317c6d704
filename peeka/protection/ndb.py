"""K-hidden negative databases with balanced probabilities: a binarised face is stored only as
records it does not satisfy, and matched by how many records a probe's bits satisfy."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import numpy.typing as npt

Bits = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

_BINARISE_LABEL = b"peeka/ndb/binarise/v1"
_GENERATE_LABEL = b"peeka/ndb/generate/v1"
# Resolution of the table `estimate_distance` inverts; its interpolation error (below 1e-4 in
# delta, 1e-6 away from the flat top) is far below the sampling error of the record count.
_GRID = 4097


@dataclass(frozen=True)
class NdbParams:
    bits: int = 512
    """Length m of the binarised descriptor (the hidden string)."""
    k: int = 3
    """Specified bits per record (K)."""
    r: int = 20
    """Records per bit: the database holds N = r * bits records."""
    p: tuple[float, ...] = (0.6, 0.3, 0.1)
    """p[i - 1] = P(a record has exactly i specified bits that differ from the hidden string).

    Balanced (sum of i * p_i = K / 2) so that each specified value differs from the hidden bit
    half the time and a per-bit vote learns nothing; see `majority_vote_attack`."""
    dim: int = 128
    """Embedding dimension."""

    def __post_init__(self) -> None:
        if self.dim < 1:
            raise ValueError(f"NDB dim (embedding dimension) must be at least 1, got {self.dim}")
        # Positions are stored as uint16.
        if not 1 <= self.bits <= 65536:
            raise ValueError(f"NDB bits must be in 1..65536, got {self.bits}")
        if not 1 <= self.k <= self.bits:
            raise ValueError(f"NDB k must be in 1..bits={self.bits}, got {self.k}")
        if self.r < 1:
            raise ValueError(f"NDB r (records per bit) must be at least 1, got {self.r}")
        if len(self.p) != self.k:
            raise ValueError(f"NDB p must have k={self.k} probabilities, got {len(self.p)}")
        probabilities = np.asarray(self.p, dtype=np.float64)
        if not np.all(np.isfinite(probabilities)) or np.any(probabilities < 0):
            raise ValueError(f"NDB p must hold non-negative probabilities, got {self.p}")
        if abs(float(probabilities.sum()) - 1.0) > 1e-9:
            raise ValueError(f"NDB p must sum to 1, got {self.p} (sum {probabilities.sum()})")
        # With p[0] = 0 the expected fraction is flat at delta = 0 and near-identical probes
        # could not be told apart by their record counts.
        if probabilities[0] <= 0:
            raise ValueError(f"NDB p[0] (one differing bit) must be positive, got {self.p[0]}")

    @property
    def records(self) -> int:
        """N, the number of records in a database."""
        return self.r * self.bits


@dataclass(frozen=True, eq=False)
class Ndb:
    """A negative database: record n requires bit positions[n, j] to equal values[n, j]."""

    positions: npt.NDArray[np.uint16]
    """(N, K) distinct bit positions per record, ascending."""
    values: Bits
    """(N, K) the value each record specifies at those positions."""

    def __post_init__(self) -> None:
        if self.positions.ndim != 2 or self.positions.shape != self.values.shape:
            raise ValueError(
                "NDB positions and values must be (N, K) arrays of one shape, got "
                f"{self.positions.shape} and {self.values.shape}"
            )

    def satisfied_by(self, probe_bits: npt.ArrayLike) -> int:
        """How many records have all K specified bits equal to the probe's."""
        size = int(self.positions.max()) + 1 if self.positions.size else 0
        probe = _as_bits(probe_bits, size, exact=False)
        agrees = probe[self.positions] == self.values
        return int(np.count_nonzero(np.all(agrees, axis=1)))


def binarise(
    embedding: npt.ArrayLike,
    seed: bytes,
    params: NdbParams = NdbParams(),
    *,
    center: npt.ArrayLike | None = None,
) -> Bits:
    """Signs of a seeded (bits x dim) Gaussian projection of `embedding - center`.

    Two vectors get different bits with probability angle / pi, so the Hamming distance tracks
    the angle between descriptors as seen from `center`. dlib descriptors share a large common
    component, so without a center strangers are only about 0.2 apart instead of 0.5 (measured:
    Biden against three Obama photos 0.20 averaged over 50 seeds, 129 LFW impostor pairs 0.18,
    same-person pairs 0.08-0.10); with the mean of 458 LFW descriptors of other people as center,
    LFW impostors sit at 0.50 and same-person pairs at 0.25, and the NDB's EER on those pairs
    fell from 6 % to 2 %. `center` must be learnt on many faces, not on the enrolled users.
    """
    x = np.asarray(embedding, dtype=np.float64)
    if x.shape != (params.dim,):
        raise ValueError(f"embedding must have shape ({params.dim},), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("embedding contains NaN or infinite values")
    if center is not None:
        mean = np.asarray(center, dtype=np.float64)
        if mean.shape != (params.dim,):
            raise ValueError(f"center must have shape ({params.dim},), got {mean.shape}")
        if not np.all(np.isfinite(mean)):
            raise ValueError("center contains NaN or infinite values")
        x = x - mean
    if not np.any(x):
        where = "all zeros" if center is None else "equal to center"
        raise ValueError(f"embedding is {where}, so it has no direction to binarise")
    rng = _rng(_BINARISE_LABEL, seed)
    planes = rng.standard_normal((params.bits, params.dim))
    bits: Bits = planes @ x > 0
    return bits


def generate(hidden: npt.ArrayLike, seed: bytes, params: NdbParams = NdbParams()) -> Ndb:
    """A K-hidden negative database of N = r * bits records that `hidden` satisfies none of.

    Each record specifies K distinct uniformly drawn positions; i ~ p of them take the opposite
    of the hidden bit and the others copy it, so every record excludes `hidden` by construction.
    """
    target = _as_bits(hidden, params.bits, exact=True)
    rng = _rng(_GENERATE_LABEL, seed)
    n, k = params.records, params.k
    positions = _distinct_positions(rng, n, k, params.bits)
    differing = rng.choice(k, size=n, p=np.asarray(params.p)) + 1
    # The positions are in draw order, which is uniformly random, so flipping the first i
    # flips a uniform i-subset.
    flips = np.arange(k)[None, :] < differing[:, None]
    values = target[positions] ^ flips
    # Sort so that the column order reveals nothing; left in draw order, column 0 would always
    # be a flipped bit and give the hidden string away.
    order = np.argsort(positions, axis=1)
    return Ndb(
        positions=np.take_along_axis(positions, order, axis=1).astype(np.uint16),
        values=np.take_along_axis(values, order, axis=1),
    )


@overload
def expected_fraction(delta: float, params: NdbParams = ...) -> float: ...
@overload
def expected_fraction(
    delta: npt.NDArray[np.floating[Any]], params: NdbParams = ...
) -> FloatArray: ...
def expected_fraction(
    delta: float | npt.NDArray[np.floating[Any]], params: NdbParams = NdbParams()
) -> float | FloatArray:
    """E[M] / N = sum_i p_i delta^i (1 - delta)^(K - i) for a probe at normalised Hamming
    distance `delta` (a binomial approximation of drawing K positions without replacement).

    It rises from 0 at delta = 0; at delta = 1/2 it equals 2^-K with zero slope when p is
    balanced, so distances near 1/2 are poorly resolved.
    """
    d = np.asarray(delta, dtype=np.float64)
    if np.any((d < 0) | (d > 1)) or not np.all(np.isfinite(d)):
        raise ValueError("delta must lie in [0, 1]")
    i = np.arange(1, params.k + 1, dtype=np.float64)
    terms = np.asarray(params.p) * d[..., None] ** i * (1.0 - d[..., None]) ** (params.k - i)
    fraction: FloatArray = terms.sum(axis=-1)
    return float(fraction) if fraction.ndim == 0 else fraction


def estimate_distance(
    ndb: Ndb, probe_bits: npt.ArrayLike, params: NdbParams = NdbParams()
) -> float:
    """Normalised Hamming distance between the probe and the hidden string, in [0, 1/2].

    Inverts `expected_fraction` on its rising part. That is all of [0, 1/2] for balanced p;
    for p with sum i * p_i < K / 2 it peaks earlier, and counts at or above the peak return the
    peak's delta. Past 1/2 the curve falls again, so a probe farther than 1/2 (an uncentered
    stranger never is, a badly centered one can be) reads as closer than it is.
    """
    _check_shape(ndb, params)
    probe = _as_bits(probe_bits, params.bits, exact=True)
    observed = ndb.satisfied_by(probe) / ndb.positions.shape[0]
    grid = np.linspace(0.0, 0.5, _GRID)
    curve = expected_fraction(grid, params)
    peak = int(np.argmax(curve))
    # np.interp needs a nondecreasing table; the running maximum only matters for odd p with
    # wiggles before the peak.
    table = np.maximum.accumulate(curve[: peak + 1])
    return float(np.interp(observed, table, grid[: peak + 1]))


def similarity(ndb: Ndb, probe_bits: npt.ArrayLike, params: NdbParams = NdbParams()) -> float:
    """1 - `estimate_distance`, so that higher means more alike (about 1/2 for unrelated bits)."""
    return 1.0 - estimate_distance(ndb, probe_bits, params)


def majority_vote_attack(ndb: Ndb, bits: int) -> Bits:
    """The known attack on negative databases: guess each bit as the value most records that
    specify it hold (ties and unspecified bits -> False).

    A specified value copies the hidden bit with probability 1 - sum(i * p_i) / K, so the vote
    recovers about half the bits for balanced p and most of them otherwise.
    """
    if bits < 1 or (ndb.positions.size and int(ndb.positions.max()) >= bits):
        raise ValueError(f"bits={bits} does not cover the positions in this NDB")
    where = ndb.positions.ravel()
    total = np.bincount(where, minlength=bits)
    ones = np.bincount(where, weights=ndb.values.ravel().astype(np.float64), minlength=bits)
    guess: Bits = 2 * ones > total
    return guess


def _distinct_positions(
    rng: np.random.Generator, n: int, k: int, bits: int
) -> npt.NDArray[np.int64]:
    """(n, k) positions, distinct within each row, each row a uniform ordered k-subset."""
    positions = np.empty((n, k), dtype=np.int64)
    for j in range(k):
        # Draw a rank among the bits - j unused positions, then step past each used position at
        # or below it, in ascending order, to turn the rank into a position.
        pick = rng.integers(0, bits - j, size=n)
        for used in np.sort(positions[:, :j], axis=1).T:
            pick += pick >= used
        positions[:, j] = pick
    return positions


def _check_shape(ndb: Ndb, params: NdbParams) -> None:
    if ndb.positions.shape[1] != params.k:
        raise ValueError(
            f"NDB has {ndb.positions.shape[1]} bits per record, params say k={params.k}"
        )
    if ndb.positions.size and int(ndb.positions.max()) >= params.bits:
        raise ValueError(f"NDB positions exceed params.bits={params.bits}")


def _as_bits(bits: npt.ArrayLike, size: int, *, exact: bool) -> Bits:
    array = np.asarray(bits)
    if array.ndim != 1 or (array.size != size if exact else array.size < size):
        wanted = f"({size},)" if exact else f"at least {size} entries"
        raise ValueError(f"bits must be a 1-D array with {wanted}, got shape {array.shape}")
    if array.dtype != np.bool_:
        if not np.issubdtype(array.dtype, np.integer) or np.any((array != 0) & (array != 1)):
            raise ValueError(f"bits must be booleans or 0/1 integers, got dtype {array.dtype}")
        array = array.astype(np.bool_)
    return array


def _rng(label: bytes, seed: bytes) -> np.random.Generator:
    if not isinstance(seed, bytes):
        raise ValueError(f"seed must be bytes, got {type(seed).__name__}")
    if not seed:
        raise ValueError("seed must not be empty")
    digest = hashlib.sha256(label + seed).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest, "big")))
