"""Face enrollment, 1:1 verification and 1:N identification for the web platform and the API.

The only place Django code meets the engine and the protection schemes. Frames arrive as bytes,
are decoded and embedded in memory and dropped at the end of the call; the database receives
sealed protected templates and wrapped keys only.
"""

from __future__ import annotations

import functools
import ipaddress
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from peeka.accounts.models import RecoveryCode, TotpDevice, User
from peeka.api.models import ApiClient
from peeka.biometrics import calibration, default_engine, load_image
from peeka.biometrics.engine import distance
from peeka.errors import PeekaError
from peeka.faces import abuse
from peeka.faces.models import AuditEvent, FaceTemplate, UserKey
from peeka.protection.schemes import (
    SCHEMES,
    IomScheme,
    NdbScheme,
    ProtectionScheme,
    get_scheme,
    iom_codes,
    ndb_database,
)
from peeka.protection.vault import KeyVault, VaultError

CONSENT_VERSION = "1"
CONSENT_TEXT = (
    "Peeka will take about ten pictures of your face from the camera, turn the best of them "
    "into a protected template and throw the pictures away. No picture and no raw face "
    "measurement is stored. You can see, renew and delete your template at any time on the "
    '"My face data" page, and deleting your account deletes it.'
)
_KEPT_FRAMES = 5
"""Frames averaged into the reference (each costs two network passes)."""

Embedding = npt.NDArray[np.float32]


class EnrollmentError(PeekaError):
    """Too few usable frames; the message says what to change."""

    code = "enrollment_failed"


class DbSeedStore:
    """`SeedStore` over `UserKey` rows. A key is stored without its user and claimed by
    `_enroll_user` in the same transaction as the template."""

    def put(self, key_id: str, wrapped: bytes) -> None:
        UserKey.objects.create(key_id=key_id, wrapped=wrapped)

    def get(self, key_id: str) -> bytes | None:
        row = UserKey.objects.filter(key_id=key_id).values_list("wrapped", flat=True).first()
        return None if row is None else bytes(row)

    def delete(self, key_id: str) -> None:
        UserKey.objects.filter(key_id=key_id).delete()


_lock = threading.Lock()


@functools.cache
def vault() -> KeyVault:
    return KeyVault()


def scheme(name: str) -> ProtectionScheme:
    """The scheme `name`, made once per process (CKKS key loading takes seconds)."""
    with _lock:
        return _scheme(name)


@functools.cache
def _scheme(name: str) -> ProtectionScheme:
    return get_scheme(name, vault=vault(), seeds=DbSeedStore())


def scheme_names() -> list[str]:
    return sorted(SCHEMES)


@dataclass(frozen=True)
class Probe:
    embedding: Embedding | None
    reason: str
    """"ok", or the error code that made the frame unusable."""


def probe(frame: bytes) -> Probe:
    """The login descriptor of a frame, or why there is none (never raised: a bad frame is an
    ordinary failed attempt)."""
    try:
        image = load_image(frame)
        return Probe(default_engine().probe(image).embedding, "ok")
    except PeekaError as exc:
        return Probe(None, exc.code)


@dataclass(frozen=True)
class Enrollment:
    template: FaceTemplate
    frames_used: int
    frames_received: int


def enroll(
    user: User, frames: Sequence[bytes], scheme_name: str, *, min_frames: int | None = None
) -> Enrollment:
    """Enroll `user` from camera frames: keep the good frames that agree on one identity,
    average the best into a reference, protect it with `scheme_name`, and replace the user's
    earlier templates (revoking their keys) in one transaction. `min_frames` defaults to the
    camera setting; the API accepts single photos."""
    if scheme_name not in SCHEMES:
        raise EnrollmentError(
            f"Unknown protection scheme {scheme_name!r}; choose one of {', '.join(SCHEMES)}."
        )
    low = settings.PEEKA_ENROLL_MIN_FRAMES if min_frames is None else min_frames
    high = settings.PEEKA_ENROLL_MAX_FRAMES
    if not low <= len(frames) <= high:
        raise EnrollmentError(f"Send between {low} and {high} frames, not {len(frames)}.")
    images, embeddings, reasons = [], [], Counter[str]()
    for frame in frames:
        try:
            image = load_image(frame)
            embeddings.append(default_engine().probe(image).embedding)
            images.append(image)
        except PeekaError as exc:
            reasons[exc.code] += 1
    agreeing = _agreeing(embeddings)
    if len(agreeing) < low:
        raise EnrollmentError(_advice(reasons, len(embeddings) - len(agreeing), len(frames)))
    best = agreeing[:_KEPT_FRAMES]
    reference = default_engine().reference([images[i] for i in best]).embedding
    protection = scheme(scheme_name)
    with transaction.atomic():
        _lock_user(user)
        delete_templates(user)
        data = protection.enroll(reference)
        key_id = protection.describe(data).key_id
        UserKey.objects.filter(key_id=key_id.rsplit(".", 1)[-1]).update(user=user)
        template = FaceTemplate.objects.create(
            user=user,
            scheme=scheme_name,
            key_id=key_id,
            data=data,
            frames_used=len(best),
            consent_version=CONSENT_VERSION,
        )
    return Enrollment(template, len(best), len(frames))


