"""Cells of the CSV files Peeka hands out (the audit log, the members): a value starting with
=, +, - or @ is quoted, or a spreadsheet would run it as a formula (CSV injection)."""

from __future__ import annotations


def spreadsheet_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
