"""`peeka serve|migrate`, `peeka user create`, `peeka audit prune`, `peeka apikey create`,
`peeka templates status`: the web platform from the command line, set up from the environment
(README, "Configuration")."""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
import resource
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from peeka.cli.output import EXIT_ERROR, EXIT_OK, Subparsers, at_least, emit

SETTINGS = "peeka.web.settings"


def add_parsers(sub: Subparsers) -> None:
    p = sub.add_parser(
        "serve", help="apply migrations and serve the web platform (gunicorn behind a front)"
    )
    p.add_argument("--port", type=at_least(1), default=8000)
    p.add_argument("--host", help="address to bind (default 127.0.0.1; 0.0.0.0 with --https)")
    p.add_argument("--workers", type=at_least(1), default=2, help="processes (default 2)")
    p.add_argument(
        "--https", action="store_true", help="serve TLS with a self-signed certificate (LAN use)"
    )
    p.set_defaults(handler=serve)

    p = sub.add_parser("migrate", help="apply pending database migrations")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=migrate)

    p = sub.add_parser("user", help="manage web accounts")
    user_sub = p.add_subparsers(required=True, metavar="ACTION")
    p = user_sub.add_parser("create", help="create an account; the password comes on stdin")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.add_argument("--admin", action="store_true", help="make the account an administrator")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=user_create)

    p = user_sub.add_parser(
        "enroll",
        help="enroll an account's face from photos you hold (the photos are not kept)",
    )
    p.add_argument("name")
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    p.add_argument("--scheme", help="protection scheme (default: PEEKA_SCHEME)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=user_enroll)

    p = sub.add_parser("audit", help="the audit log")
    audit_sub = p.add_subparsers(required=True, metavar="ACTION")
    p = audit_sub.add_parser("prune", help="delete events older than the retention period")
    p.add_argument("--days", type=at_least(1), help="default: PEEKA_AUDIT_RETENTION_DAYS (365)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=audit_prune)

    p = sub.add_parser("apikey", help="API keys for client apps")
    key_sub = p.add_subparsers(required=True, metavar="ACTION")
    p = key_sub.add_parser("create", help="create a client and print its key once")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=apikey_create)

    p = sub.add_parser("templates", help="the stored face templates")
    templates_sub = p.add_subparsers(required=True, metavar="ACTION")
    p = templates_sub.add_parser(
        "status", help="templates per face model and scheme; which must be renewed"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=templates_status)


# The handlers set up Django (and import gunicorn, cryptography) only when they run.


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django

    django.setup()


def migrate(args: argparse.Namespace) -> int:
    setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1 if not args.json else 0)
    emit(args, {"migrated": True}, "database is up to date")
    return EXIT_OK


def ensure_admin() -> str | None:
    """Create the `admin` superuser when no superuser exists. Its password is
    PEEKA_ADMIN_PASSWORD, or a random one that is returned so it can be printed once."""
    from django.contrib.auth import get_user_model

    users = get_user_model()
    if users.objects.filter(is_superuser=True).exists():
        return None
    configured = _admin_password()
    password = configured or secrets.token_urlsafe(12)
    users.objects.create_superuser("admin", password=password)
    return None if configured else password


def _admin_password() -> str | None:
    path = os.environ.get("PEEKA_ADMIN_PASSWORD_FILE")
    if path:
        return Path(path).read_text().strip() or None
    return os.environ.get("PEEKA_ADMIN_PASSWORD") or None


def https_environment(environ: Mapping[str, str], lan_names: list[str]) -> dict[str, str]:
    """What `serve --https` adds to the environment: this machine's LAN names as allowed hosts,
    and PEEKA_HTTPS=1 (secure cookies, HSTS), as behind an HTTPS proxy. The front terminates
    TLS itself, so there is no plain-HTTP request to redirect."""
    existing = environ.get("PEEKA_ALLOWED_HOSTS", "127.0.0.1,localhost")
    return {
        "PEEKA_ALLOWED_HOSTS": ",".join([existing, *lan_names]),
        "PEEKA_HTTPS": "1",
        "PEEKA_SSL_REDIRECT": "0",
    }