def _lock_user(user: User) -> None:
    """Serialise template changes of one user (a row lock on PostgreSQL; SQLite serialises
    every write anyway), so that two enrollments racing cannot both keep a template."""
    User.objects.select_for_update().filter(pk=user.pk).first()


def delete_templates(user: User) -> int:
    """Delete every template of `user` and revoke their keys; the count deleted."""
    with transaction.atomic():
        _lock_user(user)
        count = FaceTemplate.objects.filter(user=user).count()
        UserKey.objects.filter(user=user).delete()
        FaceTemplate.objects.filter(user=user).delete()
    return count


def verify(user: User | None, frame: bytes) -> tuple[bool, str]:
    """(match, reason) for a claimed user and one frame. A missing user, a user without a
    template, a bad frame and a wrong face all return False; only the reason differs, for the
    audit log."""
    found = probe(frame)
    if found.embedding is None and user is not None and has_template(user):
        abuse.check(user)
        abuse.failed(user)
        return False, found.reason
    return match(user, found.embedding)


def match(user: User | None, embedding: Embedding | None) -> tuple[bool, str]:
    """(match, reason) for a claimed user and a descriptor already computed. Counts toward
    the account's face lockout; raises `abuse.ThrottledError` while it is locked."""
    if user is None:
        return False, "unknown_user"
    templates = list(FaceTemplate.objects.filter(user=user))
    if not templates:
        return False, "no_template"
    abuse.check(user)
    matched, reason = _compare(templates, embedding)
    (abuse.succeeded if matched else abuse.failed)(user)
    return matched, reason


def _compare(templates: list[FaceTemplate], embedding: Embedding | None) -> tuple[bool, str]:
    if embedding is None:
        return False, "no_face"
    for template in templates:
        try:
            if scheme(template.scheme).verify(bytes(template.data), embedding):
                return True, "ok"
        except (PeekaError, VaultError) as exc:
            return False, exc.code
    return False, "no_match"


def identify(frame: bytes, api_client: ApiClient | None = None) -> tuple[User | None, str]:
    """(the one enrolled user the frame matches, reason); None when nobody or several match.
    Web accounts when `api_client` is None, else that client's subjects only."""
    found = probe(frame)
    if found.embedding is None:
        return None, found.reason
    return identify_embedding(found.embedding, api_client)


def identify_embedding(
    embedding: Embedding, api_client: ApiClient | None = None
) -> tuple[User | None, str]:
    """`identify` for a descriptor already computed.

    Compares with every template 1:1 under each user's own key. That is what per-user keys
    allow; the encrypted 1:N gallery (`peeka.protection.gallery`) is for large deployments."""
    matches = set()
    candidates = FaceTemplate.objects.filter(
        user__is_active=True, user__api_client=api_client
    ).select_related("user")
    for template in candidates:
        try:
            if scheme(template.scheme).verify(bytes(template.data), embedding):
                matches.add(template.user)
        except (PeekaError, VaultError):
            continue
    if len(matches) == 1:
        return matches.pop(), "ok"
    return None, "no_match" if not matches else "ambiguous"


def has_template(user: User) -> bool:
    return FaceTemplate.objects.filter(user=user).exists()


def find_user(username: str) -> User | None:
    """An active web account (never an API client's subject)."""
    return User.objects.filter(username=username, is_active=True, api_client__isnull=True).first()


def audit(
    event: str,
    *,
    success: bool,
    reason: str = "",
    user: User | None = None,
    username: str = "",
    client: Client | None = None,
) -> None:
    AuditEvent.objects.create(
        event=event,
        success=success,
        reason=reason,
        user=user,
        username=username or (user.get_username() if user is not None else ""),
        ip=client.ip if client else None,
        user_agent=client.user_agent[:256] if client else "",
    )


def _agreeing(embeddings: list[Embedding]) -> list[int]:
    """Indices of the embeddings within the calibrated threshold of their medoid (the one
    closest to all others), closest first: frames of one person, without a passer-by."""
    if not embeddings:
        return []
    threshold = calibration.load(default_engine().model).threshold
    matrix = np.array([[distance(a, b) for b in embeddings] for a in embeddings])
    medoid = int(np.argmin(matrix.sum(axis=1)))
    order = np.argsort(matrix[medoid], kind="stable")
    return [int(i) for i in order if matrix[medoid, i] <= threshold]


