"""CSV export of the barometer, safe to open in a spreadsheet.

Cells that a spreadsheet would read as a formula (starting with = + - @, a tab or a carriage
return) get a leading apostrophe (OWASP "CSV injection"): customers write the comments."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def _figure_cells(figure: dict[str, Any]) -> list[Any]:
    return [
        figure.get("value"),
        figure.get("n"),
        figure.get("low"),
        figure.get("high"),
        figure.get("reason", ""),
    ]


def barometer_rows(
    data: dict[str, Any], charts: dict[str, Any], comments: list[Any]
) -> list[list[Any]]:
    """One table: the period's figures with comparisons, the monthly trend, then the comments."""
    rows: list[list[Any]] = [
        ["section", "metric", "period", "value", "n", "low", "high", "reason", "text"]
    ]
    for label, block in (
        ("period", data),
        ("previous", data["previous"]),
        ("last_year", data["last_year"]),
    ):
        span = (
            f"{data['period']['start']}..{data['period']['end']}"
            if label == "period"
            else f"{block['start']}..{block['end']}"
        )
        for name, figure in block["metrics"].items():
            rows.append([label, name, span, *_figure_cells(figure), ""])
    for name, points in charts["trend"]["series"].items():
        for month, figure in zip(charts["trend"]["months"], points, strict=True):
            rows.append(["trend", name, month, *_figure_cells(figure), ""])
    for answer in comments:
        rows.append(
            [
                "comment",
                "csat",
                answer.answered_at.date().isoformat(),
                answer.csat,
                "",
                "",
                "",
                "",
                answer.comment,
            ]
        )
    return rows
