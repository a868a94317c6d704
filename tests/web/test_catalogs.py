"""The translation catalogs are complete: every message has a Korean and a Simplified Chinese
translation, none is fuzzy, their placeholders match the English ones, and the committed
catalogs hold exactly the messages the source marks (a new string without its translations
fails here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest

from peeka.web import catalogs

XGETTEXT = shutil.which("xgettext")


def test_every_message_is_translated_and_none_is_fuzzy() -> None:
    problems = catalogs.problems()
    assert not problems, "\n".join(str(p) for p in problems)


def test_the_checker_finds_a_missing_a_fuzzy_and_a_broken_translation(tmp_path: Path) -> None:
    for language in catalogs.TRANSLATED:
        for domain in catalogs.DOMAINS:
            folder = tmp_path / language / "LC_MESSAGES"
            folder.mkdir(parents=True, exist_ok=True)
            catalog = polib.POFile()
            catalog.append(polib.POEntry(msgid="Save", msgstr="저장"))
            catalog.append(polib.POEntry(msgid="Log out", msgstr=""))
            catalog.append(polib.POEntry(msgid="Delete", msgstr="삭제", flags=["fuzzy"]))
            catalog.append(polib.POEntry(msgid="Hi %(name)s", msgstr="안녕하세요 %(nom)s"))
            catalog.save(str(folder / f"{domain}.po"))
    issues = sorted({p.issue.split(" ")[0] for p in catalogs.problems(tmp_path)})
    assert issues == ["marked", "not", "placeholders"]
    assert len(catalogs.problems(tmp_path)) == 3 * len(catalogs.TRANSLATED) * len(catalogs.DOMAINS)


@pytest.mark.skipif(XGETTEXT is None, reason="GNU gettext is not installed (.ci/run installs it)")
def test_the_catalogs_hold_exactly_the_messages_the_source_marks(tmp_path: Path) -> None:
    catalogs.extract(tmp_path)
    for language in catalogs.TRANSLATED:
        for domain in catalogs.DOMAINS:
            fresh = _messages(tmp_path / language / "LC_MESSAGES" / f"{domain}.po")
            committed = _messages(catalogs.LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po")
            assert fresh - committed == set(), f"{language}/{domain}: run `make messages`"
            assert committed - fresh == set(), f"{language}/{domain}: stale; `make messages`"


def test_the_install_compiles_every_catalog(tmp_path: Path) -> None:
    copy = tmp_path / "locale"
    shutil.copytree(catalogs.LOCALE_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))
    written = catalogs.compile_all(copy)
    assert sorted(written) == sorted(p.with_suffix(".mo") for p in catalogs.catalogs(copy))
    assert catalogs.compile_all(copy) == []  # up to date: nothing rebuilt
    mo = polib.mofile(str(copy / "ko" / "LC_MESSAGES" / "django.mo"))
    assert any(entry.msgstr for entry in mo)


def _messages(path: Path) -> set[tuple[str | None, str]]:
    return {(e.msgctxt, e.msgid) for e in polib.pofile(str(path)) if not e.obsolete}
