"""A Dataset: the canonical tables together, and the rules that hold across them."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import CoachkitDataError, describe_problem
from .schema import TABLES, empty_table

PROBLEM_COLUMNS = ["table", "file", "row", "column", "value", "reason"]


_NO_PROBLEMS = pd.DataFrame({c: pd.Series([], dtype="object") for c in PROBLEM_COLUMNS})


def no_problems() -> pd.DataFrame:
    return _NO_PROBLEMS.copy()


def _isin(s: pd.Series, values) -> np.ndarray:
    """``s.isin(values)``, done once per category for categorical columns."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        ok = pd.Index(s.cat.categories).isin(values)
        codes = s.cat.codes.to_numpy()
        return np.where(codes >= 0, ok[np.maximum(codes, 0)], False)
    return s.isin(values).to_numpy()


def _problems(table, mask, df, column, reason, file=None) -> pd.DataFrame:
    idx = np.flatnonzero(mask)
    if not len(idx):
        return no_problems()
    values = df[column].iloc[idx] if column else pd.Series([None] * len(idx))
    return pd.DataFrame({
        "table": table, "file": file, "row": df.index[idx].to_numpy(), "column": column,
        "value": values.astype("object").to_numpy(), "reason": reason,
    })


def table_problems(name: str, df: pd.DataFrame, *, file=None, check_nulls=True) -> pd.DataFrame:
    """Rules within one table: required cells, ranges, vocabularies, unique keys."""
    t = TABLES[name]
    out = []
    for col in t.columns:
        if col.name not in df.columns:
            if col.required:
                out.append(pd.DataFrame([{"table": name, "file": file, "row": None,
                                          "column": col.name, "value": None,
                                          "reason": f"missing column {col.name!r}; add it "
                                                    f"(required columns: {', '.join(t.required)})"}]))
            continue
        s = df[col.name]
        if check_nulls and not col.nullable:
            out.append(_problems(name, s.isna().to_numpy(), df, col.name,
                                 f"empty cell; {col.name} is required", file))
        num = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        if num and col.low is not None:
            out.append(_problems(name, (s < col.low).to_numpy(), df, col.name,
                                 f"below {col.low:g}; expected {col.low:g} to {col.high or ''}", file))
        if num and col.high is not None:
            out.append(_problems(name, (s > col.high).to_numpy(), df, col.name,
                                 f"above {col.high:g}; expected {col.low:g} to {col.high:g}", file))
        if col.allowed:
            bad = s.notna().to_numpy() & ~_isin(s, col.allowed)
            out.append(_problems(name, bad, df, col.name,
                                 "unknown value; expected one of " + ", ".join(col.allowed), file))
    if t.key and all(k in df.columns for k in t.key):
        dup = df.duplicated(list(t.key), keep="first").to_numpy()
        out.append(_problems(name, dup, df, t.key[0],
                             f"duplicate key ({', '.join(t.key)}) already on an earlier row", file))
    if name == "cycles" and {"start", "end"} <= set(df.columns):
        out.append(_problems(name, (df["end"] < df["start"]).to_numpy(), df, "end",
                             "cycle ends before it starts", file))
    return pd.concat([p for p in out if len(p)] or [no_problems()], ignore_index=True)


def reference_problems(name: str, df: pd.DataFrame, tables: dict, *, file=None) -> pd.DataFrame:
    """Rows whose references point at nothing (e.g. evidence for an unknown student)."""
    out = []
    for column, other, other_col in TABLES[name].references:
        ref = tables.get(other)
        if ref is None or not len(ref) or column not in df.columns:
            continue
        s = df[column]
        bad = s.notna().to_numpy() & ~_isin(s, ref[other_col].dropna().unique())
        out.append(_problems(name, bad, df, column,
                             f"unknown {column}: not in {other}.{other_col}; add it to "
                             f"{other} or correct the id", file))
    return pd.concat([p for p in out if len(p)] or [no_problems()], ignore_index=True)


def raise_first(problems: pd.DataFrame, what: str = "data"):
    if not len(problems):
        return
    problems = problems.sort_values("row", na_position="first", kind="stable",
                                    key=lambda r: pd.to_numeric(r, errors="coerce"))
    first = problems.iloc[0].to_dict()
    more = f" (and {len(problems) - 1} more problems; load with errors='report' to see " \
           f"them all)" if len(problems) > 1 else ""
    raise CoachkitDataError(
        f"Bad {what}: {describe_problem(first)}{more}",
        table=first["table"], file=first["file"], row=first["row"],
        column=first["column"], found=first["value"], expected=first["reason"],
        problems=problems)


