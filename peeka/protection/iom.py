"""GRP Index-of-Max hashing (Jin et al., IEEE TIFS 2018): revocable templates that are the argmax
indices of seeded Gaussian projections; reversible by `preimage_attack` once the seed leaks."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import linprog

Codes = npt.NDArray[np.uint8]

_LABEL = b"peeka/iom/v1"
# The LP's best margin is well above this for codes some embedding produced (0.3 to 0.5 at the
# defaults, x in [-1, 1]^dim); at or below it the codes pin no direction and x is meaningless.
_MIN_MARGIN = 1e-6


@dataclass(frozen=True)
class IomParams:
    m: int = 512
    """Number of hash values in a template."""
    q: int = 16
    """Gaussian projections per hash value; each value is an index in range(q)."""
    dim: int = 128
    """Embedding dimension."""

    def __post_init__(self) -> None:
        if self.m < 1:
            raise ValueError(f"IoM m (hash values) must be at least 1, got {self.m}")
        # Codes are stored as uint8, and one projection per value would make every code 0.
        if not 2 <= self.q <= 256:
            raise ValueError(f"IoM q (projections per value) must be in 2..256, got {self.q}")
        if self.dim < 1:
            raise ValueError(f"IoM dim (embedding dimension) must be at least 1, got {self.dim}")


def projection(seed: bytes, params: IomParams = IomParams()) -> npt.NDArray[np.float32]:
    """The (m, q, dim) Gaussian projection tensor that `seed` stands for."""
    rng = _rng(seed)
    return rng.standard_normal((params.m, params.q, params.dim), dtype=np.float32)


def protect(embedding: npt.ArrayLike, seed: bytes, params: IomParams = IomParams()) -> Codes:
    """The m IoM codes of `embedding` under `seed`: t_i = argmax_j (W_i @ x)_j, as uint8."""
    x = _as_embedding(embedding, params.dim)
    return _hash(projection(seed, params), x)


def protect_many(
    embeddings: npt.ArrayLike, seed: bytes, params: IomParams = IomParams(), *, chunk: int = 1024
) -> npt.NDArray[np.uint8]:
    """Codes of many embeddings under one seed, shape (n, m): a 1:N gallery shares a seed, so
    the probe is hashed once. Chunked, because (n, m, q) scores would not fit in memory."""
    rows = np.asarray(embeddings, dtype=np.float32)
    if rows.ndim != 2 or rows.shape[1] != params.dim:
        raise ValueError(f"embeddings must have shape (n, {params.dim}), got {rows.shape}")
    if not np.isfinite(rows).all():
        raise ValueError("embeddings contain NaN or infinity")
    weights = projection(seed, params)
    codes = np.empty((rows.shape[0], params.m), dtype=np.uint8)
    for start in range(0, rows.shape[0], chunk):
        scores = np.einsum("mqd,nd->nmq", weights, rows[start : start + chunk])
        codes[start : start + chunk] = np.argmax(scores, axis=2)
    return codes


def similarity(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Fraction of positions where the two templates hold the same index (1/q if independent)."""
    first = _as_codes(a, "a")
    second = _as_codes(b, "b")
    if first.shape != second.shape:
        raise ValueError(f"IoM templates differ in length: {first.size} and {second.size}")
    return float(np.mean(first == second))


