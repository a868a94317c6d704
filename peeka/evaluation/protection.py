"""ISO/IEC 24745 evaluation of the template protection schemes on an LFW pairs file: accuracy
kept, unlinkability (D<->sys), revocability, template size, timing and the known inversion attacks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from peeka.evaluation import metrics
from peeka.evaluation.extract import Extraction
from peeka.evaluation.lfw import PairsFile
from peeka.protection import ckks, iom, ndb

FloatArray = npt.NDArray[np.float64]
SCHEMES = ("unprotected", "ckks", "iom", "ndb")
FAR = 1e-3
UNBALANCED_P = (0.95, 0.03, 0.02)
"""The original project's NDB probabilities, attacked for comparison."""

PROTOCOL = (
    "Official pairs: the first image is enrolled (reference descriptor, protected), the second "
    "is the login probe. Accuracy is k-fold (each fold's threshold chosen on the other folds); "
    "EER and TAR@FAR use the official pairs' scores only. IoM and NDB run in the stolen-key "
    "setting: one key for every template, genuine and impostor alike. The NDB binarisation "
    "centre for a fold is the mean reference descriptor of the images outside that fold. CKKS "
    "computes the plaintext distance under encryption and its decision service returns only "
    "accept/reject, so its accuracy, EER and TAR are those of the plaintext scores; what is "
    "measured is that every encrypted decision equals the plaintext one at the calibrated "
    "threshold."
)


@dataclass(frozen=True)
class Settings:
    key: bytes = b"peeka/eval/protection/key-a"
    """The one (stolen) key of the whole evaluation."""
    new_key: bytes = b"peeka/eval/protection/key-b"
    """The key after revocation, and the second key of the unlinkability test."""
    iom_params: iom.IomParams = field(default_factory=iom.IomParams)
    ndb_params: ndb.NdbParams = field(default_factory=ndb.NdbParams)
    ckks_pairs: int | None = None
    """Pairs decided under CKKS (about 25 ms each), spread over the file; None = all."""
    preimage_sample: int = 20
    """Genuine pairs whose reference is inverted with `iom.preimage_attack` (about 1.3 s each)."""
    attack_sample: int = 50
    """NDB templates attacked by majority vote."""
    timing_sample: int = 30
    """Templates enrolled and verified per scheme for the timing medians."""


@dataclass(frozen=True, eq=False)
class SchemeResult:
    accuracy: float
    accuracy_std: float
    eer: float
    tar_at_far: float | None
    """TAR at FAR 1e-3 on the official pairs; None when too few impostor pairs resolve it."""
    dsys: float | None
    """Gomez-Barrero D<->sys between mated and non-mated cross-key scores; None: not applicable."""
    template_bytes: int
    enroll_ms: float
    verify_ms: float
    genuine: FloatArray
    impostor: FloatArray
    revoked: FloatArray | None
    """Old template (key A) against the same person's probe under the new key B."""
    revoked_accept_rate: float | None
    """Fraction of `revoked` accepted at the EER threshold."""
    impostor_accept_rate: float
    """Fraction of impostor pairs accepted at the EER threshold."""
    note: str = ""


@dataclass(frozen=True)
class Irreversibility:
    ndb_templates: int
    ndb_bits_recovered: float
    """Mean fraction of hidden bits a per-bit majority vote recovers; 0.5 = nothing learnt."""
    ndb_unbalanced_bits_recovered: float
    iom_templates: int
    iom_failures: int
    """Attacks whose linear program found no pre-image."""
    iom_accepted_other_image: float
    """Recovered descriptor within the threshold of the same person's other image's probe."""
    iom_accepted_same_reference: float
    """Recovered descriptor within the threshold of the enrolled reference it came from."""
    iom_baseline_accepted_other_image: float
    """The enrolled reference itself within the threshold of the other image's probe (the
    genuine accept rate on the attacked pairs, for comparison)."""
    iom_distance_other_image: float | None
    iom_distance_same_reference: float | None
    iom_seconds_per_attack: float | None


@dataclass(frozen=True, eq=False)
class ProtectionResult:
    pairs: int
    folds: int
    images: int
    threshold: float
    schemes: dict[str, SchemeResult]
    ckks_decisions_equal: int
    ckks_decisions_compared: int
    irreversibility: Irreversibility
    settings: Settings = field(default_factory=Settings)


