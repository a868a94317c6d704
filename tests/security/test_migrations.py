"""The move of the audit log and the lockout counters into `peeka.security`: its migrations carry
every row over, and back again when unapplied (run on SQLite and PostgreSQL alike)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

Target = tuple[str, str | None]

# Just before the move. `("security", None)` unapplies the whole app and, with it, what depends
# on it (faces 0003-0004, accounts 0004); the other targets keep accounts at 0003_mfa and faces
# at 0002 (unapplying only their later migrations, never these).
BEFORE_THE_MOVE: list[Target] = [
    ("accounts", "0003_mfa"),
    ("faces", "0002_livenesschallenge"),
    ("api", "0001_initial"),
    ("security", None),
]

AUDIT_FIELDS = ("pk", "time", "user_id", "username", "event", "success", "reason", "ip",
                "user_agent")  # fmt: skip
COUNTERS = ("face_failures", "face_failed_at", "face_disabled", "otp_failures", "otp_failed_at",
            "otp_disabled")  # fmt: skip


def migrate(executor: MigrationExecutor, targets: Sequence[Target]) -> Apps:
    """Migrate the test database to `targets`; the historical models of that state."""
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([(app, name) for app, name in targets if name]).apps


def leaf_nodes(executor: MigrationExecutor) -> list[Target]:
    return list(executor.loader.graph.leaf_nodes())


@pytest.fixture
def executor(transactional_db: None) -> Iterator[MigrationExecutor]:
    """A migration executor on the test database, which is left migrated to the end (the schema
    the other tests expect) whatever the test does."""
    executor = MigrationExecutor(connection)
    if "security" not in executor.loader.migrated_apps:
        pytest.skip("the suite runs without migrations (--nomigrations)")
    try:
        yield executor
    finally:
        migrate(executor, leaf_nodes(executor))


def applied(executor: MigrationExecutor) -> set[tuple[str, str]]:
    """The applied migrations of the apps the move touches."""
    moved = {"accounts", "faces", "security"}
    return {key for key in executor.loader.applied_migrations if key[0] in moved}


def tables() -> set[str]:
    return set(connection.introspection.table_names())


def columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}


def seed(apps: Apps) -> dict[str, Any]:
    """Users with and without counters and two audit events, in the schema before the move."""
    User = apps.get_model("accounts", "User")
    AuditEvent = apps.get_model("faces", "AuditEvent")
    face = User.objects.create(username="face-counted", face_failures=7, face_failed_at=123.0,
                               face_disabled=False, otp_failures=0)  # fmt: skip
    both = User.objects.create(username="both-counted", face_disabled=True, face_failures=50,
                               otp_failures=3, otp_failed_at=456.0)  # fmt: skip
    clean = User.objects.create(username="clean")
    AuditEvent.objects.create(user=face, username="face-counted", event="face_login",
                              success=False, reason="no_match", ip="192.0.2.7",
                              user_agent="Mozilla/5.0 (pytest)")  # fmt: skip
    AuditEvent.objects.create(username="nobody", event="password_login", success=False,
                              reason="bad_credentials", ip="2001:db8::1")  # fmt: skip
    return {
        "face": face.pk,
        "both": both.pk,
        "clean": clean.pk,
        "audit": list(AuditEvent.objects.order_by("pk").values(*AUDIT_FIELDS)),
    }


def test_the_move_keeps_every_audit_event_and_lockout_counter(
    executor: MigrationExecutor,
) -> None:
    before = seed(migrate(executor, BEFORE_THE_MOVE))
    assert applied(executor) == {
        ("accounts", "0001_initial"),
        ("accounts", "0002_user_face_disabled_user_face_failed_at_and_more"),
        ("accounts", "0003_mfa"),
        ("faces", "0001_initial"),
        ("faces", "0002_livenesschallenge"),
    }
    assert "faces_auditevent" in tables() and "security_auditevent" not in tables()
    assert len(before["audit"]) == 2 and before["audit"][0]["user_id"] == before["face"]

    apps = migrate(executor, leaf_nodes(executor))

    AuditEvent = apps.get_model("security", "AuditEvent")
    Lockout = apps.get_model("security", "Lockout")
    assert list(AuditEvent.objects.order_by("pk").values(*AUDIT_FIELDS)) == before["audit"]
    # Every failure counted before strikes existed counted toward disabling: strikes = failures.
    assert set(Lockout.objects.values_list("user_id", "kind", "failures", "strikes",
                                           "failed_at", "disabled")) == {
        (before["face"], "face", 7, 7, 123.0, False),
        (before["both"], "face", 50, 50, None, True),
        (before["both"], "otp", 3, 3, 456.0, False),
    }  # fmt: skip
    assert not Lockout.objects.filter(user_id=before["clean"]).exists()
    assert "security_auditevent" in tables() and "faces_auditevent" not in tables()
    assert not columns("accounts_user") & set(COUNTERS)


def test_moving_back_puts_the_counters_on_the_users_and_the_audit_log_in_faces(
    executor: MigrationExecutor,
) -> None:
    before = seed(migrate(executor, BEFORE_THE_MOVE))
    apps = migrate(executor, leaf_nodes(executor))
    # What changed after the move goes back too: a new lockout, a raised count, a lockout
    # cleared by a success (no row: zero counters), a new event (a fresh id from the renamed
    # table's sequence).
    Lockout = apps.get_model("security", "Lockout")
    Lockout.objects.create(user_id=before["clean"], kind="otp", failures=1, failed_at=789.0)
    Lockout.objects.filter(user_id=before["face"], kind="face").update(failures=8)
    Lockout.objects.filter(user_id=before["both"], kind="otp").delete()
    new = apps.get_model("security", "AuditEvent").objects.create(
        user_id=before["clean"], username="clean", event="otp_login", success=False, reason="bad"
    )
    assert new.pk > before["audit"][-1]["pk"]

    apps = migrate(executor, BEFORE_THE_MOVE)

    assert "faces_auditevent" in tables() and "security_auditevent" not in tables()
    assert "security_lockout" not in tables()
    assert set(COUNTERS) <= columns("accounts_user")
    User = apps.get_model("accounts", "User")
    counters = {
        u["pk"]: tuple(u[c] for c in COUNTERS) for u in User.objects.values("pk", *COUNTERS)
    }
    assert counters == {
        before["face"]: (8, 123.0, False, 0, None, False),
        before["both"]: (50, None, True, 0, None, False),
        before["clean"]: (0, None, False, 1, 789.0, False),
    }
    AuditEvent = apps.get_model("faces", "AuditEvent")
    audit = list(AuditEvent.objects.order_by("pk").values(*AUDIT_FIELDS))
    assert audit[:2] == before["audit"]
    assert [(e["pk"], e["username"], e["event"]) for e in audit[2:]] == [
        (new.pk, "clean", "otp_login")
    ]
