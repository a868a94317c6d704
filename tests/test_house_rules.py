"""The layering rules of DESIGN.md hold for the real tree, and each rule of the checker catches a
violation planted in a throwaway tree (so an empty report means something)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.house_rules import READS_REASON, WRITES_REASON, violations

REPO = Path(__file__).resolve().parents[1]


def plant(root: Path, relative: str, source: str = "") -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source).lstrip("\n"))


def test_the_house_rules_hold() -> None:
    found = violations(REPO)
    assert not found, f"{len(found)} house-rule violation(s):\n" + "\n".join(found)


# Rule 1: the pure core.


def test_it_catches_the_core_importing_django(tmp_path: Path) -> None:
    plant(tmp_path, "peeka/biometrics/bad.py", "import django\n")
    assert violations(tmp_path) == [
        "peeka/biometrics/bad.py:1: peeka.biometrics imports django"
        " (the pure core never imports Django)"
    ]


def test_it_catches_the_core_importing_django_ninja(tmp_path: Path) -> None:
    plant(tmp_path, "peeka/llm/router.py", "from ninja import Router\n")
    assert violations(tmp_path) == [
        "peeka/llm/router.py:1: peeka.llm imports ninja (the pure core never imports django-ninja)"
    ]


@pytest.mark.parametrize(
    ("core", "app"),
    [
        ("biometrics", "security"),
        ("protection", "accounts"),
        ("evaluation", "faces"),
        ("llm", "api"),
        ("protection", "workplace"),
        ("evaluation", "web"),
    ],
)
def test_it_catches_the_core_importing_an_app(tmp_path: Path, core: str, app: str) -> None:
    plant(tmp_path, f"peeka/{core}/x.py", f"from peeka.{app} import services\n")
    assert violations(tmp_path) == [
        f"peeka/{core}/x.py:1: peeka.{core} imports peeka.{app}"
        " (an app; the pure core never imports apps)"
    ]


# Rule 2: apps import only apps below them.


def test_it_catches_an_app_importing_an_app_above_it(tmp_path: Path) -> None:
    plant(tmp_path, "peeka/accounts/mfa.py", "from peeka.faces import services\n")
    assert violations(tmp_path) == [
        "peeka/accounts/mfa.py:1: peeka.accounts imports peeka.faces (an app above it)"
    ]


def test_it_reports_in_the_documented_format(tmp_path: Path) -> None:
    plant(tmp_path, "peeka/faces/views.py", "# filler\n" * 11 + "from peeka.api import models\n")
    assert violations(tmp_path) == [
        "peeka/faces/views.py:12: peeka.faces imports peeka.api (an app above it)"
    ]


def test_it_catches_an_application_importing_the_web_floor(tmp_path: Path) -> None:
    plant(tmp_path, "peeka/coach/services.py", "import peeka.web.settings\n")
    assert violations(tmp_path) == [
        "peeka/coach/services.py:1: peeka.coach imports peeka.web.settings (an app above it)"
    ]


def test_it_catches_a_sibling_application_import(tmp_path: Path) -> None:
    plant(tmp_path, "peeka/wallet/x.py", "import peeka.coach.models\n")
    assert violations(tmp_path) == [
        "peeka/wallet/x.py:1: peeka.wallet imports peeka.coach.models"
        " (a sibling application; move what both need down a floor)"
    ]


def test_it_catches_a_workplace_sub_app_importing_the_wallet(tmp_path: Path) -> None:
    plant(tmp_path, "peeka/workplace/approvals/services.py", "from peeka.wallet import models\n")
    assert violations(tmp_path) == [
        "peeka/workplace/approvals/services.py:1: peeka.workplace imports peeka.wallet"
        " (a sibling application; move what both need down a floor)"
    ]


def test_it_resolves_a_relative_import_into_an_app_above(tmp_path: Path) -> None:
    plant(tmp_path, "peeka/accounts/z.py", "from ..faces import services\n")
    assert violations(tmp_path) == [
        "peeka/accounts/z.py:1: peeka.accounts imports peeka.faces (an app above it)"
    ]


def test_it_resolves_a_relative_import_of_a_sibling_package(tmp_path: Path) -> None:
    plant(tmp_path, "peeka/security/__init__.py", "from .. import accounts\n")
    assert violations(tmp_path) == [
        "peeka/security/__init__.py:1: peeka.security imports peeka.accounts (an app above it)"
    ]


def test_it_catches_a_relative_import_that_climbs_above_peeka(tmp_path: Path) -> None:
    plant(tmp_path, "peeka/faces/x.py", "from ... import settings\n")
    assert violations(tmp_path) == [
        "peeka/faces/x.py:1: peeka.faces imports ...settings"
        " (a relative import that climbs above the peeka package)"
    ]


def test_it_catches_imports_under_type_checking_and_inside_functions(tmp_path: Path) -> None:
    plant(
        tmp_path,
        "peeka/security/throttles.py",
        """
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from peeka.accounts.models import User


        def lock(user: User) -> None:
            import peeka.faces.services
        """,
    )
    assert violations(tmp_path) == [
        "peeka/security/throttles.py:4: peeka.security imports peeka.accounts.models"
        " (an app above it)",
        "peeka/security/throttles.py:8: peeka.security imports peeka.faces.services"
        " (an app above it)",
    ]


def test_it_catches_an_upward_import_in_a_data_migration(tmp_path: Path) -> None:
    plant(
        tmp_path,
        "peeka/security/migrations/0002_backfill.py",
        "from django.db import migrations\nfrom peeka.faces.services import face_check\n",
    )
    assert violations(tmp_path) == [
        "peeka/security/migrations/0002_backfill.py:2: peeka.security imports"
        " peeka.faces.services (an app above it)"
    ]


def test_it_catches_a_dynamic_import_and_a_plugin_path(tmp_path: Path) -> None:
    plant(
        tmp_path,
        "peeka/protection/registry.py",
        """
        import importlib

        SCHEMES = {"mine": "peeka.faces.schemes:Mine"}
        importlib.import_module("django.conf")
        """,
    )
    assert violations(tmp_path) == [
        "peeka/protection/registry.py:3: peeka.protection imports peeka.faces.schemes"
        " by dotted path (an app; the pure core never imports apps)",
        "peeka/protection/registry.py:4: peeka.protection imports django.conf dynamically"
        " (the pure core never imports Django)",
    ]


def test_it_catches_a_package_missing_from_the_layer_map(tmp_path: Path) -> None:
    plant(tmp_path, "peeka/shared/__init__.py")
    plant(tmp_path, "peeka/faces/x.py", "from peeka.shared import thing\n")
    assert violations(tmp_path) == [
        "peeka/faces/x.py:1: peeka.faces imports peeka.shared"
        " (not in the layer map; add it to tests/house_rules.py)",
        "peeka/shared/__init__.py:1: peeka.shared is not in the layer map;"
        " add it to tests/house_rules.py",
    ]


# Rule 3: the command line sits on top.


def test_it_catches_anything_importing_the_cli(tmp_path: Path) -> None:
    plant(tmp_path, "peeka/security/y.py", "import peeka.cli\n")
    plant(tmp_path, "peeka/errors.py", "from peeka.cli import main\n")
    plant(tmp_path, "peeka/biometrics/z.py", "from peeka import cli\n")
    assert violations(tmp_path) == [
        "peeka/biometrics/z.py:1: peeka.biometrics imports peeka.cli"
        " (the command line; nothing in peeka imports it)",
        "peeka/errors.py:1: peeka.errors imports peeka.cli"
        " (the command line; nothing in peeka imports it)",
        "peeka/security/y.py:1: peeka.security imports peeka.cli"
        " (the command line; nothing in peeka imports it)",
    ]


# Rule 4: views and API modules leave the audit log and lockouts to the flow functions.

WRITES = WRITES_REASON
READS = READS_REASON


def test_it_catches_a_view_writing_the_audit_log(tmp_path: Path) -> None:
    plant(
        tmp_path,
        "peeka/faces/views.py",
        """
        from peeka.security import services


        def login(request):
            services.audit_record(user=request.user, kind="face_login")
        """,
    )
    assert violations(tmp_path) == [
        f"peeka/faces/views.py:5: peeka.faces view uses services.audit_record ({WRITES})"
    ]


@pytest.mark.parametrize("name", ["audit_record", "lockout_failed", "lockout_succeeded"])
def test_it_catches_a_view_importing_an_audit_or_lockout_writer(tmp_path: Path, name: str) -> None:
    plant(
        tmp_path,
        "peeka/accounts/views.py",
        f"""
        from peeka.security.services import {name}


        def login(request):
            {name}(user=request.user)
        """,
    )
    assert violations(tmp_path) == [
        f"peeka/accounts/views.py:1: peeka.accounts view imports {name} ({WRITES})",
        f"peeka/accounts/views.py:5: peeka.accounts view uses {name} ({WRITES})",
    ]


def test_it_catches_an_api_module_writing_through_the_full_module_path(tmp_path: Path) -> None:
    plant(
        tmp_path,
        "peeka/api/api.py",
        """
        import peeka.security.services


        def verify(request):
            peeka.security.services.lockout_failed(user=request.user)
        """,
    )
    assert violations(tmp_path) == [
        f"peeka/api/api.py:5: peeka.api view uses peeka.security.services.lockout_failed ({WRITES})"
    ]


def test_it_catches_a_view_creating_an_audit_row(tmp_path: Path) -> None:
    plant(
        tmp_path,
        "peeka/wallet/views/pay.py",
        """
        from peeka.security import models


        def pay(request):
            models.AuditEvent.objects.create(user=request.user, kind="pay")
        """,
    )
    assert violations(tmp_path) == [
        "peeka/wallet/views/pay.py:5: peeka.wallet view calls"
        f" models.AuditEvent.objects.create ({WRITES})"
    ]


def test_it_catches_a_view_reading_the_audit_model(tmp_path: Path) -> None:
    plant(
        tmp_path,
        "peeka/web/views.py",
        """
        from peeka.security.models import AuditEvent


        def dashboard(request):
            return AuditEvent.objects.filter(user=request.user)
        """,
    )
    assert violations(tmp_path) == [
        f"peeka/web/views.py:1: peeka.web view imports AuditEvent ({READS})",
        f"peeka/web/views.py:5: peeka.web view uses AuditEvent ({READS})",
    ]


def test_it_leaves_audit_writes_to_services_even_in_the_api_app(tmp_path: Path) -> None:
    # peeka/api/ is the API *app*: its services are where such writes belong.
    plant(
        tmp_path,
        "peeka/api/services.py",
        """
        from peeka.security.models import AuditEvent
        from peeka.security.services import audit_record, lockout_failed

        AuditEvent.objects.create(kind="key_created")
        """,
    )
    assert violations(tmp_path) == []


# A tree that follows every rule reports nothing.


def test_it_accepts_a_tree_that_follows_the_rules(tmp_path: Path) -> None:
    plant(tmp_path, "peeka/__init__.py", '"""Peeka."""\n')
    plant(tmp_path, "peeka/errors.py", "class PeekaError(Exception): ...\n")
    plant(tmp_path, "peeka/plugins.py", "import importlib\n")
    plant(
        tmp_path,
        "peeka/biometrics/engine.py",
        """
        import numpy as np

        from peeka import errors
        from peeka.errors import PeekaError
        from peeka.plugins import instantiate

        DETECTORS = {"yunet": "peeka.biometrics.detectors:YuNet"}
        """,
    )
    plant(tmp_path, "peeka/protection/gallery.py", "from peeka.biometrics import engine\n")
    plant(tmp_path, "peeka/security/services.py", "from peeka.protection import vault\n")
    plant(
        tmp_path,
        "peeka/faces/services.py",
        """
        from typing import TYPE_CHECKING

        from peeka.accounts.models import User
        from peeka.security import services as security
        from peeka.security.models import AuditEvent
        from peeka.security.services import audit_record

        if TYPE_CHECKING:
            from ..accounts import selectors

        AuditEvent.objects.create(kind="face_login")
        """,
    )
    plant(
        tmp_path,
        "peeka/faces/views.py",
        """
        from . import selectors, services


        def login(request):
            return services.face_check(user=request.user, purpose="login")
        """,
    )
    plant(tmp_path, "peeka/faces/migrations/0003_move.py", "from django.db import migrations\n")
    plant(
        tmp_path, "peeka/api/api.py", "from ninja import Router\nfrom peeka.faces import services\n"
    )
    plant(tmp_path, "peeka/workplace/attendance/services.py", "from ..approvals import models\n")
    plant(
        tmp_path,
        "peeka/workplace/approvals/views.py",
        "import peeka.workplace.attendance.services\nfrom peeka.faces import services\n",
    )
    plant(
        tmp_path, "peeka/web/urls.py", "from peeka.coach import views\nfrom peeka import wallet\n"
    )
    plant(tmp_path, "peeka/cli/__init__.py", "from peeka.faces import services\n")
    plant(tmp_path, "peeka/cli/web.py", "from . import main\nfrom peeka.web import settings\n")
    assert violations(tmp_path) == []
