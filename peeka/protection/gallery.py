"""1:N identification over protected galleries: CKKS column-packed blocks (the probe stays
plaintext, no rotations, one block per N/2 users) and IoM codes compared all at once.

A gallery uses one deployment-wide key, unlike the per-user keys of 1:1 templates (a probe is
transformed once for the whole search). Adding a user touches only that user's row or slot;
removing one floods the CKKS slot with noise (`ckks.Matcher.remove_from_block`) or drops the IoM
row, and nobody else's template is read or changed. NDB has no 1:N search: a negative database
is matched per claimed user. Identification returns every enrolled user the probe is accepted
for, never a score; a caller that needs one identity should accept only a single match.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from peeka.protection import ckks, iom
from peeka.protection.envelope import Envelope, JsonValue, TemplateFormatError, open_sealed, seal
from peeka.protection.schemes import IOM_PARAMS, SEED_BYTES, active_ckks_key, load_ckks_key
from peeka.protection.vault import KeyVault

_IOM_GALLERY_SEED = "iom-gallery-seed"


class IomGallery:
    """Users' IoM codes under the gallery seed (kept wrapped in the vault), one row each."""

    def __init__(
        self, vault: KeyVault, threshold: float, params: iom.IomParams = IOM_PARAMS
    ) -> None:
        self.threshold = float(threshold)
        self.params = params
        self._seed = _shared_seed(vault, _IOM_GALLERY_SEED)
        self._users: list[str] = []
        self._codes = np.empty((0, params.m), dtype=np.uint8)

    def __len__(self) -> int:
        return len(self._users)

    @property
    def users(self) -> list[str]:
        return list(self._users)

    def add(self, user: str, embedding: npt.ArrayLike) -> None:
        """Enroll `user` (replacing their earlier row, if any)."""
        codes = iom.protect(embedding, self._seed, self.params)
        self.remove(user)
        self._users.append(user)
        self._codes = np.vstack([self._codes, codes[None, :]])

    def remove(self, user: str) -> None:
        if user in self._users:
            row = self._users.index(user)
            del self._users[row]
            self._codes = np.delete(self._codes, row, axis=0)

    def identify(self, probe: npt.ArrayLike) -> list[str]:
        """Users the probe is accepted for, most similar first."""
        if not self._users:
            return []
        scores = iom.similarity_many(self._codes, iom.protect(probe, self._seed, self.params))
        order = np.argsort(-scores, kind="stable")
        return [self._users[i] for i in order if scores[i] >= self.threshold]