def dsys(mated: npt.ArrayLike, nonmated: npt.ArrayLike, bins: int = 100) -> float:
    """Global unlinkability D<->sys (Gomez-Barrero et al., IEEE TIFS 2018), equal priors.

    LR(s) = p(s | mated) / p(s | non-mated) from histograms over the joint score range;
    D<->(s) = 2 LR / (1 + LR) - 1 where LR > 1, else 0 (1 where only mated scores fall);
    D<->sys = sum over bins of p(s | mated) D<->(s). 0 = fully unlinkable, 1 = fully linkable.
    """
    m = np.asarray(mated, dtype=np.float64).ravel()
    n = np.asarray(nonmated, dtype=np.float64).ravel()
    if m.size == 0 or n.size == 0:
        raise ValueError("dsys needs at least one mated and one non-mated score")
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(n))):
        raise ValueError("dsys scores must be finite")
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    low, high = float(min(m.min(), n.min())), float(max(m.max(), n.max()))
    if high == low:
        return 0.0
    edges = np.linspace(low, high, bins + 1)
    p_m = np.histogram(m, edges)[0] / m.size
    p_n = np.histogram(n, edges)[0] / n.size
    local = np.zeros(bins)
    only_mated = (p_m > 0) & (p_n == 0)
    local[only_mated] = 1.0
    both = (p_m > 0) & (p_n > 0)
    ratio = p_m[both] / p_n[both]
    local[both] = np.where(ratio > 1.0, 2.0 * ratio / (1.0 + ratio) - 1.0, 0.0)
    return float(np.sum(p_m * local))


def eer_threshold(genuine: npt.ArrayLike, impostor: npt.ArrayLike) -> float:
    """The observed score (accept when >= it) where FAR and FRR are closest."""
    gen = np.sort(np.asarray(genuine, dtype=np.float64))
    imp = np.sort(np.asarray(impostor, dtype=np.float64))
    candidates = np.unique(np.concatenate((gen, imp)))
    far = (imp.size - np.searchsorted(imp, candidates, side="left")) / imp.size
    frr = np.searchsorted(gen, candidates, side="left") / gen.size
    return float(candidates[int(np.argmin(np.abs(far - frr)))])


def evaluate(
    pairs: PairsFile,
    extraction: Extraction,
    *,
    threshold: float,
    settings: Settings = Settings(),
    keys: ckks.KeyPair | None = None,
) -> ProtectionResult:
    """Every scheme on `pairs`; `threshold` is the calibrated distance for the CKKS decisions
    and the pre-image attack. `keys` (made here when None) lets a caller reuse CKKS keys."""
    at = extraction.index()
    first = np.array([at[p.first] for p in pairs.pairs])
    second = np.array([at[p.second] for p in pairs.pairs])
    labels = np.array([p.same for p in pairs.pairs])
    folds = np.array([p.fold for p in pairs.pairs], dtype=np.intp)
    refs = extraction.references.astype(np.float64)
    probes = extraction.probes.astype(np.float64)
    distances = np.linalg.norm(refs[first] - probes[second], axis=1)
    timed = np.linspace(0, len(pairs.pairs) - 1, min(settings.timing_sample, len(pairs.pairs)))
    timed_pairs = np.unique(timed.astype(np.intp))

    schemes: dict[str, SchemeResult] = {}
    plain = -distances
    schemes["unprotected"] = _scheme(
        plain,
        labels,
        folds,
        None,
        template_bytes=refs.shape[1] * 4,
        enroll_ms=_median_ms(lambda i: refs[first[i]].astype(np.float32).tobytes(), timed_pairs),
        verify_ms=_median_ms(
            lambda i: np.linalg.norm(refs[first[i]] - probes[second[i]]), timed_pairs
        ),
        note="score: negated Euclidean distance",
    )
    ckks_result, equal, compared = _ckks(
        refs, probes, first, second, distances, threshold, settings, keys, timed_pairs
    )
    schemes["ckks"] = SchemeResult(**{**schemes["unprotected"].__dict__, **ckks_result})
    schemes["iom"] = _iom(refs, probes, first, second, labels, folds, settings, timed_pairs)
    centres = _fold_centres(pairs, extraction, refs)
    schemes["ndb"] = _ndb(
        refs, probes, first, second, labels, folds, centres, settings, timed_pairs
    )
    irreversibility = _irreversibility(
        refs, probes, first, second, labels, folds, centres, threshold, settings
    )
    return ProtectionResult(
        pairs=len(pairs.pairs),
        folds=int(np.unique(folds).size),
        images=len(extraction.names),
        threshold=threshold,
        schemes=schemes,
        ckks_decisions_equal=equal,
        ckks_decisions_compared=compared,
        irreversibility=irreversibility,
        settings=settings,
    )


