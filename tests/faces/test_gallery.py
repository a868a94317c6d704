"""Kiosk 1:N through the encrypted gallery, on real photos: identify searches the sealed CKKS
blocks and confirms the one candidate 1:1; enrollment, deletion and re-enrollment change the
user's slot with the template; blocks are sealed to their place; another process's change is
picked up by its stamp; a database from before the gallery keeps identifying and fills it."""

from __future__ import annotations

import numpy as np
import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import User
from peeka.api.models import ApiClient
from peeka.faces.models import FaceTemplate, GalleryBlock, GalleryEntry
from peeka.faces.services import gallery, matching
from peeka.faces.services.enrollment import enrollment_create, templates_delete_all
from peeka.faces.services.matching import Probe, face_identify
from peeka.faces.services.protection import enrollment_model
from peeka.protection.schemes import rotate_ckks_key
from peeka.security.vault import vault
from tests.webapp import burst


@pytest.fixture(autouse=True)
def kiosk(settings: SettingsWrapper) -> None:
    """Web accounts are identified (and so kept in a gallery) only on a kiosk."""
    settings.PEEKA_FACE_ONLY_LOGIN = True


def enrolled(user: User, photo: bytes, scheme: str = "iom") -> None:
    enrollment_create(user=user, frames=burst(photo), scheme_name=scheme)


def identify(photo: bytes, api_client_id: int | None = None) -> tuple[User | None, str]:
    return face_identify(probe=Probe.from_frame(photo), api_client_id=api_client_id)


def candidates(photo: bytes, api_client_id: int | None = None) -> list[int]:
    model = enrollment_model()
    embedding = Probe.from_frame(photo).embedding(model)
    assert embedding is not None
    search = gallery.gallery_search(embedding=embedding, model=model, api_client_id=api_client_id)
    assert search.unusable == []
    return search.candidates


@pytest.fixture
def two_enrolled(alice: User, bob: User, frames: dict[str, bytes]) -> tuple[User, User]:
    enrolled(alice, frames["obama"], "ckks")
    enrolled(bob, frames["biden"], "iom")
    return alice, bob


