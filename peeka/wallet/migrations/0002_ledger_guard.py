"""The database refuses to change or delete ledger rows, and (PostgreSQL) an unbalanced
transaction: see peeka/wallet/ledger_sql.py."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from peeka.wallet.ledger_sql import guard_install, guard_remove


def install(apps: Any, schema_editor: Any) -> None:
    guard_install(schema_editor.connection)


def remove(apps: Any, schema_editor: Any) -> None:
    guard_remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