def serve(args: argparse.Namespace) -> int:
    if args.https:
        os.environ.update(https_environment(os.environ, _lan_names()))
    setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    try:
        # Misconfiguration (key folder permissions, HTTPS settings, a missing calibration, an
        # unreachable Redis) stops the start with the checks' own messages and hints.
        call_command("check")
    except SystemCheckError as exc:
        print(exc, file=sys.stderr)
        return EXIT_ERROR
    call_command("migrate", interactive=False, verbosity=0)
    from peeka.security.services import audit_prune

    audit_prune(days=settings.PEEKA_AUDIT_RETENTION_DAYS)
    password = ensure_admin()
    if password:
        print(f"Created the admin account: user admin, password {password} (shown only once)")
        print(
            "Log in as admin and set up a second factor (your face or an authenticator app) "
            "at /accounts/security/ before the admin opens."
        )
    host = args.host or ("0.0.0.0" if args.https else "127.0.0.1")
    tls = None
    if args.https:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(*_self_signed(Path(settings.DATA_DIR) / "tls"))
    from peeka.web.front import Front, FrontConfig, run

    config = FrontConfig(
        max_body_bytes=settings.PEEKA_MAX_REQUEST_BYTES,
        trusted_proxies=tuple(settings.PEEKA_TRUSTED_PROXIES),
        tls=tls,
    )
    _raise_open_files_limit()
    # Gunicorn's sync workers listen on a socket only this user can reach; the front, in this
    # process, reads each request whole and hands it over (peeka/web/front.py says why).
    private = Path(tempfile.mkdtemp(prefix="peeka-"))
    backend = private / "workers.sock"
    workers = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "peeka.web.wsgi:application",
         "--bind", f"unix:{backend}", "--proxy-protocol", "v1",
         "--workers", str(args.workers), "--timeout", "120", "--access-logfile", "-",
         "--no-control-socket"],
    )  # fmt: skip
    try:
        if not _wait_for_socket(backend, workers):
            print("The workers did not start; see the messages above.", file=sys.stderr)
            return EXIT_ERROR
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        scheme = "https" if tls else "http"
        url = f"{scheme}://{shown}:{args.port}/"
        try:
            run(
                Front(str(backend), config),
                host,
                args.port,
                keep_going=lambda: workers.poll() is None,
                ready=lambda: print(f"Peeka is serving at {url} (Ctrl+C stops it)", flush=True),
            )
        except OSError as exc:  # the port is taken, or the address is not this machine's
            print(f"peeka: cannot listen on {host}:{args.port}: {exc.strerror or exc}",
                  file=sys.stderr)  # fmt: skip
            return EXIT_ERROR
    finally:
        if workers.poll() is None:
            workers.terminate()
        workers.wait(timeout=60)
        shutil.rmtree(private, ignore_errors=True)
    return EXIT_OK if workers.returncode in (0, -signal.SIGTERM) else EXIT_ERROR


