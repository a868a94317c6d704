"""The house rules of DESIGN.md "Layers", checked by reading every import in `peeka/` with `ast`.
`violations(root)` lists one readable line per broken rule; `python -m tests.house_rules` too."""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# The pure core: plain numpy in and out, so it can run (and be tested) without a web stack.
CORE = frozenset({"biometrics", "protection", "evaluation", "llm"})

# Apps by floor, bottom to top; an app may import its own floor's package and anything lower.
# The applications share one floor and never import each other: what two of them share moves
# down a floor (STYLE.md item 15).
APP_FLOORS: dict[str, int] = {
    "security": 0,
    "accounts": 1,
    "faces": 2,
    "api": 3,
    "workplace": 4,
    "wallet": 4,
    "coach": 4,
    "web": 5,
}
APPLICATIONS = frozenset(name for name, floor in APP_FLOORS.items() if floor == 4)

# The command line sits on top of everything; importing it from below would drag argparse
# wiring (and every command's imports) into the library.
CLI = "cli"

# Third-party roots the core must never import, with the name a reader knows them by.
WEB_FRAMEWORKS: dict[str, str] = {"django": "Django", "ninja": "django-ninja"}

# Rule 4: a face check or login goes through one flow function that writes the audit row and
# the lockout counters, so a view cannot forget one or write one twice.
AUDIT_AND_LOCKOUT_NAMES = frozenset(
    {"audit_record", "AuditEvent", "lockout_failed", "lockout_succeeded"}
)
AUDIT_MODEL = "AuditEvent"
# Every manager method that inserts a row counts as writing, not only `create`.
MANAGER_WRITES = frozenset({"create", "bulk_create", "get_or_create", "update_or_create"})
VIEW_FILE_NAMES = frozenset({"views.py", "api.py"})
VIEW_PACKAGE = "views"

# Plug-in registries name classes as "peeka.x.y:Class" strings (STYLE.md item 3): such a string
# is an import that merely happens later. Plain "peeka.x.y" strings are left alone because they
# are as often a subprocess's `-m peeka.cli` or a settings value as a lazy import.
DOTTED_PATH = re.compile(r"peeka(?:\.[A-Za-z_]\w*)+:[A-Za-z_]\w*")
IMPORT_FUNCTIONS = frozenset({"import_module", "__import__"})

WRITES_REASON = (
    "views and API modules never write the audit log or a lockout counter; call the flow function"
)
READS_REASON = "views never touch the audit model; read it through a selector"


@dataclass(frozen=True)
class _Import:
    line: int
    target: str  # absolute dotted module name, e.g. "peeka.faces.services" or "django.db"
    how: str  # "" for an import statement, " by dotted path" for a string naming a module


@dataclass(frozen=True)
class _Source:
    relative: str  # "peeka/faces/views.py", as the report prints it
    module: str  # "peeka.faces.views"
    package: str  # the package relative imports start from: "peeka.faces"


def violations(root: Path) -> list[str]:
    """Every house-rule violation under `root/peeka`, one line each, sorted by file and line."""
    found: set[tuple[str, int, str]] = set()
    for path in sorted((root / "peeka").rglob("*.py")):
        source = _source(root, path)
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except SyntaxError as exc:
            # A file the checker cannot read is a file whose imports nobody has checked.
            found.add((source.relative, exc.lineno or 0, f"cannot be parsed ({exc.msg})"))
            continue
        for found_import in _imports(tree, source, root):
            reason = _layer_reason(source.module, found_import.target, root)
            if reason:
                message = (
                    f"{_label(source.module)} imports {found_import.target}{found_import.how}"
                    f" ({reason})"
                )
                found.add((source.relative, found_import.line, message))
        if _is_view_module(source.relative):
            for line, message in _audit_and_lockout_uses(tree):
                found.add((source.relative, line, f"{_label(source.module)} view {message}"))
    found.update(_unmapped_packages(root))
    return [f"{path}:{line}: {message}" for path, line, message in sorted(found)]


def _source(root: Path, path: Path) -> _Source:
    parts = list(path.relative_to(root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    module = ".".join(parts)
    package = module if is_package else module.rpartition(".")[0]
    return _Source(path.relative_to(root).as_posix(), module, package)


def _imports(tree: ast.AST, source: _Source, root: Path) -> Iterator[_Import]:
    """Every module the file imports, anywhere: top level, functions, `if TYPE_CHECKING:`."""
    named_by_import_call: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield _Import(node.lineno, alias.name, "")
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, source)
            if base is None:
                written = node.module or ", ".join(alias.name for alias in node.names)
                yield _Import(node.lineno, "." * node.level + written, "")
            elif base == "peeka":
                # `from peeka import faces` (or `from .. import faces` in peeka/accounts/) names
                # the package only in the imported names.
                for alias in node.names:
                    yield _Import(node.lineno, _from_peeka(alias.name, root), "")
            else:
                yield _Import(node.lineno, base, "")
        elif isinstance(node, ast.Call) and _called_name(node.func) in IMPORT_FUNCTIONS:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                named_by_import_call.add(id(first))
                yield _Import(node.lineno, first.value, " dynamically")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in named_by_import_call
            and DOTTED_PATH.fullmatch(node.value)
            # A path to a part of peeka nobody mapped is a broken registry entry, not a layering
            # question; the registry's own tests catch it.
            and _kind(_unit(node.value.partition(":")[0]), root) != "unknown"
        ):
            yield _Import(node.lineno, node.value.partition(":")[0], " by dotted path")