def _canonical(table: str):
    """A Dataset field whose default is the empty canonical table of that name."""
    return field(default_factory=lambda: empty_table(table))


@dataclass(frozen=True)
class Dataset:
    """The canonical tables of one district (or one school), one attribute per table.

    Tables that a source does not have are empty DataFrames with the canonical columns.
    ``rejected`` holds the rows the loader turned away (table, file, row, column, value,
    reason): rows in = rows loaded + rows rejected.
    """
    schools: pd.DataFrame = _canonical("schools")
    classrooms: pd.DataFrame = _canonical("classrooms")
    students: pd.DataFrame = _canonical("students")
    targets: pd.DataFrame = _canonical("targets")
    evidence: pd.DataFrame = _canonical("evidence")
    cycles: pd.DataFrame = _canonical("cycles")
    diagnostics: pd.DataFrame = _canonical("diagnostics")
    survey_items: pd.DataFrame = _canonical("survey_items")
    survey_responses: pd.DataFrame = _canonical("survey_responses")
    conditions: pd.DataFrame = _canonical("conditions")
    # people and class membership from rostering exports (for role-scoped access)
    staff: pd.DataFrame = _canonical("staff")
    guardians: pd.DataFrame = _canonical("guardians")
    enrollments: pd.DataFrame = _canonical("enrollments")
    rejected: pd.DataFrame = field(default_factory=no_problems, compare=False)
    source: str | None = field(default=None, compare=False)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in TABLES}

    def replace(self, **changes) -> "Dataset":
        return dataclasses.replace(self, **changes)

    def problems(self) -> pd.DataFrame:
        """Every rule broken, within and across tables, as a table of problems."""
        tables = self.tables
        found = [table_problems(n, df) for n, df in tables.items()]
        found += [reference_problems(n, df, tables) for n, df in tables.items()]
        return pd.concat([p for p in found if len(p)] or [no_problems()], ignore_index=True)

    def validate(self) -> "Dataset":
        """Raise CoachkitDataError on the first broken rule; return self when all hold."""
        raise_first(self.problems(), "dataset")
        return self

    def summary(self) -> pd.DataFrame:
        """Rows per table, and how many were rejected on loading."""
        rej = (self.rejected.groupby("table", dropna=False).size() if len(self.rejected)
               else pd.Series(dtype=int))
        rows = [{"table": n, "rows": len(df), "rejected": int(rej.get(n, 0))}
                for n, df in self.tables.items()]
        # sources such as OneRoster reject rows of files that feed no table one-to-one
        rows += [{"table": str(n), "rows": 0, "rejected": int(k)}
                 for n, k in rej.items() if n not in self.tables]
        return pd.DataFrame(rows)

    def classroom(self, classroom_id: str) -> "Dataset":
        """The same dataset cut down to one classroom's students and their evidence."""
        students = self.students[self.students["classroom_id"] == classroom_id]
        ids = students["student_id"].unique()
        def keep(df):   # unused categories would still name other classrooms' students
            df = df[_isin(df["student_id"], ids)]
            if isinstance(df["student_id"].dtype, pd.CategoricalDtype):
                df = df.assign(student_id=df["student_id"].cat.remove_unused_categories())
            return df
        return self.replace(
            students=students,
            classrooms=self.classrooms[self.classrooms["classroom_id"] == classroom_id],
            evidence=keep(self.evidence), diagnostics=keep(self.diagnostics))

    def check_cycle(self, cycle) -> int:
        """CYCLE as a whole number, or ValueError naming the cycles the data has."""
        known = sorted(set(self.cycles["cycle_id"].astype(int)))
        try:
            number = int(cycle)
        except (TypeError, ValueError):
            number = None
        if number not in known:
            raise ValueError(f"unknown cycle {cycle!r}; the data has cycles "
                             f"{', '.join(map(str, known)) or 'none'}")
        return number

    def through_cycle(self, cycle) -> "Dataset":
        """The dataset as the team saw it at the end of CYCLE: evidence and diagnostics
        dated up to that cycle's last day (this dataset itself is unchanged)."""
        cycles = self.cycles.set_index(self.cycles["cycle_id"].astype(int))
        end = cycles.loc[self.check_cycle(cycle), "end"]
        return self.replace(evidence=self.evidence[self.evidence["date"] <= end],
                            diagnostics=self.diagnostics[self.diagnostics["date"] <= end])

    def __repr__(self) -> str:
        sizes = ", ".join(f"{n}={len(df)}" for n, df in self.tables.items() if len(df))
        return f"Dataset({sizes})"

