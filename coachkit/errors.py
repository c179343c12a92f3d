"""Errors coachkit raises about the data it is given."""
from __future__ import annotations


class CoachkitDataError(ValueError):
    """Bad input data. The message names the table, file, row, column, what was found,
    what was expected and how to fix it; the same facts are attributes."""

    def __init__(self, message: str, *, table=None, file=None, row=None, column=None,
                 found=None, expected=None, problems=None):
        super().__init__(message)
        self.table, self.file, self.row, self.column = table, file, row, column
        self.found, self.expected = found, expected
        self.problems = problems   # DataFrame of every problem, when known


def describe_problem(p: dict) -> str:
    """One readable sentence for one problem row (table, file, row, column, value, reason)."""
    where = []
    if p.get("file"):
        where.append(f"{p['file']}")
    elif p.get("table"):
        where.append(f"table {p['table']}")
    if p.get("row") is not None:
        where.append(f"row {p['row']}")
    if p.get("column"):
        where.append(f"column {p['column']!r}")
    found = p.get("value")
    found_txt = "" if found is None else f": found {found!r}"
    return f"{', '.join(where)}{found_txt}; {p['reason']}"
