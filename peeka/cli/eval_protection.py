"""`peeka eval protection`: every template protection scheme against the unprotected baseline on
an LFW pairs file (accuracy, unlinkability, revocability, size, time, inversion attacks)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from peeka.biometrics import calibration, default_engine
from peeka.cli.eval_lfw import extract_pairs
from peeka.cli.output import EXIT_OK, emit
from peeka.evaluation import protection, report
from peeka.evaluation.protection import ProtectionResult, SatResult, Settings


def eval_protection(args: argparse.Namespace) -> int:
    pairs, extraction, wall = extract_pairs(args)
    model = default_engine().model
    threshold = calibration.load(model).threshold
    settings = Settings(
        ckks_pairs=args.ckks_pairs,
        preimage_sample=args.preimage_sample,
        sat_templates=args.sat_templates,
        sat_conflicts=args.sat_conflicts,
    )
    started = time.perf_counter()
    result = protection.evaluate(pairs, extraction, threshold=threshold, settings=settings)
    payload = protection.payload(result)
    payload["model"] = model
    payload["extraction_seconds"] = round(wall, 1)
    payload["evaluation_seconds"] = round(time.perf_counter() - started, 1)
    lines = _text(result, payload)
    if args.report:
        path = report.write_markdown_report(
            args.report,
            title="Peeka template protection report",
            summary={
                "pairs file": str(args.pairs),
                "pairs": result.pairs,
                "folds": result.folds,
                "images": result.images,
                "model": model,
                "calibrated distance threshold": result.threshold,
            },
            curves=[
                report.CurveSet(name, scheme.genuine, scheme.impostor)
                for name, scheme in result.schemes.items()
                if name != "ckks"  # its curve is the unprotected one
            ],
            sections=_sections(result, payload),
        )
        lines.append(f"report  {path}")
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def _percent(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f} %"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _text(result: ProtectionResult, payload: dict[str, Any]) -> list[str]:
    lines = [
        f"{result.pairs} pairs in {result.folds} folds, {result.images} images; IoM and NDB in "
        "the stolen-key setting; EER and TAR on the official pairs only",
        f"{'scheme':<12}{'accuracy':>10}{'EER':>9}{'TAR@1e-3':>10}{'Dsys':>7}{'floor':>7}"
        f"{'bytes':>9}{'enroll ms':>11}{'verify ms':>11}",
    ]
    for name, s in result.schemes.items():
        lines.append(
            f"{name:<12}{_percent(s.accuracy):>10}{_percent(s.eer):>9}"
            f"{_percent(s.tar_at_far):>10}{_number(s.dsys):>7}{_number(s.dsys_floor):>7}"
            f"{s.template_bytes:>9,}{s.enroll_ms:>11.2f}{s.verify_ms:>11.2f}"
        )
    lines.append(_linkage_line(result))
    ckks = payload["ckks"]
    lines.append(
        f"CKKS decisions equal to plaintext: {ckks['decisions_equal_plaintext']} of "
        f"{ckks['decisions_compared']} (threshold {result.threshold:.4f})"
    )
    for name in ("iom", "ndb"):
        entry = payload[name]
        lines.append(
            f"revocation {name}: mean score genuine {entry['genuine_mean']:.3f}, revoked "
            f"{entry['revoked_mean']:.3f}, impostor {entry['impostor_mean']:.3f}; accepted at the "
            f"EER threshold: revoked {_percent(entry['revoked_accept_rate'])}, impostor "
            f"{_percent(entry['impostor_accept_rate'])}"
        )
    irr = result.irreversibility
    lines += [_sat_line(r, result.settings.sat_conflicts) for r in irr.ndb_sat if r.templates]
    lines += [
        f"NDB majority vote recovers {_percent(irr.ndb_bits_recovered, 1)} of the bits "
        f"(p={result.settings.ndb_params.p}); "
        f"{_percent(irr.ndb_unbalanced_bits_recovered, 1)} with p={protection.UNBALANCED_P}",
        f"IoM pre-image with the stolen seed ({irr.iom_templates} templates): accepted against "
        f"the person's other image {_percent(irr.iom_accepted_other_image, 0)}, against the "
        f"enrolled reference {_percent(irr.iom_accepted_same_reference, 0)} (the real reference "
        f"against the other image: {_percent(irr.iom_baseline_accepted_other_image, 0)})",
    ]
    return lines


def _sat_line(r: SatResult, budget: int) -> str:
    found = (
        f", {_percent(r.bits_recovered, 1)} of the hidden bits right"
        if r.bits_recovered is not None
        else ""
    )
    return (
        f"NDB K={r.params.k}, r={r.params.r}: a SAT solver (CaDiCaL, {budget:,} conflicts) "
        f"found the hidden string of {r.solved} of {r.templates} databases{found}; median "
        f"{_number(r.median_seconds)} s"
    )


def _linkage_line(result: ProtectionResult) -> str:
    link = result.linkage
    return (
        f"Dsys: {link.mated:,} mated vs {link.nonmated:,} non-mated cross-key comparisons in "
        f"{link.groups} identity groups with their own key pairs, {link.bins} bins; floor: "
        f"{link.floor:,} more non-mated comparisons vs the same non-mated ones (what the "
        "estimator reads for unlinkable templates)"
    )


def _sections(result: ProtectionResult, payload: dict[str, Any]) -> list[tuple[str, str]]:
    irr = result.irreversibility
    rows = [
        "| scheme | D<->sys | floor | genuine | revoked | impostor | revoked accepted | "
        "impostor accepted |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in ("iom", "ndb"):
        e = payload[name]
        rows.append(
            f"| {name} | {_number(e['dsys'])} | {_number(e['dsys_floor'])} | "
            f"{e['genuine_mean']:.3f} | "
            f"{e['revoked_mean']:.3f} | {e['impostor_mean']:.3f} | "
            f"{_percent(e['revoked_accept_rate'])} | {_percent(e['impostor_accept_rate'])} |"
        )
    table = [
        "| scheme | accuracy | EER | TAR@FAR 1e-3 | bytes | enroll ms | verify ms |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, s in result.schemes.items():
        table.append(
            f"| {name} | {_percent(s.accuracy)} | {_percent(s.eer)} | {_percent(s.tar_at_far)} | "
            f"{s.template_bytes:,} | {s.enroll_ms:.2f} | {s.verify_ms:.2f} |"
        )
    return [
        ("Protocol", protection.PROTOCOL),
        ("Schemes", "\n".join(table)),
        (
            "CKKS",
            f"{result.ckks_decisions_equal} of {result.ckks_decisions_compared} encrypted "
            f"decisions equal the plaintext decision at distance threshold "
            f"{result.threshold:.4f}. {_sentence(payload['ckks']['note'])}",
        ),
        (
            "Unlinkability and revocability",
            "Mated: a reference protected under key A against the same person's probe under key "
            "B; non-mated: the same with different people. D<->sys after Gomez-Barrero et al. "
            "(IEEE TIFS 2018), equal priors; 0 means unlinkable. "
            f"{_sentence(_linkage_line(result))} See the protocol above. Revoked: the old "
            "template (key A) against the person's new probe (key B) on the official genuine "
            "pairs, accepted at the EER threshold about as often as an impostor when revocation "
            "works.\n\n" + "\n".join(rows),
        ),
        (
            "Irreversibility",
            "".join(
                f"- {_sat_line(r, result.settings.sat_conflicts)}.\n"
                for r in irr.ndb_sat
                if r.templates
            )
            + f"- NDB, per-bit majority vote over the records ({irr.ndb_templates} templates): "
            f"{_percent(irr.ndb_bits_recovered, 1)} of the hidden bits recovered with the "
            f"balanced p={result.settings.ndb_params.p} (50 % = nothing learnt), "
            f"{_percent(irr.ndb_unbalanced_bits_recovered, 1)} with the unbalanced "
            f"p={protection.UNBALANCED_P}.\n"
            f"- IoM, pre-image by linear programming with the stolen seed (Ghammam et al. 2020), "
            f"{irr.iom_templates} references, {irr.iom_failures} failed: the recovered "
            f"descriptor is accepted against the person's other image in "
            f"{_percent(irr.iom_accepted_other_image, 0)} of the attacks (mean distance "
            f"{_number(irr.iom_distance_other_image)}) and against the enrolled reference in "
            f"{_percent(irr.iom_accepted_same_reference, 0)} (mean distance "
            f"{_number(irr.iom_distance_same_reference)}); threshold {result.threshold:.4f}. "
            f"The enrolled reference itself is accepted against the other image in "
            f"{_percent(irr.iom_baseline_accepted_other_image, 0)} of these pairs. "
            "IoM is irreversible only while the seed stays secret.\n"
            "- CKKS: the templates are ciphertexts; inverting them needs the decision service's "
            "secret key. No attack on the ciphertexts was tried.",
        ),
    ]