def _wait_for_socket(path: Path, workers: subprocess.Popen[bytes], seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and workers.poll() is None:
        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(str(path))
                return True
            except OSError:
                time.sleep(0.1)
    return False


def _raise_open_files_limit() -> None:
    """Two descriptors per relayed request: let the front hold its 1,000 connections."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4096 if hard == resource.RLIM_INFINITY else min(4096, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def user_create(args: argparse.Namespace) -> int:
    setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    if not args.password_stdin:
        print("peeka: pass the password on standard input with --password-stdin", file=sys.stderr)
        return EXIT_ERROR
    password = sys.stdin.readline().rstrip("\n")
    users = get_user_model()
    user = users(username=args.name)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        print(f"peeka: {' '.join(exc.messages)} [password_invalid]", file=sys.stderr)
        return EXIT_ERROR
    if users.objects.filter(username=args.name).exists():
        print(f"peeka: user {args.name!r} already exists [user_exists]", file=sys.stderr)
        return EXIT_ERROR
    user.set_password(password)
    user.is_staff = user.is_superuser = args.admin
    user.save()
    emit(args, {"user": args.name, "admin": args.admin}, f"created user {args.name}")
    return EXIT_OK


def user_enroll(args: argparse.Namespace) -> int:
    """Enroll (or re-enroll) account NAME from photos an administrator holds: each is read in
    memory, the usable ones (one is enough) make a protected template, and nothing of the
    photos is stored. Audited as "admin_enroll" from this machine."""
    setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from peeka.errors import PeekaError
    from peeka.faces import flows
    from peeka.security.client import ClientInfo

    user = get_user_model().objects.filter(username=args.name).first()
    if user is None:
        print(f"peeka: no user {args.name!r} [user_not_found]", file=sys.stderr)
        return EXIT_ERROR
    photos = []
    for path in args.images:
        try:
            photos.append(path.read_bytes())
        except OSError as exc:
            print(f"peeka: cannot read {path}: {exc.strerror} [image_unreadable]", file=sys.stderr)
            return EXIT_ERROR
    try:
        enrolled = flows.face_enroll(
            user=user,
            frames=photos,
            scheme=args.scheme or settings.PEEKA_SCHEME,
            client=ClientInfo(ip=None, user_agent="peeka user enroll"),
            channel="admin",
        )
    except PeekaError as exc:
        print(f"peeka: {exc.message} [{exc.code}]", file=sys.stderr)
        return EXIT_ERROR
    result = enrolled.enrollment
    emit(
        args,
        {
            "user": args.name,
            "scheme": result.template.scheme,
            "photos_used": result.frames_used,
            "photos": result.frames_received,
        },
        f"enrolled {args.name}: {result.frames_used} of {result.frames_received} photos used, "
        f"{result.template.scheme} template",
    )
    return EXIT_OK


def audit_prune(args: argparse.Namespace) -> int:
    setup()
    from django.conf import settings

    from peeka.security.services import audit_prune as prune

    days = args.days if args.days is not None else settings.PEEKA_AUDIT_RETENTION_DAYS
    deleted = prune(days=days)
    emit(
        args,
        {"deleted": deleted, "days": days},
        f"deleted {deleted} audit events older than {days} days",
    )
    return EXIT_OK


def apikey_create(args: argparse.Namespace) -> int:
    setup()
    from peeka.api.models import ApiClient

    if ApiClient.objects.filter(name=args.name).exists():
        print(f"peeka: an API client named {args.name!r} exists [client_exists]", file=sys.stderr)
        return EXIT_ERROR
    client, key = ApiClient.create(args.name)
    emit(
        args,
        {"name": client.name, "key": key},
        f"API key for {client.name} (shown only once; send it as X-API-Key):\n{key}",
    )
    return EXIT_OK


def templates_status(args: argparse.Namespace) -> int:
    setup()
    from peeka.faces.selectors import templates_status as status
    from peeka.faces.services.protection import enrollment_model

    rows = status()
    renew = sum(r.templates for r in rows if not r.current)
    payload = {
        "model": enrollment_model(),
        "templates": [r.__dict__ for r in rows],
        "total": sum(r.templates for r in rows),
        "must_renew": renew,
    }
    lines = [f"new enrollments use {payload['model']}"]
    lines += [
        f"{r.model:<24}{r.scheme:<6}{r.templates:>8}  {'current' if r.current else 'renew'}"
        for r in rows
    ]
    lines.append(f"{payload['total']} templates, {renew} on an older model (asked to renew)")
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def _lan_names() -> list[str]:
    names = [socket.gethostname()]
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent; this picks the LAN address
            names.append(probe.getsockname()[0])
    except OSError:
        pass
    return names


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for this machine's names, made once, key file 0600."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    names = ["localhost", "127.0.0.1", *_lan_names()]
    alternative: list[x509.GeneralName] = []
    for name in dict.fromkeys(names):
        try:
            alternative.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternative.append(x509.DNSName(name))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Peeka (self-signed)")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .sign(key, hashes.SHA256())
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
