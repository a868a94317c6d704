"""Kiosk 1:N through the encrypted gallery: beside each user's own protected template, the
user's descriptor sits in one slot of a CKKS gallery block under the deployment's key
(`peeka.protection.ckks`), one gallery for the web accounts and one per API client. A search
sends one plaintext probe over every block; the decision service sees only masked scores and
names the slots within the calibrated 1:N distance, whose users are then confirmed 1:1 against
their own templates (`matching.face_identify`).

Blocks are stored sealed in the database and changed in the transaction that changes the
user's template: an enrollment adds into the first free slot (a fresh encryption of that slot,
about 0.7 s), a deletion floods the slot with noise. Each process keeps the blocks it has read
and, before every search, re-reads only those whose random `stamp` changed since.

Changes to one gallery are serialised on its `Gallery` row (one enrollment at a time per
gallery); searches take no lock."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Max, Q

from peeka.accounts.models import User
from peeka.biometrics import Embedding, calibration
from peeka.biometrics.calibration import Mode
from peeka.errors import PeekaError
from peeka.faces.models import Gallery, GalleryBlock, GalleryEntry
from peeka.protection import ckks
from peeka.protection.gallery import BlockPlace, ckks_sides, open_block, seal_block
from peeka.protection.schemes import active_ckks_key
from peeka.protection.vault import VaultError
from peeka.security.vault import vault

MAX_CANDIDATES = 5
"""Candidates confirmed 1:1 at most; more within the threshold is an ambiguous probe."""


def gallery_kept(api_client_id: int | None) -> bool:
    """Whether the namespace has a gallery: an API client's subjects always (the API has
    identify), web accounts only with PEEKA_FACE_ONLY_LOGIN (else nobody is identified among
    them, and an encrypted descriptor nobody searches is one copy too many; turned on later,
    its users join at their next match)."""
    return api_client_id is not None or bool(settings.PEEKA_FACE_ONLY_LOGIN)


def gallery_name(api_client_id: int | None) -> str:
    """The web accounts' gallery, or one API client's."""
    return "web" if api_client_id is None else f"api-{api_client_id}"


@dataclass(frozen=True)
class Search:
    candidates: list[int]
    """Ids of the users whose slot is within the threshold."""
    unusable: list[int]
    """Blocks that could not be searched (a destroyed key, a block that fails its MAC): their
    users are compared 1:1 instead."""


@dataclass(frozen=True)
class _Loaded:
    gallery_id: int
    stamp: str
    key_id: str
    block: ckks.GalleryBlock


class _Blocks:
    """This process's copies of the blocks it has read, and the CKKS sides per key."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.blocks: dict[int, _Loaded] = {}
        self.sides: dict[str, tuple[ckks.Matcher, ckks.DecisionService]] = {}

    def side(self, key_id: str) -> tuple[ckks.Matcher, ckks.DecisionService]:
        with self.lock:
            if key_id not in self.sides:
                self.sides[key_id] = ckks_sides(vault(), key_id)
            return self.sides[key_id]

    def load(self, row: GalleryBlock) -> ckks.GalleryBlock:
        """The block of `row` (its data fetched), opened, checked and remembered."""
        key_id, payload = open_block(bytes(row.data), _place(row), vault())
        block = self.side(key_id)[0].load_block(payload)
        self.remember(row, key_id, block)
        return block

    def remember(self, row: GalleryBlock, key_id: str, block: ckks.GalleryBlock) -> None:
        with self.lock:
            self.blocks[row.pk] = _Loaded(row.gallery_id, row.stamp, key_id, block)

    def retain(self, gallery_id: int, pks: set[int]) -> None:
        """Forget the blocks of `gallery_id` that are no longer stored (25.6 MB each)."""
        with self.lock:
            gone = [
                pk
                for pk, loaded in self.blocks.items()
                if loaded.gallery_id == gallery_id and pk not in pks
            ]
            for pk in gone:
                del self.blocks[pk]

    def current(self, pk: int, stamp: str) -> _Loaded | None:
        with self.lock:
            loaded = self.blocks.get(pk)
        return loaded if loaded is not None and loaded.stamp == stamp else None


_cache = _Blocks()


def gallery_search(
    *, embedding: Embedding, model: str, api_client_id: int | None, mode: Mode = "single"
) -> Search:
    """The users of the gallery whose encrypted descriptor is within `model`'s calibrated
    identification distance of `embedding`, a probe of `mode` (stricter than 1:1's: see
    `Calibration`)."""
    gallery = Gallery.objects.filter(name=gallery_name(api_client_id), model=model).first()
    if gallery is None:
        return Search([], [])
    rows = list(GalleryBlock.objects.filter(gallery=gallery, live__gt=0).values_list("pk", "stamp"))
    _cache.retain(gallery.pk, {pk for pk, _ in rows})
    stale = [pk for pk, stamp in rows if _cache.current(pk, stamp) is None]
    unusable: list[int] = []
    for row in GalleryBlock.objects.filter(pk__in=stale).select_related("gallery"):
        try:
            _cache.load(row)
        except (PeekaError, VaultError, ValueError):
            unusable.append(row.pk)
    by_key: dict[str, list[tuple[int, ckks.GalleryBlock]]] = {}
    for pk, stamp in rows:
        loaded = _cache.current(pk, stamp)
        if loaded is not None:
            by_key.setdefault(loaded.key_id, []).append((pk, loaded.block))
    threshold = calibration.load(model, mode=mode).identification()
    hits = Q(pk__in=[])
    for key_id, blocks in by_key.items():
        matcher, service = _cache.side(key_id)
        # One thread: the web workers are processes, and 4,096 users take about 7 ms a block.
        masked = matcher.search([b for _, b in blocks], embedding, threshold, workers=1)
        for (pk, _), scores in zip(blocks, masked, strict=True):
            slots = np.flatnonzero(service.decide_many(scores))
            if slots.size:
                hits |= Q(block_id=pk, slot__in=[int(s) for s in slots])
    candidates = list(GalleryEntry.objects.filter(hits).values_list("user_id", flat=True))
    return Search(candidates, unusable)


