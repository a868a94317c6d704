"""Every event and reason code the code base writes to the audit log has words (read from the
source, so a new feature cannot forget its own), and codes without words still read well."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation

from peeka.accounts.mfa import FACTORS, RECOVERY, SECOND_FACTOR_STEP_UPS
from peeka.security.labels import (
    EVENTS,
    FACTOR_EVENTS,
    event_title,
    has_event_title,
    has_reason_label,
    lockout_kind_label,
    reason_label,
)
from peeka.security.services import CODES, FACE, PASSWORD

PEEKA = Path(__file__).resolve().parents[2] / "peeka"
SKIPPED = ("cli", "evaluation", "llm")
"""Parts that never write the audit log."""
CORE = ("biometrics", "protection")
"""The pure core writes no audit row: only its error codes and the liveness checks' names
(`peeka.biometrics.challenge`) reach the log, as reasons; other `reason` and `check` names there
mean other things (framing hints, say)."""
EVENT_PARAMS = frozenset({"event"})
REASON_PARAMS = frozenset({"reason", "check"})


def _trees(*, core: bool = True) -> list[ast.Module]:
    """The parsed modules of the apps (and of the pure core too, with `core`)."""
    trees = []
    for path in sorted(PEEKA.rglob("*.py")):
        relative = path.relative_to(PEEKA)
        if relative.parts[0] in SKIPPED or "migrations" in relative.parts:
            continue
        if not core and relative.parts[0] in CORE:
            continue
        if relative.as_posix() in ("security/labels.py", "security/selectors.py"):
            continue  # the words themselves, and the selector that reads them
        trees.append(ast.parse(path.read_text(), filename=str(path)))
    return trees


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _strings(node: ast.expr | None) -> Iterator[str]:
    """The string constants `node` may evaluate to (through `a if c else b`, `a or b`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from _strings(value)


def _positions(trees: list[ast.Module], names: frozenset[str]) -> dict[str, set[int | str]]:
    """Callables (functions, dataclasses) with a parameter in `names`: its positional index
    and its keyword, by the callable's name."""
    found: dict[str, set[int | str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for index, arg in enumerate(node.args.posonlyargs + node.args.args):
                    if arg.arg in names:
                        found.setdefault(node.name, set()).update({index, arg.arg})
                for arg in node.args.kwonlyargs:
                    if arg.arg in names:
                        found.setdefault(node.name, set()).add(arg.arg)
            elif isinstance(node, ast.ClassDef):
                fields = [
                    s.target.id
                    for s in node.body
                    if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
                ]
                for index, field in enumerate(fields):
                    if field in names:
                        found.setdefault(node.name, set()).update({index, field})
    return found


def _passed(trees: list[ast.Module], names: frozenset[str]) -> Iterator[ast.expr]:
    """Every expression passed to, assigned to or returned as one of `names`."""
    positions = _positions(trees, names)
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in positions:
                where = positions[_name(node.func)]
                yield from (arg for i, arg in enumerate(node.args) if i in where)
                yield from (kw.value for kw in node.keywords if kw.arg in where)
            elif isinstance(node, ast.Call):
                yield from (kw.value for kw in node.keywords if kw.arg in names)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id in names:
                        yield node.value
                    elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                        for part, value in zip(target.elts, node.value.elts, strict=False):
                            if isinstance(part, ast.Name) and part.id in names:
                                yield value
            elif isinstance(node, ast.FunctionDef) and names == REASON_PARAMS:
                # (found, reason) pairs: `return False, "no_template"`.
                returns = ast.unparse(node.returns) if node.returns else ""
                if returns.startswith("tuple[") and returns.endswith(", str]"):
                    for inner in ast.walk(node):
                        if isinstance(inner, ast.Return) and isinstance(inner.value, ast.Tuple):
                            yield inner.value.elts[-1]


def _purposes(trees: list[ast.Module]) -> set[str]:
    """Every liveness-challenge purpose named in the source."""
    found: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "purpose":
                        found.update(_strings(kw.value))
            elif isinstance(node, ast.Compare) and _name(node.left) == "purpose":
                for right in node.comparators:
                    values = right.elts if isinstance(right, ast.Tuple) else [right]
                    for value in values:
                        found.update(_strings(value))
    return found


def written_events() -> set[str]:
    trees = _trees(core=False)
    purposes = _purposes(trees)
    events: set[str] = set()
    for passed in _passed(trees, EVENT_PARAMS):
        events.update(_strings(passed))
        if isinstance(passed, ast.JoinedStr):  # f"challenge_{purpose}"
            prefix = ""
            for part in passed.values:
                if not isinstance(part, ast.Constant):
                    break
                prefix += str(part.value)
            events.update(prefix + purpose for purpose in purposes)
    for tree in trees:  # {"web": "face_login", ...}: the event of each channel or factor
        for statement in tree.body:
            targets = (
                statement.targets
                if isinstance(statement, ast.Assign)
                else [statement.target]
                if isinstance(statement, ast.AnnAssign)
                else []
            )
            value = getattr(statement, "value", None)
            if isinstance(value, ast.Dict) and any(_name(t).endswith("_EVENTS") for t in targets):
                for item in value.values:
                    events.update(_strings(item))
    return events


def written_reasons() -> set[str]:
    reasons: set[str] = set()
    for passed in _passed(_trees(core=False), REASON_PARAMS):
        reasons.update(_strings(passed))
    for tree in _trees():
        for node in ast.walk(tree):
            # Error codes: a failed attempt is audited with `exc.code`.
            if isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if isinstance(statement, ast.Assign) and any(
                        _name(t) == "code" for t in statement.targets
                    ):
                        reasons.update(_strings(statement.value))
            elif isinstance(node, ast.Call):
                callee = _name(node.func) or ""
                for kw in node.keywords:
                    # `code=` of an error (not a model's `code` field in a query).
                    if kw.arg == "disabled_code" or (kw.arg == "code" and callee.endswith("Error")):
                        reasons.update(_strings(kw.value))
                if _name(node.func) == "refusal":  # a liveness check's name
                    for arg in node.args[:1]:
                        reasons.update(_strings(arg))
                if _name(node.func) == "StepVerdict":  # StepVerdict(passed, check, ...)
                    for arg in node.args[1:2]:
                        reasons.update(_strings(arg))
            elif (
                isinstance(node, ast.Assign)
                and any(_name(t) == "_HINTS" for t in node.targets)
                and isinstance(node.value, ast.Dict)
            ):
                for key in node.value.keys:
                    reasons.update(_strings(key))
    return reasons


def factor_reasons() -> set[tuple[str, str]]:
    """(event, reason) of completed logins (the factors used, joined) and step-ups (the
    method)."""
    factors = [*FACTORS, RECOVERY]
    combos = {
        ("login", "+".join(sorted(combo)))
        for size in range(1, len(factors) + 1)
        for combo in itertools.combinations(factors, size)
    }
    return combos | {("step_up", method) for method in {*SECOND_FACTOR_STEP_UPS, "password"}}


def test_the_scan_finds_what_the_code_base_writes() -> None:
    """A scan that finds nothing would pass vacuously: it must see the known writers."""
    events, reasons = written_events(), written_reasons()
    for event in ("login", "password_login", "step_up", "face_login", "api_verify",
                  "challenge_login", "liveness_login", "liveness_api", "register"):  # fmt: skip
        assert event in events
    for reason in ("ok", "bad_credentials", "duplicates", "no_match", "rate_limited",
                   "face_login_disabled", "image_corrupt", "no_template", "issued"):  # fmt: skip
        assert reason in reasons


def test_every_event_written_to_the_audit_log_has_a_title() -> None:
    missing = sorted(e for e in written_events() if not has_event_title(e))
    assert not missing, f"add these events to peeka/security/labels.py EVENTS: {missing}"


def test_every_reason_written_to_the_audit_log_has_a_label() -> None:
    missing = sorted(r for r in written_reasons() if not has_reason_label(r))
    missing += sorted(
        f"{event}: {reason}"
        for event, reason in factor_reasons()
        if not has_reason_label(reason, event=event)
    )
    assert not missing, f"add these reasons to peeka/security/labels.py: {missing}"


def test_every_lockout_kind_has_a_label() -> None:
    for rule in (FACE, CODES, PASSWORD):
        assert lockout_kind_label(rule.kind) != rule.kind.capitalize() or rule.kind == "password"
        assert lockout_kind_label(rule.kind)


def test_titles_and_labels_say_what_happened() -> None:
    with translation.override("en"):
        assert event_title("liveness_login", False) == "Face login refused"
        assert event_title("login", True) == "Signed in"
        assert event_title("password_change", True) == "Password changed"
        assert reason_label("duplicates") == "Same picture repeated (possible photo or replay)"
        assert reason_label("face+password") == "Face + password"
        assert reason_label("face+password", event="login") == "Face + password"
        assert reason_label("password+recovery+totp", event="login") == (
            "Password + recovery code + authenticator app"
        )
        assert reason_label("code", event="step_up") == "Password + one-time code"
        # "face" alone is the liveness check, unless the event names factors.
        assert reason_label("face") == "No face, or several faces, in the picture"
        assert reason_label("face", event="step_up") == "Face"


def test_titles_and_labels_follow_the_active_language() -> None:
    with translation.override("ko"):
        assert event_title("login", True) != "Signed in"
        assert reason_label("duplicates") != "Same picture repeated (possible photo or replay)"
    with translation.override("zh-hans"):
        assert event_title("liveness_login", False) != "Face login refused"


@pytest.mark.parametrize(
    ("event", "success", "title"),
    [
        ("some_new_event", True, "Some new event"),
        ("some_new_event", False, "Some new event (failed)"),
        ("liveness_parking", True, "Liveness check passed (parking)"),
        ("liveness_parking", False, "Liveness check failed (parking)"),
        ("challenge_parking", True, "Liveness check started (parking)"),
        ("challenge_parking", False, "Liveness check not started (parking)"),
        ("liveness_", True, "Liveness"),
        ("", True, ""),
        ("", False, " (failed)"),
    ],
)
def test_an_unknown_event_reads_as_its_code(event: str, success: bool, title: str) -> None:
    with translation.override("en"):
        assert event_title(event, success) == title


def test_an_unknown_reason_is_the_code_itself() -> None:
    with translation.override("en"):
        assert reason_label("something_new") == "something_new"
        assert reason_label("") == ""
        # A refused registration joins its form's error codes; each part in words or as is.
        assert reason_label("password_too_short+something_new") == (
            "Password too short; something_new"
        )
        assert reason_label("+") == ""
        assert not has_reason_label("something_new")
        assert has_reason_label("password_too_short+password_mismatch")
    assert lockout_kind_label("pin_code") == "Pin code"


def test_every_title_differs_by_outcome() -> None:
    with translation.override("en"):
        for event in EVENTS:
            assert event_title(event, True) != event_title(event, False), event
    assert set(EVENTS) >= FACTOR_EVENTS