def test_identify_finds_the_one_candidate_through_the_encrypted_gallery(
    two_enrolled: tuple[User, User], frames: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = two_enrolled
    block = GalleryBlock.objects.get()
    assert (block.gallery.name, block.gallery.model) == ("web", enrollment_model())
    assert (block.live, block.free) == (2, 4094)
    assert bytes(block.data).startswith(b"PKT1")  # sealed with the vault's MAC key
    assert sorted(GalleryEntry.objects.values_list("user_id", "slot")) == [
        (alice.pk, 0),
        (bob.pk, 1),
    ]
    # The encrypted search alone names the right person for a picture not enrolled...
    assert candidates(frames["obama2"]) == [alice.pk]
    assert candidates(frames["biden"]) == [bob.pk]
    assert candidates(frames["obama3"]) == [alice.pk]
    # ...and identify confirms it 1:1 against that user's own template only.
    compared: list[int] = []
    compare = matching._compare

    def counted(template: FaceTemplate, probe: Probe) -> tuple[bool, str]:
        compared.append(template.user_id)
        return compare(template, probe)

    monkeypatch.setattr(matching, "_compare", counted)
    assert identify(frames["obama2"]) == (alice, "ok") and compared == [alice.pk]
    assert identify(frames["biden"]) == (bob, "ok") and compared == [alice.pk, bob.pk]


def test_nobody_in_the_gallery_is_no_match(alice: User, frames: dict[str, bytes]) -> None:
    enrolled(alice, frames["obama"])
    assert candidates(frames["biden"]) == []
    assert identify(frames["biden"]) == (None, "no_match")


def test_deletion_and_re_enrollment_move_the_slot_with_the_template(
    two_enrolled: tuple[User, User], frames: dict[str, bytes]
) -> None:
    alice, bob = two_enrolled
    templates_delete_all(alice)
    block = GalleryBlock.objects.get()
    assert (block.live, block.free) == (1, 4094)  # slot 0 flooded, never reused
    assert not GalleryEntry.objects.filter(user=alice).exists()
    assert candidates(frames["obama2"]) == [] and identify(frames["obama2"])[0] is None
    enrolled(alice, frames["obama2"])
    assert GalleryEntry.objects.get(user=alice).slot == 2
    assert identify(frames["obama3"]) == (alice, "ok")
    enrolled(alice, frames["obama3"])  # re-enrolling replaces the slot, as the template
    assert GalleryEntry.objects.filter(user=alice).get().slot == 3
    assert GalleryBlock.objects.get().live == 2
    bob.delete()  # any deletion path empties the slot first
    assert GalleryBlock.objects.get().live == 1
    assert candidates(frames["biden"]) == []


def test_another_processes_change_is_read_by_its_stamp(
    alice: User, bob: User, frames: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    enrolled(alice, frames["obama"])
    assert candidates(frames["obama2"]) == [alice.pk]  # this process has the block now
    ours = gallery._cache
    # Bob enrolls in another process: it has its own copies, and this one's are left as were.
    monkeypatch.setattr(gallery, "_cache", gallery._Blocks())
    enrolled(bob, frames["biden"])
    monkeypatch.setattr(gallery, "_cache", ours)
    stamp = GalleryBlock.objects.get().stamp
    assert ours.current(GalleryBlock.objects.get().pk, stamp) is None  # stale here
    assert candidates(frames["biden"]) == [bob.pk]
    assert ours.current(GalleryBlock.objects.get().pk, stamp) is not None


def test_a_tampered_or_moved_block_is_not_searched_and_its_users_are_compared_1_to_1(
    two_enrolled: tuple[User, User], frames: dict[str, bytes]
) -> None:
    alice, bob = two_enrolled
    row = GalleryBlock.objects.get()
    data = bytearray(row.data)
    data[len(data) // 2] ^= 1
    GalleryBlock.objects.filter(pk=row.pk).update(data=bytes(data), stamp="tampered")
    model = enrollment_model()
    embedding = Probe.from_frame(frames["obama2"]).embedding(model)
    assert embedding is not None
    search = gallery.gallery_search(embedding=embedding, model=model, api_client_id=None)
    assert search == gallery.Search([], [row.pk])
    # Nobody is added to it: the next enrollment starts a new block.
    carol = User.objects.create_user("carol")
    enrolled(carol, frames["biden"])
    assert GalleryEntry.objects.get(user=carol).block.index == 1
    assert GalleryBlock.objects.get(pk=row.pk).free == 0
    # Its users are compared 1:1; one found moves to a block that can be searched, and the
    # block nobody can open is dropped (bob will rejoin at his next match).
    assert identify(frames["obama2"]) == (alice, "ok")
    assert not GalleryBlock.objects.filter(pk=row.pk).exists()
    assert GalleryEntry.objects.get(user=alice).block.index == 1
    assert not GalleryEntry.objects.filter(user=bob).exists()
    assert candidates(frames["obama3"]) == [alice.pk]
    # A block sealed for one place does not open in another (index 1 -> 0).
    moved = GalleryBlock.objects.get()
    GalleryBlock.objects.filter(pk=moved.pk).update(index=0, stamp="moved")
    search = gallery.gallery_search(embedding=embedding, model=model, api_client_id=None)
    assert search == gallery.Search([], [moved.pk])


def test_a_database_from_before_the_gallery_identifies_and_fills_it(
    two_enrolled: tuple[User, User], frames: dict[str, bytes]
) -> None:
    alice, bob = two_enrolled
    GalleryBlock.objects.all().delete()  # as after migrating: templates, no gallery
    assert identify(frames["obama2"]) == (alice, "ok")  # 1:1 with every template
    entry = GalleryEntry.objects.get()  # and the user found joined the gallery
    assert entry.user == alice and candidates(frames["obama3"]) == [alice.pk]
    assert identify(frames["biden"]) == (bob, "ok")
    assert GalleryBlock.objects.get().live == 2


def test_each_api_client_has_its_own_gallery(alice: User, frames: dict[str, bytes]) -> None:
    enrolled(alice, frames["obama"])
    client, _ = ApiClient.create("kiosk")
    subject = User.objects.create_user("s1", api_client=client, api_subject="s1")
    enrolled(subject, frames["obama2"])
    names = sorted(GalleryBlock.objects.values_list("gallery__name", flat=True))
    assert names == [f"api-{client.pk}", "web"]
    assert candidates(frames["obama3"]) == [alice.pk]
    assert candidates(frames["obama3"], client.pk) == [subject.pk]
    assert identify(frames["obama3"], client.pk) == (subject, "ok")


def test_an_import_fills_whole_blocks_at_once(alice: User, frames: dict[str, bytes]) -> None:
    model = enrollment_model()
    embedding = Probe.from_frame(frames["obama"]).embedding(model)
    assert embedding is not None
    rng = np.random.default_rng(0)
    others = rng.normal(size=(9, embedding.size))
    others /= np.linalg.norm(others, axis=1, keepdims=True)
    users = [alice] + [User.objects.create_user(f"u{i}") for i in range(9)]
    gallery.gallery_import(users=users, embeddings=[embedding, *others], model=model)
    assert GalleryBlock.objects.get().live == 10
    assert candidates(frames["obama2"]) == [alice.pk]


def test_after_a_key_rotation_a_match_moves_the_slot_under_the_new_key(
    two_enrolled: tuple[User, User], frames: dict[str, bytes]
) -> None:
    alice, bob = two_enrolled
    old = GalleryBlock.objects.get()
    new_key = rotate_ckks_key(vault())
    assert identify(frames["obama2"]) == (alice, "ok")  # found in the old key's block
    moved = GalleryEntry.objects.get(user=alice).block
    assert moved.key_id == new_key != old.key_id and moved.live == 1
    assert GalleryBlock.objects.get(pk=old.pk).live == 1  # bob's slot, until his next match
    assert identify(frames["obama3"]) == (alice, "ok") and identify(frames["biden"]) == (bob, "ok")
    # Nobody left under the retired key, and nobody can be added there: the block is gone.
    assert not GalleryBlock.objects.filter(pk=old.pk).exists()
    assert GalleryBlock.objects.get().live == 2


def test_web_accounts_have_no_gallery_unless_they_are_identified(
    alice: User, frames: dict[str, bytes], settings: SettingsWrapper
) -> None:
    settings.PEEKA_FACE_ONLY_LOGIN = False
    enrolled(alice, frames["obama"])
    assert not GalleryEntry.objects.exists() and not GalleryBlock.objects.exists()
    client, _ = ApiClient.create("kiosk")  # API subjects can always be identified
    subject = User.objects.create_user("s1", api_client=client, api_subject="s1")
    enrolled(subject, frames["obama2"])
    assert GalleryEntry.objects.get().user == subject
    settings.PEEKA_FACE_ONLY_LOGIN = True  # turned on later: found 1:1, then in the gallery
    assert identify(frames["obama3"]) == (alice, "ok")
    assert candidates(frames["obama3"]) == [alice.pk]
