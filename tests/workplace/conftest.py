"""Shared by the workplace's tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def approval_forms(request: pytest.FixtureRequest) -> None:
    """The forms a new deployment starts with (migration approvals 0002). A transactional test
    empties the tables when it ends, migrations' rows included, so they are put back for each
    test that uses the database."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    from django.apps import apps

    migration = __import__(
        "peeka.workplace.approvals.migrations.0002_default_forms", fromlist=["add_forms"]
    )
    migration.add_forms(apps, None)
