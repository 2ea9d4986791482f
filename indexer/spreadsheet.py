"""CSV files that are safe to open in a spreadsheet.

Cells hold suppliers' own words.  A spreadsheet runs a cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula
(``=HYPERLINK(...)`` can leak data or run commands), so, as OWASP advises
for CSV injection, such a cell is written with a leading apostrophe and
shows as the text the supplier typed.  Every CSV export goes through here.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """``value`` as a spreadsheet shows it as text; numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write ``rows`` under ``header`` (UTF-8, spreadsheet-safe cells)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([safe_cell(cell) for cell in row] for row in rows)
