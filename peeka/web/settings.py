"""Django settings for the Peeka web platform, all from the environment (see the README's table).

Development defaults need nothing set: a SQLite file and a generated secret key under
PEEKA_DATA_DIR, the key vault under PEEKA_KEY_DIR, DEBUG off unless PEEKA_DEBUG=1. Every
variable is read through the `env_*` helpers below, which refuse a value they cannot read
(ImproperlyConfigured) instead of guessing: a mistyped PEEKA_LIVENESS must not turn liveness off.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import zoneinfo
from collections.abc import Sequence
from pathlib import Path

import dj_database_url
import django_stubs_ext
import holidays
from django.core.exceptions import ImproperlyConfigured

from peeka.llm.base import LLMError
from peeka.llm.base import Settings as LLMSettings
from peeka.web.redact import without_password

# Lets classes such as forms.ModelForm[User] be subscripted at run time, as the stubs type them.
django_stubs_ext.monkeypatch()

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_INTEGER = re.compile(r"[+-]?[0-9]+")


def _raw(name: str) -> str | None:
    """The variable stripped of surrounding spaces; None when unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or None


def env_str(name: str, default: str | None = None) -> str | None:
    """The variable `name` as it is, or `default` when it is unset or empty."""
    value = os.environ.get(name)
    return value if value else default


def env_bool(name: str, default: bool) -> bool:
    """1/0, true/false, yes/no or on/off, any case; `default` when unset or empty."""
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={os.environ[name]!r} is not a yes/no value: use 1/0, true/false, yes/no or on/off"
    )


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """A whole number in [minimum, maximum]; `default` when unset or empty."""
    value = _raw(name)
    if value is None:
        return default
    # int() alone would also take "1_000" and non-ASCII digits; an operator means plain digits.
    if not _INTEGER.fullmatch(value):
        raise ImproperlyConfigured(
            f"{name}={os.environ[name]!r} is not a whole number: use digits, e.g. {default}"
        )
    number = int(value)
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(
            f"{name}={os.environ[name]!r} is too small: use a whole number of at least {minimum}"
        )
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(
            f"{name}={os.environ[name]!r} is too large: use a whole number of at most {maximum}"
        )
    return number


def env_choice(name: str, default: str, choices: Sequence[str]) -> str:
    """One of `choices` (any case; returned as spelled in `choices`); `default` when unset or
    empty."""
    value = _raw(name)
    if value is None:
        return default
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise ImproperlyConfigured(
        f"{name}={os.environ[name]!r} is not a known value: use {' or '.join(choices)}"
    )


def env_list(name: str, default: Sequence[str] = ()) -> list[str]:
    """Comma-separated values, each stripped, blanks dropped; `default` when none is left."""
    items = [item.strip() for item in os.environ.get(name, "").split(",")]
    return [item for item in items if item] or list(default)


