"""The signature of an approval decision: HMAC-SHA256, under the deployment's secret key, over
the document as it was decided (form, drafter, title, content, version) and the decision itself
(step, approver, decision, comment, time, the face check's audit id). Recomputed when the
document is shown: a change to any of these after the decision breaks it visibly."""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.utils.crypto import salted_hmac

from peeka.workplace.approvals.models import Document, Step

_SALT = "peeka.workplace.approvals.signature"


def payload(document: Document, step: Step) -> bytes:
    return json.dumps(
        {
            "document": document.pk,
            "form": document.form_id,
            "drafter": document.drafter_id,
            "title": document.title,
            "content": document.content,
            "version": document.version,
            "step": step.order,
            "approver": step.approver_id,
            "decision": step.decision,
            "comment": step.comment,
            "decided_at": step.decided_at.isoformat() if step.decided_at else None,
            "face_check": step.face_check,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def sign(document: Document, step: Step, secret: str | None = None) -> str:
    return salted_hmac(
        _SALT, payload(document, step), secret=secret or settings.SECRET_KEY, algorithm="sha256"
    ).hexdigest()


def verify(document: Document, step: Step) -> bool:
    """Whether `step`'s signature matches the document as it is now (under the secret key or
    one of its fallbacks, so rotating the key does not break past signatures)."""
    if not step.signature or step.signed_version != document.version:
        return False
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(hmac.compare_digest(sign(document, step, s), step.signature) for s in secrets)
