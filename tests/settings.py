"""Django settings for the test suite: the product's settings with every file Peeka writes
(SQLite database, secret key, key vault) under a fresh temporary folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_ROOT = tempfile.mkdtemp(prefix="peeka-tests-")
os.environ["PEEKA_DATA_DIR"] = _ROOT
os.environ["PEEKA_KEY_DIR"] = str(Path(_ROOT) / "keys")
os.environ.setdefault("PEEKA_SECRET_KEY", "tests-only-not-secret")

from peeka.web.settings import *  # noqa: E402, F403

# Argon2 at its real cost makes every login in the tests slow; hashing is not under test here.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Rate-limit windows per test process; tests/web/conftest.py empties it before every test.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