def payload(result: ProtectionResult) -> dict[str, Any]:
    """The JSON form of `result` (no score arrays)."""
    out: dict[str, Any] = {
        "pairs": result.pairs,
        "folds": result.folds,
        "images": result.images,
        "threshold": result.threshold,
        "protocol": PROTOCOL,
    }
    for name, scheme in result.schemes.items():
        entry: dict[str, Any] = {
            "accuracy": scheme.accuracy,
            "accuracy_std": scheme.accuracy_std,
            "eer": scheme.eer,
            "tar_at_far_1e-3": scheme.tar_at_far,
            "dsys": scheme.dsys,
            "template_bytes": scheme.template_bytes,
            "enroll_ms": scheme.enroll_ms,
            "verify_ms": scheme.verify_ms,
            "genuine_mean": float(np.mean(scheme.genuine)),
            "impostor_mean": float(np.mean(scheme.impostor)),
            "revoked_mean": None if scheme.revoked is None else float(np.mean(scheme.revoked)),
            "revoked_accept_rate": scheme.revoked_accept_rate,
            "impostor_accept_rate": scheme.impostor_accept_rate,
            "note": scheme.note,
        }
        if name == "ckks":
            entry["decisions_equal_plaintext"] = result.ckks_decisions_equal
            entry["decisions_compared"] = result.ckks_decisions_compared
        out[name] = entry
    irr = result.irreversibility
    out["irreversibility"] = {
        "ndb_majority_vote": {
            "templates": irr.ndb_templates,
            "p": list(result.settings.ndb_params.p),
            "bits_recovered": irr.ndb_bits_recovered,
            "unbalanced_p": list(UNBALANCED_P),
            "unbalanced_bits_recovered": irr.ndb_unbalanced_bits_recovered,
        },
        "iom_preimage_stolen_seed": {
            "templates": irr.iom_templates,
            "failures": irr.iom_failures,
            "accepted_other_image": irr.iom_accepted_other_image,
            "accepted_same_reference": irr.iom_accepted_same_reference,
            "baseline_accepted_other_image": irr.iom_baseline_accepted_other_image,
            "mean_distance_other_image": irr.iom_distance_other_image,
            "mean_distance_same_reference": irr.iom_distance_same_reference,
            "seconds_per_attack": irr.iom_seconds_per_attack,
        },
        "ckks": "not invertible without the decision service's secret key (see ckks.py for the "
        "sign-oracle limit)",
    }
    return out


def _scheme(
    scores: FloatArray,
    labels: npt.NDArray[np.bool_],
    folds: npt.NDArray[np.intp],
    cross_key: FloatArray | None,
    *,
    template_bytes: int,
    enroll_ms: float,
    verify_ms: float,
    note: str,
) -> SchemeResult:
    """Metrics of one scheme's pair scores; `cross_key` holds the same pairs scored with the
    reference under the key and the probe under the new key (None: no key to change)."""
    kfold = metrics.kfold_accuracy(scores, labels, folds)
    genuine, impostor = scores[labels], scores[~labels]
    tar = metrics.tar_at_far(genuine, impostor, FAR) if _resolvable(impostor) else None
    cut = eer_threshold(genuine, impostor)
    revoked = None if cross_key is None else cross_key[labels]
    return SchemeResult(
        accuracy=kfold.accuracy,
        accuracy_std=kfold.accuracy_std,
        eer=metrics.eer(genuine, impostor),
        tar_at_far=tar,
        dsys=None if cross_key is None else dsys(cross_key[labels], cross_key[~labels]),
        template_bytes=template_bytes,
        enroll_ms=enroll_ms,
        verify_ms=verify_ms,
        genuine=genuine,
        impostor=impostor,
        revoked=revoked,
        revoked_accept_rate=None if revoked is None else float(np.mean(revoked >= cut)),
        impostor_accept_rate=float(np.mean(impostor >= cut)),
        note=note,
    )


def _resolvable(impostor: FloatArray) -> bool:
    return metrics.far_resolvable(impostor.size, FAR)


