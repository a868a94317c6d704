"""Django settings for the test suite: the product's settings with every file Peeka writes
(SQLite database, secret key, key vault) under a fresh temporary folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Each test process (`make test` runs two) keeps every temporary file, its own and those of
# the Chromiums it starts, in a folder of its own: a test that looks for files the server
# wrote sees only its own process's.
tempfile.tempdir = os.environ["TMPDIR"] = tempfile.mkdtemp(prefix="peeka-run-")
_ROOT = tempfile.mkdtemp(prefix="peeka-tests-")
os.environ["PEEKA_DATA_DIR"] = _ROOT
os.environ["PEEKA_KEY_DIR"] = str(Path(_ROOT) / "keys")
os.environ.setdefault("PEEKA_SECRET_KEY", "tests-only-not-secret")

from peeka.web.settings import *  # noqa: E402, F403

# Argon2 at its real cost makes every login in the tests slow; hashing is not under test here.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Rate-limit windows: Redis when the suite runs with REDIS_URL (as the product would use it;
# keys are prefixed per run), else per process. tests/web/conftest.py empties them before
# every test.
if not os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    from peeka.web.settings import CACHES as _PRODUCT_CACHES

    CACHES = {"default": {**_PRODUCT_CACHES["default"], "KEY_PREFIX": Path(_ROOT).name}}

# No connection outlives a test: PostgreSQL cannot drop the test database while one is open.
from peeka.web.settings import DATABASES  # noqa: E402

DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, as in production: an in-memory database shared between threads locks whole
    # tables and ignores the busy timeout, which no deployment does.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(_ROOT) / "test.sqlite3")}