_ADVICE = {
    "no_face": "No face was found in some pictures: look straight at the camera.",
    "multiple_faces": "Several faces were in view: make sure you are alone in the picture.",
    "face_too_small": "Your face was too small: move closer to the camera.",
    "blurry": "The pictures were blurry: hold still and clean the camera lens.",
    "too_dark": "The pictures were too dark: turn on a light in front of you.",
    "too_bright": "The pictures were too bright: move away from the bright light.",
    "face_pose": "Your head was turned or tilted: look straight at the camera.",
}


def _advice(reasons: Counter[str], disagreeing: int, total: int) -> str:
    if reasons:
        code = reasons.most_common(1)[0][0]
        what = _ADVICE.get(code, "Some pictures could not be used.")
    elif disagreeing:
        what = "The pictures did not all show the same person: make sure only you are in view."
    else:
        what = "Too few pictures could be used."
    usable = total - sum(reasons.values()) - disagreeing
    return f"Only {usable} of {total} pictures were usable. {what}"


@dataclass(frozen=True)
class Client:
    ip: str | None
    user_agent: str


def client(request: HttpRequest) -> Client:
    """The audit fields of a request: the client's address and user agent."""
    return Client(
        ip=client_ip(request) or None,
        user_agent=str(request.META.get("HTTP_USER_AGENT", "")),
    )


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind reverse proxies listed in PEEKA_TRUSTED_PROXIES, the
    address the nearest untrusted hop gave (read from the right of X-Forwarded-For, so a
    client cannot choose it by sending the header itself); else the peer's address."""
    peer = str(request.META.get("REMOTE_ADDR") or "")
    if not _trusted(peer):
        return peer
    hops = [h.strip() for h in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    address = peer
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # garbage from the client's side of the chain: keep the last good hop
        address = hop
        if not _trusted(hop):
            break
    return address


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _proxies(tuple(settings.PEEKA_TRUSTED_PROXIES)))


@functools.cache
def _proxies(configured: tuple[str, ...]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in configured]


@dataclass(frozen=True)
class TemplateView:
    """What the "My face data" page shows of one template."""

    scheme: str
    params: dict[str, object]
    key_id: str
    size: int
    sha256: str
    histogram: list[int]
    """IoM: how often each index 0..q-1 occurs among the codes."""
    records: list[str]
    """NDB: the first records, each the bits it specifies (a face is a string no record
    matches)."""


def template_view(template: FaceTemplate) -> TemplateView:
    protection = scheme(template.scheme)
    data = bytes(template.data)
    info = protection.describe(data)
    payload = protection.open(data, check_params=False).payload
    histogram: list[int] = []
    records: list[str] = []
    if isinstance(protection, IomScheme):
        codes = iom_codes(payload, protection.iom_params)
        histogram = np.bincount(codes, minlength=protection.iom_params.q).tolist()
    elif isinstance(protection, NdbScheme):
        database = ndb_database(payload, protection.ndb_params)
        for positions, values in zip(database.positions[:6], database.values[:6], strict=True):
            records.append(
                "  ".join(f"bit {p} = {int(v)}" for p, v in zip(positions, values, strict=True))
            )
    return TemplateView(
        scheme=info.scheme,
        params={k: v for k, v in info.params.items() if k != "center_sha256"},
        key_id=info.key_id,
        size=info.size,
        sha256=info.sha256,
        histogram=histogram,
        records=records,
    )


def prune_audit(days: int, now: datetime | None = None) -> int:
    """Delete audit events older than `days` days; how many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = AuditEvent.objects.filter(time__lt=cutoff).delete()
    return deleted


def personal_data(user: User) -> dict[str, object]:
    """Everything Peeka keeps about `user`, for the user to download. Templates appear as
    their metadata and fingerprint: they are protected, and no face can be read from them."""
    return {
        "account": {
            "username": user.get_username(),
            "display_name": user.display_name,
            "email": user.email,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
            "face_login_disabled": user.face_disabled,
        },
        "second_factors": {
            # That they exist, never the secret or the codes (those are wrapped or hashed).
            "authenticator_app": TotpDevice.objects.filter(user=user, confirmed=True).exists(),
            "recovery_codes_unused": RecoveryCode.objects.filter(
                user=user, used_at__isnull=True
            ).count(),
            "one_time_codes_disabled": user.otp_disabled,
        },
        "face_templates": [
            {
                "scheme": view.scheme,
                "params": view.params,
                "key_id": view.key_id,
                "size": view.size,
                "sha256": view.sha256,
                "created": template.created.isoformat(),
                "frames_used": template.frames_used,
                "consent_version": template.consent_version,
                "consented_at": template.created.isoformat(),
            }
            for template in FaceTemplate.objects.filter(user=user)
            for view in [template_view(template)]
        ],
        "audit_events": [
            {
                "time": event.time.isoformat(),
                "event": event.event,
                "success": event.success,
                "reason": event.reason,
                "ip": event.ip,
                "user_agent": event.user_agent,
            }
            for event in AuditEvent.objects.filter(user=user).order_by("time")
        ],
    }