def _ckks(
    refs: FloatArray,
    probes: FloatArray,
    first: npt.NDArray[np.intp],
    second: npt.NDArray[np.intp],
    distances: FloatArray,
    threshold: float,
    settings: Settings,
    keys: ckks.KeyPair | None,
    timed_pairs: npt.NDArray[np.intp],
) -> tuple[dict[str, Any], int, int]:
    keys = keys or ckks.KeyPair.generate()
    matcher = ckks.Matcher(keys.public_context(rotations=True))
    service = ckks.DecisionService(keys.secret_context())
    count = len(first) if settings.ckks_pairs is None else min(settings.ckks_pairs, len(first))
    chosen = _spread(len(first), count)
    templates: dict[int, bytes] = {}
    equal = 0
    for i in chosen:
        image = int(first[i])
        if image not in templates:
            templates[image] = matcher.encrypt_template(refs[image])
        masked = matcher.masked_score(templates[image], probes[second[i]], threshold)
        equal += service.decide(masked) == bool(distances[i] <= threshold)

    def enroll(i: int) -> bytes:
        return matcher.encrypt_template(refs[first[i]])

    template = enroll(0)

    def verify(i: int) -> bool:
        return service.decide(matcher.masked_score(template, probes[second[i]], threshold))

    fields = {
        "template_bytes": len(template),
        "enroll_ms": _median_ms(enroll, timed_pairs),
        "verify_ms": _median_ms(verify, timed_pairs),
        "note": "accuracy, EER and TAR are the plaintext scores' (the same distance under "
        "encryption); the score itself is never observable, only accept/reject",
    }
    return fields, equal, len(chosen)


def _iom(
    refs: FloatArray,
    probes: FloatArray,
    first: npt.NDArray[np.intp],
    second: npt.NDArray[np.intp],
    labels: npt.NDArray[np.bool_],
    folds: npt.NDArray[np.intp],
    settings: Settings,
    timed_pairs: npt.NDArray[np.intp],
) -> SchemeResult:
    params = settings.iom_params
    ref_codes = iom.protect_many(refs, settings.key, params)
    probe_codes = iom.protect_many(probes, settings.key, params)
    probe_new = iom.protect_many(probes, settings.new_key, params)
    scores = np.mean(ref_codes[first] == probe_codes[second], axis=1, dtype=np.float64)
    cross = np.mean(ref_codes[first] == probe_new[second], axis=1, dtype=np.float64)
    template = iom.protect(refs[first[0]], settings.key, params)
    return _scheme(
        scores,
        labels,
        folds,
        cross,
        template_bytes=template.nbytes,
        enroll_ms=_median_ms(
            lambda i: iom.protect(refs[first[i]], settings.key, params), timed_pairs
        ),
        verify_ms=_median_ms(
            lambda i: iom.similarity(
                template, iom.protect(probes[second[i]], settings.key, params)
            ),
            timed_pairs,
        ),
        note=f"score: fraction of equal codes (m={params.m}, q={params.q}); no centring",
    )


def _fold_centres(
    pairs: PairsFile, extraction: Extraction, refs: FloatArray
) -> dict[int, FloatArray]:
    """Per fold, the mean reference descriptor of the images no pair of that fold uses."""
    at = extraction.index()
    centres = {}
    for fold in sorted({p.fold for p in pairs.pairs}):
        inside = {at[n] for p in pairs.pairs if p.fold == fold for n in (p.first, p.second)}
        outside = np.array([i for i in range(len(extraction.names)) if i not in inside])
        if outside.size == 0:
            raise ValueError(f"fold {fold} uses every image; no centre can be learnt outside it")
        centres[fold] = refs[outside].mean(axis=0)
    return centres


def _ndb(
    refs: FloatArray,
    probes: FloatArray,
    first: npt.NDArray[np.intp],
    second: npt.NDArray[np.intp],
    labels: npt.NDArray[np.bool_],
    folds: npt.NDArray[np.intp],
    centres: dict[int, FloatArray],
    settings: Settings,
    timed_pairs: npt.NDArray[np.intp],
) -> SchemeResult:
    params = settings.ndb_params
    databases: dict[int, ndb.Ndb] = {}
    scores = np.empty(len(first))
    cross = np.empty(len(first))
    for i, (a, b, fold) in enumerate(zip(first, second, folds, strict=True)):
        centre = centres[int(fold)]
        if int(a) not in databases:
            databases[int(a)] = _ndb_enroll(refs[a], centre, settings, int(a), params)
        database = databases[int(a)]
        probe = ndb.binarise(probes[b], settings.key, params, center=centre)
        renewed = ndb.binarise(probes[b], settings.new_key, params, center=centre)
        scores[i] = ndb.similarity(database, probe, params)
        cross[i] = ndb.similarity(database, renewed, params)
    template = databases[int(first[0])]
    centre0 = centres[int(folds[0])]
    return _scheme(
        scores,
        labels,
        folds,
        cross,
        template_bytes=template.positions.nbytes + template.values.nbytes,
        enroll_ms=_median_ms(
            lambda i: _ndb_enroll(refs[first[i]], centre0, settings, int(first[i]), params),
            timed_pairs,
        ),
        verify_ms=_median_ms(
            lambda i: ndb.similarity(
                template, ndb.binarise(probes[second[i]], settings.key, params, center=centre0)
            ),
            timed_pairs,
        ),
        note=f"score: 1 - estimated Hamming distance (bits={params.bits}, K={params.k}, "
        f"r={params.r}, p={params.p}); centre learnt outside the fold",
    )


