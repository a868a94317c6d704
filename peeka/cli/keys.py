"""`peeka keys status|rotate`: what the key vault under PEEKA_KEY_DIR holds (ids, purposes,
dates; never key bytes), and rotation. Old keys stay readable until templates are renewed."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, cast

from peeka.cli.output import EXIT_OK, Subparsers, emit


def add_parsers(sub: Subparsers) -> None:
    p = sub.add_parser("keys", help="the key vault (PEEKA_KEY_DIR): status and rotation")
    keys_sub = p.add_subparsers(required=True, metavar="ACTION")
    actions = (
        ("status", "list the vault's keys", keys_status),
        ("rotate", "start new keys", keys_rotate),
    )
    for action, text, handler in actions:
        p = keys_sub.add_parser(action, help=text)
        p.add_argument("--json", action="store_true")
        p.add_argument(
            "--key-dir",
            type=Path,
            help="vault directory (default: $PEEKA_KEY_DIR or ~/.local/share/peeka/keys)",
        )
        p.set_defaults(handler=handler)
    p.add_argument(
        "--purpose",
        choices=["wrap", "mac", "ckks", "all"],
        default="all",
        help="wrap: per-user keys; mac: template integrity; ckks: the CKKS key pair",
    )


# The handlers import the vault (cryptography) and the CKKS keys (numpy, TenSEAL) when they run.


def keys_status(args: argparse.Namespace) -> int:
    from peeka.protection.schemes import ckks_key_ids
    from peeka.protection.vault import KeyVault

    vault = KeyVault(args.key_dir)
    keys = vault.status()
    payload: dict[str, Any] = {
        "directory": str(vault.directory),
        "keys": [
            {
                "id": k.id,
                "purpose": k.purpose,
                "status": k.status,
                "created": k.created.isoformat(),
                "retired": k.retired.isoformat() if k.retired else None,
            }
            for k in keys
        ],
    }
    ckks_ids, active = ckks_key_ids(vault)
    payload["ckks_keys"] = [
        {"id": k, "status": "active" if k == active else "retired"} for k in ckks_ids
    ]
    lines = [f"key vault: {vault.directory}"]
    if not keys and not ckks_ids:
        lines.append("no keys yet: each purpose gets its first key when it is first used")
    lines += [
        f"{k.id}  {k.purpose:<5} {k.status:<8} created {k.created:%Y-%m-%d %H:%M:%S}Z"
        + (f", retired {k.retired:%Y-%m-%d %H:%M:%S}Z" if k.retired else "")
        for k in keys
    ]
    lines += [f"{k}  ckks  {'active' if k == active else 'retired'}" for k in ckks_ids]
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def keys_rotate(args: argparse.Namespace) -> int:
    from peeka.protection.schemes import ckks_key_ids, rotate_ckks_key
    from peeka.protection.vault import PURPOSES, KeyVault, Purpose

    vault = KeyVault(args.key_dir)
    purposes = (*PURPOSES, "ckks") if args.purpose == "all" else (args.purpose,)
    before: dict[str, str] = {k.purpose: k.id for k in vault.status() if k.status == "active"}
    active_ckks = ckks_key_ids(vault)[1]
    if active_ckks:
        before["ckks"] = active_ckks
    rotated = {
        purpose: rotate_ckks_key(vault)
        if purpose == "ckks"
        else vault.rotate(cast(Purpose, purpose))
        for purpose in purposes
    }
    emit(
        args,
        {"directory": str(vault.directory), "active": rotated, "retired": before},
        "\n".join(
            f"{purpose}: new active key {key_id}"
            + (
                f"; {before[purpose]} is retired, still readable until templates are renewed"
                if purpose in before
                else " (the first for this purpose)"
            )
            for purpose, key_id in rotated.items()
        ),
    )
    return EXIT_OK
