"""The process's handle on the key vault (files under PEEKA_KEY_DIR, outside the database):
template keys, the TOTP secrets' wrapping key and the CKKS key pairs all come from it."""

from __future__ import annotations

import functools

from peeka.protection.vault import KeyVault


@functools.cache
def vault() -> KeyVault:
    return KeyVault()
