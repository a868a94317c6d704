"""The translation catalogs: `.po` files are committed, `.mo` files are built from them at install
(`make`, `python -m peeka.web.catalogs compile`) in pure Python, so no machine needs GNU
gettext to run Peeka; only extracting new messages (`make messages`, Django's makemessages,
which runs xgettext) does."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polib

PACKAGE_DIR = Path(__file__).resolve().parent.parent
LOCALE_DIR = PACKAGE_DIR / "locale"
"""`peeka/locale/<language>/LC_MESSAGES/{django,djangojs}.po`: one catalog for the project."""
TRANSLATED = ("ko", "zh_Hans")
"""The languages besides English, as gettext names their folders."""
DOMAINS = ("django", "djangojs")

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]|\{\w*\}")


@dataclass(frozen=True)
class Problem:
    catalog: Path
    msgid: str
    issue: str

    def __str__(self) -> str:
        return f"{self.catalog.relative_to(LOCALE_DIR)}: {self.msgid!r}: {self.issue}"


IGNORED = ("tests", "build", "node_modules", "peeka/web/static/vendor", "*.egg-info")
"""Folders under the repository root that hold no message of ours."""


def extract(target: Path = LOCALE_DIR) -> None:
    """Django's makemessages over the `peeka` package into `target/<language>/LC_MESSAGES`:
    Python and templates into `django.po`, JavaScript into `djangojs.po`. Existing entries
    keep their translations; messages gone from the source are dropped. Needs GNU gettext."""
    import django
    from django.core.management import call_command
    from django.test.utils import override_settings

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peeka.web.settings")
    django.setup()
    ignore = [*IGNORED]
    if target.resolve() != LOCALE_DIR:
        ignore.append("peeka/locale")  # or makemessages would write next to it
    with _cwd(PACKAGE_DIR.parent), override_settings(LOCALE_PATHS=[str(target)]):
        for domain, extensions in (("django", ["html", "txt", "py"]), ("djangojs", ["js"])):
            call_command(
                "makemessages",
                locale=list(TRANSLATED),
                domain=domain,
                extensions=extensions,
                ignore_patterns=ignore,
                add_location="file",
                no_obsolete=True,
                verbosity=0,
            )


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def catalogs(root: Path = LOCALE_DIR) -> list[Path]:
    return sorted(root.glob("*/LC_MESSAGES/*.po"))


def compile_all(root: Path = LOCALE_DIR) -> list[Path]:
    """Write each `.po` file's `.mo` beside it when the `.mo` is missing or older."""
    written = []
    for po in catalogs(root):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            polib.pofile(str(po)).save_as_mofile(str(mo))
            written.append(mo)
    return written


def problems(root: Path = LOCALE_DIR) -> list[Problem]:
    """Every message of a translated language that is missing, fuzzy, or whose placeholders
    differ from the English ones (a translation that would crash or drop a value)."""
    found = []
    for language in TRANSLATED:
        for domain in DOMAINS:
            path = root / language / "LC_MESSAGES" / f"{domain}.po"
            if not path.exists():
                found.append(Problem(path, "", "the catalog is missing"))
                continue
            for entry in polib.pofile(str(path)):
                if entry.obsolete:
                    continue
                found += [Problem(path, entry.msgid, issue) for issue in _issues(entry)]
    return found


def _issues(entry: polib.POEntry) -> list[str]:
    if entry.fuzzy:
        return ["marked fuzzy"]
    if entry.msgid_plural:
        forms = [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
        english = (entry.msgid_plural,) * len(forms)
    else:
        forms, english = [entry.msgstr], (entry.msgid,)
    issues = []
    for form, source in zip(forms, english, strict=True):
        if not form.strip():
            issues.append("not translated")
        elif _placeholders(form) - _placeholders(source) or (
            not entry.msgid_plural and _placeholders(source) != _placeholders(form)
        ):
            issues.append(f"placeholders {_placeholders(form)} != {_placeholders(source)}")
    return issues


def _placeholders(text: str) -> set[str]:
    return {m.group(0) for m in _PLACEHOLDER.finditer(text)}


def main(argv: list[str]) -> int:
    if argv == ["compile"]:
        for mo in compile_all():
            print(f"compiled {mo.relative_to(LOCALE_DIR.parent)}")
        return 0
    if argv == ["extract"]:
        extract()
        return 0
    if argv == ["check"]:
        found = problems()
        for problem in found:
            print(problem)
        return 1 if found else 0
    print("usage: python -m peeka.web.catalogs extract|compile|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
