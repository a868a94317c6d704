"""Writes of the API app: the subjects an API client enrolls live in its own namespace, as
users with no password that can never log in to the web pages."""

from __future__ import annotations

from collections.abc import Sequence

from peeka.accounts.models import User
from peeka.api.models import ApiClient
from peeka.errors import PeekaError
from peeka.faces import flows
from peeka.faces.services.enrollment import Enrollment
from peeka.security.client import ClientInfo


def subject_get(*, client: ApiClient, subject_id: str, create: bool = False) -> User | None:
    """Subject `subject_id` of `client`; made (without a password) when `create`."""
    subject = User.objects.filter(api_client=client, api_subject=subject_id).first()
    if subject is None and create:
        subject = User(
            username=f"{client.pk}/{subject_id}", api_client=client, api_subject=subject_id
        )
        subject.set_unusable_password()
        subject.save()
    return subject


def subject_enroll(
    *,
    client: ApiClient,
    subject_id: str,
    frames: Sequence[bytes],
    scheme: str,
    caller: ClientInfo,
) -> Enrollment:
    """Enroll (or re-enroll) subject `subject_id` of `client` through the enrollment flow. A
    subject made for an enrollment that fails is removed again; the audit row stays."""
    existing = subject_get(client=client, subject_id=subject_id)
    subject = existing or subject_get(client=client, subject_id=subject_id, create=True)
    assert subject is not None
    try:
        return flows.face_enroll(
            user=subject, frames=frames, scheme=scheme, client=caller, channel="api"
        ).enrollment
    except PeekaError:
        if existing is None:
            subject.delete()
        raise
