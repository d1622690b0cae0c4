"""Writing spreadsheet rows safely: text is written as text, never as a formula."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def append_row(ws: Any, values: Sequence[Any]) -> None:
    """Append `values` to the openpyxl worksheet `ws`. openpyxl stores a string starting with "="
    as a formula, which a spreadsheet program would run when an officer opens the export
    (formula injection) and which reads back empty; such strings are stored as plain text."""
    ws.append(list(values))
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"
