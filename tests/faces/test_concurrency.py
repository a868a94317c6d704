"""Concurrent enrollments and deletions (threads, each with its own database connection) leave
every user with at most one template, every template with its key and no key without its
template, and exactly the users with a template in the gallery, one live slot each."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import User
from peeka.faces.models import FaceTemplate, GalleryBlock, GalleryEntry, UserKey
from peeka.faces.services.enrollment import enrollment_create, templates_delete_all
from tests.webapp import burst


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_racing_enrollments_and_deletions_leave_no_orphan_or_duplicate(
    frames: dict[str, bytes], settings: SettingsWrapper
) -> None:
    settings.PEEKA_FACE_ONLY_LOGIN = True  # web accounts are kept in the kiosk's gallery
    users = [User.objects.create_user(f"racer{i}", password="x") for i in range(2)]
    photos = burst(frames["obama"], 3)
    errors: list[str] = []

    def work(user: User, delete_every: int) -> None:
        try:
            for round_ in range(4):
                if round_ % delete_every == delete_every - 1:
                    templates_delete_all(user)
                else:
                    enrollment_create(user=user, frames=photos, scheme_name="iom")
        except Exception as exc:  # recorded, then asserted below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=(user, every)) for user in users for every in (2, 3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    for user in users:
        assert FaceTemplate.objects.filter(user=user).count() <= 1
    keys = set(UserKey.objects.values_list("key_id", flat=True))
    used = {key.rsplit(".", 1)[-1] for key in FaceTemplate.objects.values_list("key_id", flat=True)}
    assert keys == used  # every template has its key, and no key is left over
    enrolled = set(FaceTemplate.objects.values_list("user_id", flat=True))
    assert set(GalleryEntry.objects.values_list("user_id", flat=True)) == enrolled
    for block in GalleryBlock.objects.all():
        slots = list(block.entries.values_list("slot", flat=True))
        assert len(set(slots)) == len(slots) == block.live  # one live slot per member
