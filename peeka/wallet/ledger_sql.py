"""The database's own guard of the ledger, installed by migration 0002: postings and
transactions are never updated or deleted (triggers on PostgreSQL and SQLite), and on
PostgreSQL every transaction's postings must sum to zero per currency, checked by a deferred
constraint trigger when they are written (`transaction_post` checks at once; anything else,
such as a raw INSERT, at COMMIT). SQLite has no deferred triggers: there `transaction_post`
checks the sums before its transaction commits."""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

BALANCED = "wallet_posting_balanced"
TABLES = ("wallet_posting", "wallet_transaction")

_POSTGRESQL_CREATE = f"""
CREATE OR REPLACE FUNCTION wallet_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'wallet ledger rows are append-only: % on %', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER wallet_posting_append_only BEFORE UPDATE OR DELETE ON wallet_posting
  FOR EACH ROW EXECUTE FUNCTION wallet_append_only();
CREATE TRIGGER wallet_transaction_append_only BEFORE UPDATE OR DELETE ON wallet_transaction
  FOR EACH ROW EXECUTE FUNCTION wallet_append_only();
CREATE OR REPLACE FUNCTION wallet_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT COUNT(*) FROM wallet_posting WHERE transaction_id = NEW.transaction_id) < 2
     OR EXISTS (SELECT 1 FROM wallet_posting WHERE transaction_id = NEW.transaction_id
                GROUP BY currency HAVING SUM(amount) <> 0) THEN
    RAISE EXCEPTION 'wallet transaction % does not balance', NEW.transaction_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER {BALANCED} AFTER INSERT ON wallet_posting
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wallet_balanced();
"""
_POSTGRESQL_DROP = f"""
DROP TRIGGER IF EXISTS {BALANCED} ON wallet_posting;
DROP TRIGGER IF EXISTS wallet_posting_append_only ON wallet_posting;
DROP TRIGGER IF EXISTS wallet_transaction_append_only ON wallet_transaction;
DROP FUNCTION IF EXISTS wallet_balanced();
DROP FUNCTION IF EXISTS wallet_append_only();
"""


def _sqlite_statements(drop: bool) -> list[str]:
    statements = []
    for table in TABLES:
        for operation in ("UPDATE", "DELETE"):
            name = f"{table}_no_{operation.lower()}"
            statements.append(
                f"DROP TRIGGER IF EXISTS {name}"
                if drop
                else f"CREATE TRIGGER {name} BEFORE {operation} ON {table} BEGIN "
                f"SELECT RAISE(ABORT, 'wallet ledger rows are append-only'); END"
            )
    return statements


def guard_install(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_POSTGRESQL_CREATE)
        elif connection.vendor == "sqlite":
            for statement in _sqlite_statements(drop=False):
                cursor.execute(statement)


def guard_remove(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_POSTGRESQL_DROP)
        elif connection.vendor == "sqlite":
            for statement in _sqlite_statements(drop=True):
                cursor.execute(statement)