def similarity_many(gallery: npt.ArrayLike, probe: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """`similarity` of `probe` against every row of the (N, m) `gallery`, as an (N,) array."""
    codes = _as_codes(probe, "probe")
    rows = np.asarray(gallery)
    if rows.ndim != 2 or rows.shape[1] != codes.size:
        raise ValueError(
            f"IoM gallery must have shape (N, {codes.size}) to match the probe, got {rows.shape}"
        )
    if rows.shape[0] and not np.issubdtype(rows.dtype, np.integer):
        raise ValueError(f"IoM gallery must hold integer codes, got dtype {rows.dtype}")
    scores: npt.NDArray[np.float64] = np.mean(rows == codes, axis=1, dtype=np.float64)
    return scores


@dataclass(frozen=True)
class TransientReference:
    """A face kept only while a liveness challenge runs, between its steps' requests: its IoM
    codes under a fresh random seed, never the descriptor. Later steps' faces must match it."""

    codes: bytes
    seed: bytes

    @classmethod
    def of(cls, embedding: npt.ArrayLike, params: IomParams = IomParams()) -> TransientReference:
        seed = secrets.token_bytes(32)
        return cls(protect(embedding, seed, params).tobytes(), seed)

    def matches(
        self, embedding: npt.ArrayLike, threshold: float, params: IomParams = IomParams()
    ) -> bool:
        """Whether `embedding` is the same face at the IoM `threshold` (a calibrated one)."""
        codes = np.frombuffer(self.codes, dtype=np.uint8)
        if codes.size != params.m:
            return False
        return similarity(codes, protect(embedding, self.seed, params)) >= threshold


def preimage_attack(
    codes: npt.ArrayLike, seed: bytes, params: IomParams = IomParams(), *, norm: float = 1.0
) -> npt.NDArray[np.float64]:
    """An embedding that hashes to `codes`, found with the leaked `seed` (Ghammam et al. 2020).

    Each code t_i says (W_i[t_i] - W_i[j]) . x > 0 for every j != t_i: m * (q - 1) linear
    inequalities whose solutions form a cone around the true x. The linear program maximises one
    margin common to all of them with x in the box [-1, 1]^dim, which lands near the cone's axis;
    the result is rescaled to `norm`, since IoM codes ignore the embedding's length.
    Measured at the defaults: about 1.2 s; on random unit embeddings the output reproduces the
    codes exactly with cosine 0.99 to the truth, and from a real dlib descriptor's codes it
    rebuilds a descriptor 0.18 away from the enrolled one (dlib calls < 0.6 the same person).
    """
    target = _as_codes(codes, "codes")
    if target.size != params.m:
        raise ValueError(f"IoM codes must have {params.m} values, got {target.size}")
    if np.any(target >= params.q):
        raise ValueError(f"IoM codes must be below q={params.q}")
    if not (np.isfinite(norm) and norm > 0):
        raise ValueError(f"norm must be a positive finite number, got {norm}")
    weights = projection(seed, params).astype(np.float64)
    rows = np.arange(params.m)
    winners = weights[rows, target]
    # (m, q, dim) differences winner - rival; the winner's own zero row constrains nothing.
    rivals = np.arange(params.q)[None, :] != target[:, None]
    gaps = (winners[:, None, :] - weights)[rivals]
    # Variables (x, s): maximise s subject to gaps @ x >= s, i.e. -gaps @ x + s <= 0.
    objective = np.zeros(params.dim + 1)
    objective[-1] = -1.0
    constraints = np.hstack([-gaps, np.ones((gaps.shape[0], 1))])
    bounds = [(-1.0, 1.0)] * params.dim + [(0.0, None)]
    result = linprog(
        objective,
        A_ub=constraints,
        b_ub=np.zeros(gaps.shape[0]),
        bounds=bounds,
        method="highs",
    )
    if result.status != 0:
        raise ValueError(f"the IoM pre-image linear program failed: {result.message}")
    solution = np.asarray(result.x, dtype=np.float64)
    if solution[-1] <= _MIN_MARGIN:
        raise ValueError("no embedding produces these IoM codes under this seed")
    x = solution[:-1]
    scaled: npt.NDArray[np.float64] = x * (norm / np.linalg.norm(x))
    return scaled


def _hash(weights: npt.NDArray[np.float32], x: npt.NDArray[np.float32]) -> Codes:
    scores = np.einsum("mqd,d->mq", weights, x)
    codes: Codes = np.argmax(scores, axis=1).astype(np.uint8)
    return codes


def _rng(seed: bytes) -> np.random.Generator:
    if not isinstance(seed, bytes):
        raise ValueError(f"seed must be bytes, got {type(seed).__name__}")
    if not seed:
        raise ValueError("seed must not be empty")
    digest = hashlib.sha256(_LABEL + seed).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest, "big")))


def _as_embedding(embedding: npt.ArrayLike, dim: int) -> npt.NDArray[np.float32]:
    x = np.asarray(embedding, dtype=np.float32)
    if x.shape != (dim,):
        raise ValueError(f"embedding must have shape ({dim},), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("embedding contains NaN or infinite values")
    # Every projection of a zero vector ties at 0, so its codes would all be 0 and say nothing.
    if not np.any(x):
        raise ValueError("embedding is all zeros")
    return x


def _as_codes(codes: npt.ArrayLike, name: str) -> npt.NDArray[np.integer[Any]]:
    array = np.asarray(codes)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"IoM {name} must be a non-empty 1-D array of codes, got {array.shape}")
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"IoM {name} must hold integer codes, got dtype {array.dtype}")
    if np.any(array < 0):
        raise ValueError(f"IoM {name} must hold non-negative codes")
    return array