def _absolute(node: ast.ImportFrom, source: _Source) -> str | None:
    """The absolute module a `from … import` reads from; None if it climbs above `peeka`."""
    if node.level == 0:
        return node.module
    base = source.package.split(".")
    climb = node.level - 1
    if climb >= len(base):
        return None
    parts = base[: len(base) - climb]
    if node.module:
        parts.append(node.module)
    return ".".join(parts)


def _from_peeka(name: str, root: Path) -> str:
    """`from peeka import name`: a package or module if one is known, else an attribute of peeka."""
    known = name in CORE or name in APP_FLOORS or name == CLI
    exists = (root / "peeka" / f"{name}.py").is_file() or (root / "peeka" / name).is_dir()
    return f"peeka.{name}" if known or exists else "peeka"


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _unit(module: str) -> str | None:
    """The top-level part of peeka a module belongs to ("faces"); None for `peeka` itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _kind(unit: str | None, root: Path) -> str:
    if unit is None:
        return "root"  # peeka/__init__.py: plain, shared by all
    if unit in CORE:
        return "core"
    if unit in APP_FLOORS:
        return "app"
    if unit == CLI:
        return "cli"
    if (root / "peeka" / f"{unit}.py").is_file():
        return "root"  # a single shared module such as peeka.errors or peeka.plugins
    return "unknown"


def _label(module: str) -> str:
    unit = _unit(module)
    return "peeka" if unit is None else f"peeka.{unit}"


def _layer_reason(importer: str, target: str, root: Path) -> str | None:
    """Why `importer` may not import `target`, or None when it may."""
    importer_unit = _unit(importer)
    importer_kind = _kind(importer_unit, root)
    if target.startswith("."):
        return "a relative import that climbs above the peeka package"
    target_root = target.split(".")[0]
    if target_root in WEB_FRAMEWORKS:
        if importer_kind == "core":
            return f"the pure core never imports {WEB_FRAMEWORKS[target_root]}"
        return None
    if target_root != "peeka":
        return None
    target_unit = _unit(target)
    target_kind = _kind(target_unit, root)
    if target_unit == importer_unit or importer_kind == "cli":
        return None
    if target_kind == "unknown":
        return "not in the layer map; add it to tests/house_rules.py"
    if target_kind == "cli":
        return "the command line; nothing in peeka imports it"
    if importer_kind == "core" and target_kind == "app":
        return "an app; the pure core never imports apps"
    if importer_kind == "app" and target_kind == "app":
        assert importer_unit is not None and target_unit is not None
        importer_floor, target_floor = APP_FLOORS[importer_unit], APP_FLOORS[target_unit]
        if target_floor > importer_floor:
            return "an app above it"
        if target_floor == importer_floor:
            return "a sibling application; move what both need down a floor"
    return None


def _is_view_module(relative: str) -> bool:
    # Only the file name or a `views` sub-package decides: `peeka/api/` is the API *app*, and
    # its models or services may write audit rows like any other app's services.
    parts = relative.split("/")
    return parts[-1] in VIEW_FILE_NAMES or VIEW_PACKAGE in parts[1:-1]


def _audit_and_lockout_uses(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, message) for each import or use of the audit and lockout writers in a view."""
    reported_inside_a_write: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name in AUDIT_AND_LOCKOUT_NAMES:
                    yield node.lineno, f"imports {alias.name} ({_reason(alias.name)})"
        elif isinstance(node, ast.Call):
            model = _written_model(node.func)
            if model is not None:
                reported_inside_a_write.add(id(model))
                yield node.lineno, f"calls {ast.unparse(node.func)} ({WRITES_REASON})"
            elif _called_name(node.func) == "get_model" and _names_audit_model(node):
                # apps.get_model("security", "AuditEvent") is the model under another spelling.
                yield node.lineno, f"uses {AUDIT_MODEL} via get_model ({READS_REASON})"
    for node in ast.walk(tree):
        name = _name_of(node)
        if name in AUDIT_AND_LOCKOUT_NAMES and id(node) not in reported_inside_a_write:
            assert isinstance(node, ast.expr)
            yield node.lineno, f"uses {ast.unparse(node)} ({_reason(name)})"


def _written_model(func: ast.expr) -> ast.expr | None:
    """The `AuditEvent` node of `<…>AuditEvent.objects.create`, or None for any other call."""
    if not (isinstance(func, ast.Attribute) and func.attr in MANAGER_WRITES):
        return None
    manager = func.value
    if not (isinstance(manager, ast.Attribute) and manager.attr == "objects"):
        return None
    return manager.value if _name_of(manager.value) == AUDIT_MODEL else None


def _names_audit_model(call: ast.Call) -> bool:
    return any(
        isinstance(arg, ast.Constant)
        and isinstance(arg.value, str)
        and arg.value.rpartition(".")[2] == AUDIT_MODEL
        for arg in call.args
    )


def _name_of(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _reason(name: str | None) -> str:
    return READS_REASON if name == AUDIT_MODEL else WRITES_REASON


def _unmapped_packages(root: Path) -> Iterator[tuple[str, int, str]]:
    # A new top-level package has no place in the layers until someone gives it one, so every
    # rule above would silently wave it through.
    for folder in sorted((root / "peeka").iterdir()):
        if not folder.is_dir() or _kind(folder.name, root) != "unknown":
            continue
        first = min(folder.rglob("*.py"), default=None)
        if first is not None:
            message = f"peeka.{folder.name} is not in the layer map; add it to tests/house_rules.py"
            yield first.relative_to(root).as_posix(), 1, message


if __name__ == "__main__":
    found = violations(Path(__file__).resolve().parents[1])
    print("\n".join(found) or "The house rules hold.")
    sys.exit(1 if found else 0)