class CkksGallery:
    """Users' encrypted descriptors in `ckks.GalleryBlock`s under the active CKKS key."""

    def __init__(self, vault: KeyVault, threshold: float, dim: int = 128) -> None:
        self.threshold = float(threshold)
        keys = load_ckks_key(vault, active_ckks_key(vault))
        self.key_id = keys.key_id
        # 1:N needs no rotation keys: the matcher's context is 0.5 MB instead of 34 MB.
        self._matcher = ckks.Matcher(keys.public_context(rotations=False), dim=dim)
        self._service = ckks.DecisionService(keys.secret_context())
        self._blocks: list[ckks.GalleryBlock] = []
        self._owners: list[dict[int, str]] = []
        self._where: dict[str, tuple[int, int]] = {}

    def __len__(self) -> int:
        return len(self._where)

    @property
    def users(self) -> list[str]:
        return list(self._where)

    @property
    def blocks(self) -> list[ckks.GalleryBlock]:
        """The encrypted blocks, e.g. to store with `GalleryBlock.to_bytes`."""
        return list(self._blocks)

    def add(self, user: str, embedding: npt.ArrayLike) -> None:
        """Enroll `user` into the first free slot (replacing their earlier slot, if any)."""
        self.remove(user)
        for index, block in enumerate(self._blocks):
            if block.free:
                self._blocks[index], slot = self._matcher.add_to_block(block, embedding)
                self._place(user, index, slot)
                return
        x = np.asarray(embedding, dtype=np.float64)
        self._blocks.append(self._matcher.build_block(x[None, :]))
        self._owners.append({})
        self._place(user, len(self._blocks) - 1, 0)

    def add_many(self, users: list[str], embeddings: npt.ArrayLike) -> None:
        """Enroll many users at once into new blocks (an import, or a restart that re-enrolls):
        one encryption per column per block instead of one per column per user."""
        rows = np.asarray(embeddings, dtype=np.float64)
        if len(users) != len(rows) or len(set(users)) != len(users):
            raise ValueError("add_many needs one embedding per user and distinct users")
        for user in users:
            self.remove(user)
        capacity = self._matcher.capacity
        for start in range(0, len(users), capacity):
            self._blocks.append(self._matcher.build_block(rows[start : start + capacity]))
            self._owners.append({})
            for slot, user in enumerate(users[start : start + capacity]):
                self._place(user, len(self._blocks) - 1, slot)

    def remove(self, user: str) -> None:
        """Flood `user`'s slot with noise; the slot is never reused."""
        where = self._where.pop(user, None)
        if where is None:
            return
        index, slot = where
        self._blocks[index] = self._matcher.remove_from_block(self._blocks[index], [slot])
        del self._owners[index][slot]

    def identify(self, probe: npt.ArrayLike) -> list[str]:
        """Users the probe is accepted for (the decision service sees only masked scores)."""
        found = []
        for block, owners in zip(self._blocks, self._owners, strict=True):
            masked = self._matcher.masked_scores(block, probe, self.threshold)
            accepted = self._service.decide_many(masked)
            found += [owners[int(slot)] for slot in np.flatnonzero(accepted)]
        return found

    def _place(self, user: str, index: int, slot: int) -> None:
        self._owners[index][slot] = user
        self._where[user] = (index, slot)


BLOCK_SCHEME = "ckks_gallery"


@dataclass(frozen=True)
class BlockPlace:
    """Where a stored block belongs: sealed into it, so that a block copied into another
    gallery, model or position fails to open."""

    gallery: str
    model: str
    index: int


def seal_block(block: ckks.GalleryBlock, key_id: str, place: BlockPlace, vault: KeyVault) -> bytes:
    """A gallery block as bytes to store, authenticated with the vault's MAC key."""
    params: dict[str, JsonValue] = {
        "gallery": place.gallery, "model": place.model, "index": place.index
    }  # fmt: skip
    return seal(Envelope(BLOCK_SCHEME, params, key_id, block.to_bytes()), vault)


def open_block(data: bytes, place: BlockPlace, vault: KeyVault) -> tuple[str, bytes]:
    """(CKKS key id, block bytes for `ckks.Matcher.load_block`) of a sealed block, after
    checking its MAC and that it was sealed for `place`."""
    envelope = open_sealed(data, vault)
    expected = {"gallery": place.gallery, "model": place.model, "index": place.index}
    if envelope.scheme != BLOCK_SCHEME or envelope.params != expected:
        raise TemplateFormatError(
            f"stored gallery block {place.gallery}/{place.model}/{place.index} was sealed for "
            f"{envelope.scheme} {envelope.params}; it was moved — rebuild the gallery"
        )
    return envelope.key_id, envelope.payload


def ckks_sides(vault: KeyVault, key_id: str) -> tuple[ckks.Matcher, ckks.DecisionService]:
    """The matcher (public context without rotation keys: 1:N needs none) and the decision
    service of CKKS key pair `key_id`."""
    keys = load_ckks_key(vault, key_id)
    matcher = ckks.Matcher(keys.public_context(rotations=False))
    return matcher, ckks.DecisionService(keys.secret_context())


def _shared_seed(vault: KeyVault, name: str) -> bytes:
    """A deployment-wide 32-byte seed kept wrapped in the vault, made on first use."""
    seed = vault.get_secret(name)
    if seed is not None:
        return seed
    with vault.lock():
        seed = vault.get_secret(name)
        if seed is None:
            seed = secrets.token_bytes(SEED_BYTES)
            vault.put_secret(name, seed)
        return seed