def _ndb_enroll(
    reference: FloatArray, centre: FloatArray, settings: Settings, image: int, params: ndb.NdbParams
) -> ndb.Ndb:
    hidden = ndb.binarise(reference, settings.key, params, center=centre)
    # The records' randomness is fresh per template in a deployment; per image here.
    return ndb.generate(hidden, settings.key + b"/record/" + str(image).encode(), params)


def _irreversibility(
    refs: FloatArray,
    probes: FloatArray,
    first: npt.NDArray[np.intp],
    second: npt.NDArray[np.intp],
    labels: npt.NDArray[np.bool_],
    folds: npt.NDArray[np.intp],
    centres: dict[int, FloatArray],
    threshold: float,
    settings: Settings,
) -> Irreversibility:
    balanced: list[float] = []
    unbalanced: list[float] = []
    unbalanced_params = ndb.NdbParams(
        bits=settings.ndb_params.bits,
        k=3,
        r=settings.ndb_params.r,
        p=UNBALANCED_P,
        dim=settings.ndb_params.dim,
    )
    for i in _spread(len(first), settings.attack_sample):
        centre = centres[int(folds[i])]
        hidden = ndb.binarise(refs[first[i]], settings.key, settings.ndb_params, center=centre)
        seed = settings.key + b"/attack/" + str(int(i)).encode()
        for params, out in ((settings.ndb_params, balanced), (unbalanced_params, unbalanced)):
            guess = ndb.majority_vote_attack(ndb.generate(hidden, seed, params), params.bits)
            out.append(float(np.mean(guess == hidden)))

    genuine = np.flatnonzero(labels)
    chosen = genuine[_spread(genuine.size, settings.preimage_sample)]
    other, same, seconds = [], [], []
    failures = 0
    for i in chosen:
        reference = refs[first[i]]
        codes = iom.protect(reference, settings.key, settings.iom_params)
        started = time.perf_counter()
        try:
            recovered = iom.preimage_attack(
                codes, settings.key, settings.iom_params, norm=float(np.linalg.norm(reference))
            )
        except ValueError:
            failures += 1
            continue
        finally:
            seconds.append(time.perf_counter() - started)
        other.append(float(np.linalg.norm(recovered - probes[second[i]])))
        same.append(float(np.linalg.norm(recovered - reference)))
    attacked = len(chosen)
    return Irreversibility(
        ndb_templates=len(balanced),
        ndb_bits_recovered=float(np.mean(balanced)) if balanced else float("nan"),
        ndb_unbalanced_bits_recovered=float(np.mean(unbalanced)) if unbalanced else float("nan"),
        iom_templates=attacked,
        iom_failures=failures,
        iom_accepted_other_image=_fraction(np.array(other) <= threshold, attacked),
        iom_accepted_same_reference=_fraction(np.array(same) <= threshold, attacked),
        iom_baseline_accepted_other_image=_fraction(
            np.linalg.norm(refs[first[chosen]] - probes[second[chosen]], axis=1) <= threshold,
            attacked,
        ),
        iom_distance_other_image=float(np.mean(other)) if other else None,
        iom_distance_same_reference=float(np.mean(same)) if same else None,
        iom_seconds_per_attack=float(np.median(seconds)) if seconds else None,
    )


def _fraction(hits: npt.NDArray[np.bool_], total: int) -> float:
    # A failed attack counts as not accepted.
    return float(np.count_nonzero(hits)) / total if total else 0.0


def _spread(size: int, count: int) -> npt.NDArray[np.intp]:
    """Up to `count` distinct indices spread evenly over range(size)."""
    if size == 0 or count <= 0:
        return np.zeros(0, dtype=np.intp)
    picked: npt.NDArray[np.intp] = np.unique(
        np.linspace(0, size - 1, min(count, size)).astype(np.intp)
    )
    return picked


def _median_ms(run: Callable[[int], object], indices: npt.NDArray[np.intp]) -> float:
    samples = []
    for i in indices:
        started = time.perf_counter()
        run(int(i))
        samples.append((time.perf_counter() - started) * 1000)
    return float(np.median(samples))
