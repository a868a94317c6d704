"""Django system checks for what an operator can get wrong in Peeka's configuration.
Ids peeka.E001… (errors) and peeka.W001… (warnings); `apps.WebConfig.ready` registers them."""

from __future__ import annotations

import ipaddress
import os
import re
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from peeka.web.redact import without_password

# Group or other holding any access bit: read leaks keys, write lets a key be swapped. The
# vault refuses such files and folders (peeka.protection.vault), so say so before it does.
_PRIVATE_MASK = 0o077
# Paths named in one message; the rest are counted, so a wide-open vault stays readable.
_LISTED_PATHS = 5
# Short enough that `check` (and migrate, which runs it) does not hang on a dead server.
_REDIS_TIMEOUT_SECONDS = 1.0
# Schemes calibrated on a similarity score of their own, besides the distance every scheme
# and the login use (`ckks` uses that distance itself).
_SCORED_SCHEMES = ("iom", "ndb")


def check_key_vault(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """peeka.E001: the vault folder, or something in it, can be reached by other users.
    peeka.E002: the vault's location cannot be used. peeka.W005: the vault cannot be read."""
    # Imported here: these modules are not needed by commands that never run checks.
    from peeka.protection.vault import VaultError, default_key_dir

    try:
        directory = default_key_dir()
    except VaultError as exc:
        return [
            Error(
                f"The key vault location is unusable: {exc}.",
                hint="Set PEEKA_KEY_DIR to a folder only Peeka's user can reach, or unset it.",
                id="peeka.E002",
            )
        ]
    try:
        # Followed like the vault follows it: a symlinked vault folder is allowed.
        info = directory.stat()
    except FileNotFoundError:
        return []  # the vault creates it, mode 0700, on first use
    except OSError as exc:
        return [_unreadable_vault(directory, exc)]
    if not stat.S_ISDIR(info.st_mode):
        return [
            Error(
                f"The key vault path {directory} (PEEKA_KEY_DIR) is not a folder.",
                hint="Move that file away, or set PEEKA_KEY_DIR to another path.",
                id="peeka.E002",
            )
        ]
    exposed: list[tuple[Path, int]] = []
    if stat.S_IMODE(info.st_mode) & _PRIVATE_MASK:
        exposed.append((directory, stat.S_IMODE(info.st_mode)))
    errors: list[OSError] = []
    for folder, names in _tree(directory, errors):
        for name in names:
            path = folder / name
            try:
                entry = path.lstat()
            except FileNotFoundError:
                continue  # removed meanwhile (a temporary file renamed into place)
            except OSError as exc:
                errors.append(exc)
                continue
            # A symlink's own mode is always 0777 and means nothing; the vault does not follow
            # links to key files anyway.
            if not stat.S_ISLNK(entry.st_mode) and stat.S_IMODE(entry.st_mode) & _PRIVATE_MASK:
                exposed.append((path, stat.S_IMODE(entry.st_mode)))
    messages: list[CheckMessage] = []
    if exposed:
        listed = ", ".join(f"{path} (mode {mode:04o})" for path, mode in exposed[:_LISTED_PATHS])
        more = len(exposed) - _LISTED_PATHS
        if more > 0:
            listed += f" and {more} more"
        messages.append(
            Error(
                f"The key vault {directory} can be reached by other users: {listed}. Peeka "
                "refuses to use such a vault.",
                hint=f"Run `chmod -R go= {directory}` (folders 0700, files 0600, as Peeka makes "
                "them). If other users may have copied the keys meanwhile, start new ones with "
                "`peeka keys rotate`.",
                id="peeka.E001",
            )
        )
    if errors:
        messages.append(_unreadable_vault(directory, errors[0]))
    return messages


def _tree(directory: Path, errors: list[OSError]) -> Iterable[tuple[Path, list[str]]]:
    """Each folder under `directory` (links not followed) with the names of its entries."""
    for folder, dirnames, filenames in os.walk(directory, onerror=errors.append):
        yield Path(folder), [*dirnames, *filenames]


def _unreadable_vault(directory: Path, exc: OSError) -> CheckMessage:
    return Warning(
        f"The key vault {directory} could not be inspected: {exc}.",
        hint="Run the check as the user Peeka runs as; that user must own the vault.",
        id="peeka.W005",
    )


def check_https(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """peeka.W001, W002: an HTTPS option set while PEEKA_HTTPS is off, where it does nothing.
    peeka.W003: debug pages on a site served over HTTPS, that is, on a network."""
    https = bool(getattr(settings, "HTTPS", False))
    messages: list[CheckMessage] = []
    if not https and getattr(settings, "PEEKA_SSL_REDIRECT", False):
        messages.append(
            Warning(
                "PEEKA_SSL_REDIRECT is on but PEEKA_HTTPS is off, so nothing redirects to HTTPS.",
                hint="Behind an HTTPS proxy set PEEKA_HTTPS=1 (it redirects by default); "
                "otherwise unset PEEKA_SSL_REDIRECT.",
                id="peeka.W001",
            )
        )
    if not https and getattr(settings, "PEEKA_HSTS_PRELOAD", False):
        messages.append(
            Warning(
                "PEEKA_HSTS_PRELOAD is on but PEEKA_HTTPS is off, so no HSTS header is sent at "
                "all.",
                hint="Behind an HTTPS proxy set PEEKA_HTTPS=1 as well; otherwise unset "
                "PEEKA_HSTS_PRELOAD.",
                id="peeka.W002",
            )
        )
    if https and settings.DEBUG:
        messages.append(
            Warning(
                "PEEKA_DEBUG is on while PEEKA_HTTPS is on: error pages show settings, code and "
                "request data to anyone who reaches the site.",
                hint="Unset PEEKA_DEBUG (or set it to 0) on a deployment.",
                id="peeka.W003",
            )
        )
    return messages


def check_plain_http_hosts(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """peeka.W004 (deploy only): host names other than this machine's while PEEKA_HTTPS is
    off."""
    if getattr(settings, "HTTPS", False):
        return []
    remote = [host for host in settings.ALLOWED_HOSTS if not _is_loopback(host)]
    if not remote:
        return []
    return [
        Warning(
            f"ALLOWED_HOSTS lets Peeka answer as {', '.join(map(repr, remote))} but PEEKA_HTTPS "
            "is off: browsers give the camera only to HTTPS pages (or this machine's own), and "
            "session cookies would cross the network in clear.",
            hint="Put Peeka behind an HTTPS reverse proxy and set PEEKA_HTTPS=1 (README, "
            '"Web platform"); on a LAN, `peeka serve --https` serves HTTPS itself.',
            id="peeka.W004",
        )
    ]


def _is_loopback(host: str) -> bool:
    """Whether the ALLOWED_HOSTS entry `host` can only be this machine ("localhost",
    "*.localhost", 127.0.0.0/8, ::1)."""
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False  # another name, a ".domain" pattern or "*"


def check_calibration(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """peeka.E003: the embedding model, or a scheme over it, has no usable calibration (1:1
    and 1:N, for single and fused probes), so login, identification or enrollment with it
    would fail."""
    from peeka.biometrics import calibration
    from peeka.biometrics.embedders import model_name
    from peeka.errors import CalibrationError

    model = model_name(settings.PEEKA_EMBEDDER)
    hint = (
        f"Run `peeka calibrate --pairs FILE --images DIR` for model {model}; it writes "
        "$PEEKA_CALIBRATION, else the packaged file. Or point PEEKA_CALIBRATION at a file that "
        "has that model."
    )
    problems: list[str] = []
    for mode in calibration.MODES:
        try:
            calibration.load(model, mode=mode).identification()
        except CalibrationError as exc:
            problems.append(str(exc))
        for scheme in _SCORED_SCHEMES:
            try:
                scored = calibration.load_scheme(model, scheme, mode=mode)
            except CalibrationError as exc:
                problems.append(str(exc))
                continue
            # The ndb scheme binarises around the calibration faces' mean; without it, refuses.
            if mode == "single" and scheme == "ndb" and scored.center is None:
                problems.append(f"{calibration.default_path()}: the ndb entry has no center.")
    # A missing or unreadable file fails every lookup alike: say it once.
    return [
        Error(
            f"No usable calibration for embedding model {model!r}: {problem}",
            hint=hint,
            id="peeka.E003",
        )
        for problem in dict.fromkeys(problems)
    ]


def check_redis(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """peeka.E004: REDIS_URL is set but its server does not answer a PING."""
    url = getattr(settings, "REDIS_URL", None)
    if not url:
        return []  # no Redis configured: nothing to reach, and the check costs nothing
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    messages: list[CheckMessage] = []
    # Django's RedisCache takes several servers separated by "," or ";" (the first for writes).
    for server in (s.strip() for s in re.split("[;,]", url) if s.strip()):
        try:
            # No retries: redis-py retries a failed connection three times by default, which
            # would multiply the timeout.
            client = redis.Redis.from_url(
                server,
                socket_connect_timeout=_REDIS_TIMEOUT_SECONDS,
                socket_timeout=_REDIS_TIMEOUT_SECONDS,
                retry=Retry(NoBackoff(), 0),
            )
            try:
                client.ping()
            finally:
                client.close()
        except (redis.RedisError, OSError, ValueError) as exc:
            shown = without_password(server)
            messages.append(
                Error(
                    f"REDIS_URL {shown} does not answer: {exc}",
                    hint=f"Start Redis at {shown} or correct REDIS_URL; unset it to keep the "
                    "rate-limit windows in a folder under PEEKA_DATA_DIR (one machine only).",
                    id="peeka.E004",
                )
            )
    return messages