def _env(name: str, default: str | None = None) -> str | None:
    """The variable `name`, or the contents of the file `name`_FILE names (Docker and systemd
    secrets), or `default`."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            contents = Path(path).read_text().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE={path!r} cannot be read ({exc}): point it at a readable file "
                f"holding {name}, or unset it"
            ) from None
        if not contents:
            # An empty secret file is a secret that was never filled in; falling back to the
            # default would, for DATABASE_URL, quietly switch to a local SQLite file.
            raise ImproperlyConfigured(
                f"{name}_FILE={path!r} is empty: write {name} into it, or unset {name}_FILE"
            )
        return contents
    return env_str(name, default)


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("PEEKA_DATA_DIR") or "~/.local/share/peeka").expanduser()
PEEKA_ATTACHMENTS_DIR = Path(
    env_str("PEEKA_ATTACHMENTS_DIR") or DATA_DIR / "attachments"
).expanduser()
"""Files attached to notice-board posts, outside the web root, under random names (0600)."""


def _secret_key() -> str:
    """PEEKA_SECRET_KEY(_FILE), else one generated on first run into a private file in
    DATA_DIR."""
    configured = _env("PEEKA_SECRET_KEY")
    if configured:
        return configured
    path = DATA_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("PEEKA_DEBUG", False)
ALLOWED_HOSTS = env_list("PEEKA_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("PEEKA_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "peeka.security",
    "peeka.accounts",
    "peeka.faces",
    "peeka.api",
    "peeka.workplace.org",
    "peeka.workplace.attendance",
    "peeka.workplace.approvals",
    "peeka.workplace.leave",
    "peeka.workplace.dashboards",
    "peeka.workplace.calendar",
    "peeka.workplace.messages",
    "peeka.workplace.notices",
    "peeka.wallet",
    "peeka.coach",
    "peeka.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "peeka.web.security.SecurityHeadersMiddleware",
    "peeka.web.errors.JsonErrorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "peeka.accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "peeka.accounts.middleware.StaffSecondFactorMiddleware",
    "peeka.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "peeka.web.urls"
WSGI_APPLICATION = "peeka.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Searched before the apps: Peeka's name and colours over Django admin's base_site.
        "DIRS": [BASE_DIR / "admin_templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "peeka.web.context.site",
            ],
        },
    },
]


def _database(url: str) -> dj_database_url.DBConfig:
    try:
        return dj_database_url.parse(url, conn_max_age=60)
    except ValueError as exc:  # an unknown scheme, or a URL that does not parse
        raise ImproperlyConfigured(
            f"DATABASE_URL={without_password(url)!r} is not a database URL ({exc}): use e.g. "
            "postgres://user:password@host/db or sqlite:////path/to/peeka.sqlite3"
        ) from None


DATABASES = {
    "default": _database(_env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'peeka.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several gunicorn workers write to one file: take the write lock when a transaction
    # starts (instead of upgrading a read lock, which fails at once when two race) and wait
    # up to 20 s for it.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rate-limit windows: Redis when REDIS_URL is set (shared by every server process), else a
# cache folder in PEEKA_DATA_DIR (shared by the processes of one machine). The URL may hold a
# password, so it may come from REDIS_URL_FILE too; checks.py pings it.
REDIS_URL = _env("REDIS_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache"),
        # Django's default of 300 entries, evicted at random, would reset rate windows and
        # the per-name password counters under load.
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

# Pages speak the user's saved language, else the one the switcher set (a cookie), else the
# browser's Accept-Language, else English; times show in the user's time zone, else the
# deployment's (PEEKA_TIME_ZONE). Catalogs: peeka/locale (README, "Languages").
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "한국어"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR.parent / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = env_str("PEEKA_TIME_ZONE") or "UTC"
if TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(
        f"PEEKA_TIME_ZONE={TIME_ZONE!r} is not a time zone name; use e.g. Asia/Seoul or UTC"
    )
PEEKA_HOLIDAY_COUNTRY = (env_str("PEEKA_HOLIDAY_COUNTRY") or "KR").strip().upper()
"""The country whose public holidays the calendar shows and attendance observes (ISO 3166)."""
if PEEKA_HOLIDAY_COUNTRY not in holidays.list_supported_countries():
    raise ImproperlyConfigured(
        f"PEEKA_HOLIDAY_COUNTRY={PEEKA_HOLIDAY_COUNTRY!r} is not a country the holidays package "
        "knows; use a two-letter ISO 3166 code such as KR, CN or US"
    )
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Only for `manage.py collectstatic` behind a reverse proxy that serves /static/ itself.
STATIC_ROOT = env_str("PEEKA_STATIC_ROOT")
# Served by WhiteNoise straight from the apps' static folders: nothing to collect, no CDN.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Behind an HTTPS reverse proxy (README): secure cookies, HSTS and the proxy's scheme header.
HTTPS = env_bool("PEEKA_HTTPS", False)
# Both are read (so a mistyped value stops startup) even when HTTPS is off, where they do
# nothing; checks.py then warns about a true one. PEEKA_SSL_REDIRECT defaults to on with HTTPS,
# so without HTTPS a true value means the operator asked for it.
PEEKA_SSL_REDIRECT = env_bool("PEEKA_SSL_REDIRECT", HTTPS)
PEEKA_HSTS_PRELOAD = env_bool("PEEKA_HSTS_PRELOAD", False)
if HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = PEEKA_SSL_REDIRECT
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = PEEKA_HSTS_PRELOAD
    if not SECURE_HSTS_PRELOAD:
        # The preload directive invites anyone to submit the domain (and, with subdomains, its
        # siblings) to the browsers' built-in list, which is slow to undo. An operator opts in.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Uploaded frames stay in memory: nothing of a face is ever written to a temporary file.
FILE_UPLOAD_HANDLERS = ["peeka.web.uploads.InMemoryUploads"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 40 * 1024 * 1024
PEEKA_MAX_REQUEST_BYTES = 40 * 1024 * 1024
"""A whole request, files included (frames of a liveness answer add up)."""
DATA_UPLOAD_MAX_NUMBER_FILES = 100
"""A liveness answer sends up to 90 frames."""

PEEKA_REGISTRATION = env_choice("PEEKA_REGISTRATION", "open", ("open", "admin"))
""""open": anyone may register; "admin": only administrators create accounts."""
# E-mail: off unless PEEKA_EMAIL_HOST names an SMTP server. With it, "Forgot your password?"
# mails a reset link; without it, that page asks the user to see an administrator, who sets a
# temporary password in the admin.
EMAIL_HOST = env_str("PEEKA_EMAIL_HOST") or ""
PEEKA_EMAIL_ENABLED = bool(EMAIL_HOST)
"""Self-service password reset by e-mail (PEEKA_EMAIL_HOST is set)."""
EMAIL_PORT = env_int("PEEKA_EMAIL_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("PEEKA_EMAIL_USER") or ""
EMAIL_HOST_PASSWORD = _env("PEEKA_EMAIL_PASSWORD") or ""
_EMAIL_SECURITY = env_choice("PEEKA_EMAIL_SECURITY", "starttls", ("starttls", "tls", "none"))
EMAIL_USE_TLS = _EMAIL_SECURITY == "starttls"
EMAIL_USE_SSL = _EMAIL_SECURITY == "tls"
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("PEEKA_EMAIL_FROM") or "Peeka <peeka@localhost>"
PASSWORD_RESET_TIMEOUT = 3600
"""A reset link works for an hour (Django's default is three days)."""

PEEKA_FACE_ONLY_LOGIN = env_bool("PEEKA_FACE_ONLY_LOGIN", False)
"""Allow face login without a username (1:N), for kiosks."""
# The names of peeka.protection.schemes.SCHEMES, spelled out: importing it here would load the
# CKKS and numpy machinery into every process that only reads settings.
PEEKA_SCHEME = env_choice("PEEKA_SCHEME", "ckks", ("ckks", "iom", "ndb"))
PEEKA_EMBEDDER = env_choice(
    "PEEKA_EMBEDDER",
    "sface",
    ("sface", "dlib", "sface_2021dec_int8bq", "dlib_resnet_v1"),
)
"""The face model new templates are enrolled with (the engine reads the same variable);
templates keep the model they were made with, and probes are embedded with it."""
"""Protection scheme offered first at enrollment."""
PEEKA_STEP_UP_SECONDS = 300
"""How long a step-up (a fresh face check, or password and code) allows sensitive actions."""
PEEKA_LOGIN_STEP_SECONDS = 300
"""How long a login may wait between its first and its second factor."""
PEEKA_TRUSTED_PROXIES = env_list("PEEKA_TRUSTED_PROXIES")
"""Addresses or networks of the reverse proxies in front of Peeka (e.g. 127.0.0.1): the
client address for rate limits and the audit log is then read from X-Forwarded-For."""
for _proxy in PEEKA_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(
            f"PEEKA_TRUSTED_PROXIES={os.environ['PEEKA_TRUSTED_PROXIES']!r}: {_exc}; use "
            "comma-separated addresses or networks, e.g. 127.0.0.1,10.0.0.0/8"
        ) from None
PEEKA_ENROLL_MIN_FRAMES = 3
PEEKA_ENROLL_MAX_FRAMES = 12
PEEKA_LOGIN_MAX_FRAMES = 10
"""Frames one face-login page may send."""
PEEKA_RATE_LIMITS = {
    "face": 60,
    "framing": 120,
    "password": 30,
    "api": env_int("PEEKA_API_RATE_LIMIT", 240, minimum=1),
    "challenge": 12,
    "challenge_key": 120,
    "challenge_user": 6,
    "presence": 12,
    "transcribe": 20,
    "kiosk_pin": 30,
    "kiosk_setup": 10,
    "wallet_topup": 10,
    "wallet_scan": 300,
    "wallet_token": 240,
}
"""Requests per minute: face requests (every step of a challenge is one), framing hints (the
camera page asks at most every 0.7 s before it records) and password logins per client IP,
API calls per API key; liveness challenges started per client IP, per API key or kiosk device
and per claimed name (which also counts each toward the account's face lockout); passive
presence checks (`face_presence`: an interview's, every 30 s) per user; spoken answers written
down by the LLM server (a mock interview's `transcribe`) per user; PIN punches per kiosk
device, and tries of a kiosk's device key per client IP; card top-ups per user, QR
scan frames per client IP and wallet API calls per personal access token."""
PEEKA_AUDIT_RETENTION_DAYS = env_int("PEEKA_AUDIT_RETENTION_DAYS", 365, minimum=1)
"""Audit events older than this are deleted by `peeka audit prune` (run at every start)."""
PEEKA_LIVENESS = env_bool("PEEKA_LIVENESS", True)
"""Face login and enrollment need a passed challenge-response liveness check."""
PEEKA_LIVENESS_TTL = 60
"""Seconds a liveness challenge stays valid."""
PEEKA_LIVENESS_POLICY: dict[str, object] = {}
"""Overrides of `peeka.biometrics.challenge.ChallengePolicy` fields (hold_frames, max_gap_ms,
identity_thresholds, ...); the defaults are the measured ones documented there."""
if env_str("PEEKA_LIVENESS_FIXED_STEPS"):
    # Fixed steps make a challenge predictable, so a recording could be prepared for it.
    raise ImproperlyConfigured(
        "PEEKA_LIVENESS_FIXED_STEPS is a test-only setting; a deployment draws steps at random"
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # One line per LLM call: provider, model, prompt version, tokens, latency; never the text.
    "loggers": {"peeka.llm": {"level": "INFO"}},
}

# The wallet (peeka.wallet): amounts in minor units (won; fen; cents), per currency.
PEEKA_WALLET_CURRENCY = env_choice("PEEKA_WALLET_CURRENCY", "KRW", ("KRW", "CNY", "USD"))
"""The currency of a wallet opened on the web (an operator's top-up may open it in another)."""
PEEKA_WALLET_REQUEST_SECONDS = 300
"""How long a receive QR can be paid: a screenshot of it is refused afterwards."""
PEEKA_WALLET_HOLD_SECONDS = 180
"""How long a payment's hold waits for the payer's face check before it is voided."""
PEEKA_WALLET_PIN_AMOUNT = {"KRW": 300_000, "CNY": 200_000, "USD": 30_000}
"""From this amount (₩300,000, ¥2,000.00, $300.00) a payment also asks for the wallet PIN."""
PEEKA_WALLET_PIN_HOURLY = 5
"""After this many payments in an hour, the next ones ask for the PIN too."""
PEEKA_WALLET_TOPUP_MAX = {"KRW": 2_000_000, "CNY": 1_000_000, "USD": 200_000}
"""The most one card top-up may add (₩2,000,000, ¥10,000.00, $2,000.00)."""
PEEKA_WALLET_TOPUP_DAILY = {"KRW": 5_000_000, "CNY": 3_000_000, "USD": 500_000}
"""The most card top-ups may add to one wallet in 24 hours."""
PEEKA_WALLET_CARD_PROVIDER = "peeka.wallet.cards:TestCardProvider"
"""Who charges a card for a top-up: the demo test card (peeka/wallet/cards.py says how to plug
in a real payment provider)."""

# The interview coach's LLM (peeka.llm): PEEKA_LLM_BASE_URL names an OpenAI-compatible server
# (Ollama, llama.cpp server, vLLM, LM Studio or a hosted service) with PEEKA_LLM_MODEL,
# PEEKA_LLM_API_KEY(_FILE), PEEKA_LLM_TIMEOUT, PEEKA_LLM_MAX_TOKENS, and PEEKA_LLM_TRANSCRIBE_MODEL
# for spoken answers where the server transcribes; without it the offline provider answers (a
# question bank and rubric feedback; no model at all).
try:
    PEEKA_LLM = LLMSettings.from_env()
except LLMError as _exc:
    raise ImproperlyConfigured(_exc.message) from None

# The interview coach (peeka.coach).
PEEKA_COACH_CHECK_SECONDS = env_int("PEEKA_COACH_CHECK_SECONDS", 30, minimum=5)
"""How often a mock interview checks who is answering (a few camera frames matched to the
account holder's face); a gap of more than twice this between two checks, or between the last
one and the end, leaves the practice unverified."""