def gallery_add(*, user: User, embedding: Embedding, model: str) -> None:
    """Put `user` into their gallery for `model` (out of any slot they had before), if their
    namespace has one (`gallery_kept`). Call it in the transaction that writes the user's
    template."""
    with transaction.atomic():
        gallery_remove(user=user)
        if not gallery_kept(user.api_client_id):
            return
        gallery = _locked(gallery_name(user.api_client_id), model)
        key_id = active_key()
        matcher = _cache.side(key_id)[0]
        rows = GalleryBlock.objects.filter(gallery=gallery, key_id=key_id, free__gt=0)
        for row in rows.order_by("index"):
            try:
                block, slot = matcher.add_to_block(_current(row), embedding)
                break
            except (PeekaError, VaultError, ValueError):
                # Altered or unreadable: searches skip it; no one is added to it either.
                GalleryBlock.objects.filter(pk=row.pk).update(free=0)
        else:
            block, slot = matcher.build_block(np.asarray(embedding)[None, :]), 0
            row = GalleryBlock(gallery=gallery, index=_next_index(gallery), key_id=key_id)
        _save(row, gallery, block)
        GalleryEntry.objects.create(user=user, block=row, slot=slot)


def gallery_import(*, users: Sequence[User], embeddings: Sequence[Embedding], model: str) -> None:
    """Add many users of one namespace at once, into new blocks: one encryption per block
    column instead of one per column per user (about 0.9 s per 4,096 users instead of 0.7 s
    per user). For imports and `peeka bench identify`."""
    names = {gallery_name(u.api_client_id) for u in users}
    if len(names) != 1 or len(users) != len(embeddings):
        raise ValueError("gallery_import takes one embedding per user, all of one namespace")
    with transaction.atomic():
        for user in users:
            gallery_remove(user=user)
        gallery = _locked(names.pop(), model)
        key_id = active_key()
        matcher = _cache.side(key_id)[0]
        rows = np.asarray(embeddings, dtype=np.float64)
        for start in range(0, len(users), matcher.capacity):
            chunk = users[start : start + matcher.capacity]
            block = matcher.build_block(rows[start : start + len(chunk)])
            row = GalleryBlock(gallery=gallery, index=_next_index(gallery), key_id=key_id)
            _save(row, gallery, block)
            GalleryEntry.objects.bulk_create(
                GalleryEntry(user=user, block=row, slot=slot) for slot, user in enumerate(chunk)
            )


def gallery_remove(*, user: AbstractBaseUser) -> bool:
    """Take `user` out of the gallery: their slot is flooded with noise (never reused), and a
    block left with no user and no slot for one (full, or under a retired key) is dropped.
    Whether they were in it."""
    with transaction.atomic():
        entry = GalleryEntry.objects.filter(user_id=user.pk).select_related("block").first()
        if entry is None:
            return False
        gallery = _locked_pk(entry.block.gallery_id)
        row = GalleryBlock.objects.get(pk=entry.block_id)
        entry.delete()
        try:
            block = _current(row)
        except (PeekaError, VaultError, ValueError):
            # A block that cannot be opened cannot be matched either: drop it whole.
            row.delete()
            return True
        matcher = _cache.side(row.key_id)[0]
        block = matcher.remove_from_block(block, [entry.slot])
        if not block.live.any() and (not block.free or row.key_id != active_key()):
            row.delete()  # nobody left, and nobody can be added
        else:
            _save(row, gallery, block)
        return True


def active_key() -> str:
    """The CKKS key pair new gallery slots are encrypted under."""
    return active_ckks_key(vault())


def _locked(name: str, model: str) -> Gallery:
    gallery = Gallery.objects.get_or_create(name=name, model=model)[0]
    return _locked_pk(gallery.pk)


def _locked_pk(pk: int) -> Gallery:
    return Gallery.objects.select_for_update().get(pk=pk)


def _next_index(gallery: Gallery) -> int:
    top = GalleryBlock.objects.filter(gallery=gallery).aggregate(top=Max("index"))["top"]
    return 0 if top is None else top + 1


def _current(row: GalleryBlock) -> ckks.GalleryBlock:
    loaded = _cache.current(row.pk, row.stamp)
    return loaded.block if loaded is not None else _cache.load(row)


def _save(row: GalleryBlock, gallery: Gallery, block: ckks.GalleryBlock) -> None:
    row.gallery = gallery
    row.free = block.free
    row.live = int(block.live.sum())
    row.data = seal_block(block, row.key_id, _place(row), vault())
    row.stamp = secrets.token_hex(16)
    row.save()
    _cache.remember(row, row.key_id, block)
    _cache.retain(
        gallery.pk, set(GalleryBlock.objects.filter(gallery=gallery).values_list("pk", flat=True))
    )


def _place(row: GalleryBlock) -> BlockPlace:
    return BlockPlace(row.gallery.name, row.gallery.model, row.index)
