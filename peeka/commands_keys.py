"""`peeka keys status|rotate`: what the key vault under PEEKA_KEY_DIR holds (ids, purposes,
dates; never key bytes), and rotation. Old keys stay readable until templates are renewed."""

from __future__ import annotations

import argparse
from typing import Any, cast

from peeka.cli import EXIT_OK, emit
from peeka.protection.vault import PURPOSES, KeyVault, Purpose


def keys_status(args: argparse.Namespace) -> int:
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
    lines = [f"key vault: {vault.directory}"]
    if not keys:
        lines.append("no keys yet: each purpose gets its first key when it is first used")
    lines += [
        f"{k.id}  {k.purpose:<5} {k.status:<8} created {k.created:%Y-%m-%d %H:%M:%S}Z"
        + (f", retired {k.retired:%Y-%m-%d %H:%M:%S}Z" if k.retired else "")
        for k in keys
    ]
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def keys_rotate(args: argparse.Namespace) -> int:
    vault = KeyVault(args.key_dir)
    purposes = PURPOSES if args.purpose == "all" else (args.purpose,)
    before = {k.purpose: k.id for k in vault.status() if k.status == "active"}
    rotated = {purpose: vault.rotate(cast(Purpose, purpose)) for purpose in purposes}
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
