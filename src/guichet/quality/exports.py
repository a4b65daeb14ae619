"""The complaint register as CSV and XLSX, for ISO 9001 / ISO 10002 audits (REQ-CMP-21).

Spreadsheet programs run a cell that starts with = + - @ (or a tab / carriage return followed by
one) as a formula: a customer's "remedy sought" could then call out or run code on the
auditor's machine. Every such text cell gets a leading apostrophe (OWASP "CSV injection")."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal, date, datetime)) and not isinstance(value, bool):
        return value
    return neutralise(str(value))


def register_csv(headers: list[str], rows: list[list[object]]) -> bytes:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read the accents right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(h) for h in headers])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def register_xlsx(
    headers: list[str], rows: list[list[object]], *, title: str = "Complaints"
) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append([neutralise(h) for h in headers])
    for row in rows:
        values = []
        for v in row:
            v = _cell(v)
            values.append(float(v) if isinstance(v, Decimal) else v)
        sheet.append(values)
    # Explicitly mark text cells as strings: openpyxl would otherwise store "=…" as a formula.
    for row in sheet.iter_rows(min_row=1):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(header) + 2))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
