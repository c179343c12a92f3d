"""The canonical tables: their columns, types, keys and references.

Every loader maps its input onto these columns; nothing downstream knows where the
data came from. Each column has a *kind* that says how raw text is parsed and which
pandas dtype holds it in memory:

===========  ===================================================  ==================
kind         accepts                                               dtype
===========  ===================================================  ==================
``id``       any non-empty text (whitespace trimmed)               ``category`` in big
                                                                   tables, else ``str``
``text``     any text                                              ``str``
``category`` text from a small set                                 ``category``
``grade``    ``K``/``KG``/``0`` … ``12``                           ``int8`` (K = 0)
``int``      whole numbers                                         ``int16``/``int32``
``float``    numbers                                               ``float32/64``
``score``    ``3``, ``3.0``, ``2.5``, a level word (Beginning,     ``float32``, 1–4
             Developing, Proficient, Extending) or a stage
             (i-learn, i-practice, i-show)
``likert``   1–4                                                    ``int8``
``date``     ISO ``2025-09-14`` or US ``9/14/2025``                 ``datetime64``
``bool``     true/false, yes/no, y/n, 1/0, sí                      ``bool``
===========  ===================================================  ==================
"""
from __future__ import annotations

from dataclasses import dataclass, field

SCALE_MIN, SCALE_MAX = 1.0, 4.0
MASTERY_LINE = 3.0


def grade_label(grade) -> str:
    """How a grade is written for people: ``K`` for kindergarten (stored as 0), else the
    number."""
    return "K" if int(grade) == 0 else str(int(grade))

LEVELS = {1: "Beginning", 2: "Developing", 3: "Proficient", 4: "Extending"}
STAGES = ("i-learn", "i-practice", "i-show")
EVIDENCE_KINDS = ("formative", "summative", "retake", "observation", "self")
RESPONDENTS = ("student", "staff")
STAFF_ROLES = ("teacher", "administrator", "aide", "proctor", "counselor", "principal",
               "districtAdministrator", "siteAdministrator", "systemAdministrator")
GUARDIAN_ROLES = ("guardian", "parent", "relative")
ENROLLMENT_ROLES = ("student", "teacher", "aide", "proctor", "administrator", "guardian")
CONDITIONS = (
    "shared vision", "culture", "agency", "transparency", "partnerships", "curriculum",
    "instruction", "comprehensive assessment system", "flexible learning environments",
    "supports", "professional development", "leadership development",
)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = True          # the column must be present in a file
    nullable: bool = False         # an empty cell is allowed
    dtype: str | None = None       # overrides the kind's default dtype
    allowed: tuple | None = None   # for category columns with a fixed vocabulary
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()                    # unique together
    references: tuple[tuple[str, str, str], ...] = ()   # (column, table, column)
    extra_columns: bool = False                  # keep unknown columns (subgroups)
    big: bool = False                            # ids stored as category to save memory

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


C = Column
TABLES: dict[str, Table] = {t.name: t for t in [
    Table("schools", (C("school_id", "id"), C("name", "text")), key=("school_id",)),
    Table("classrooms", (
        C("classroom_id", "id"), C("school_id", "id"), C("grade", "grade"),
        C("teacher", "text"), C("subject", "category", required=False, nullable=True),
    ), key=("classroom_id",), references=(("school_id", "schools", "school_id"),)),
    Table("students", (
        C("student_id", "id"), C("first_name", "text"), C("last_name", "text"),
        C("grade", "grade"), C("classroom_id", "id"), C("school_id", "id"),
        C("ell", "bool"), C("iep", "bool"), C("home_language", "category"),
        C("birth_date", "date", required=False, nullable=True),
    ), key=("student_id",), references=(
        ("classroom_id", "classrooms", "classroom_id"), ("school_id", "schools", "school_id"))),
    Table("targets", (
        C("target_id", "id"), C("subject", "category"), C("grade", "grade"),
        C("sequence", "int", dtype="int16", low=0), C("unit", "text"), C("code", "text"),
        C("statement", "text"),
        C("portrait_attribute", "category", required=False, nullable=True),
        # the statement in Spanish and in a student's own words (learner profile)
        C("statement_es", "text", required=False, nullable=True),
        C("student_statement", "text", required=False, nullable=True),
        C("student_statement_es", "text", required=False, nullable=True),
    ), key=("target_id",)),
    Table("evidence", (
        C("student_id", "id"), C("target_id", "id"), C("date", "date"),
        C("score", "score", low=SCALE_MIN, high=SCALE_MAX),
        C("kind", "category", allowed=EVIDENCE_KINDS),
        C("source", "category", required=False, nullable=True),
    ), references=(("student_id", "students", "student_id"),
                   ("target_id", "targets", "target_id")), big=True),
    Table("cycles", (
        C("cycle_id", "int", dtype="int16", low=1), C("start", "date"), C("end", "date"),
        C("school_year", "category"),
    ), key=("cycle_id",)),
    Table("diagnostics", (
        C("student_id", "id"), C("subject", "category"), C("domain", "category"),
        C("date", "date"), C("scale_score", "float", dtype="float32"),
        C("placement", "category", nullable=True),
    ), references=(("student_id", "students", "student_id"),), big=True),
    Table("survey_items", (
        C("item_id", "id"), C("construct", "category"),
        C("respondent", "category", allowed=RESPONDENTS), C("text", "text"),
        C("reverse", "bool", required=False, nullable=True),
    ), key=("item_id",)),
    Table("survey_responses", (
        C("respondent_id", "id"), C("respondent", "category", allowed=RESPONDENTS),
        C("school_id", "id"), C("year", "int", dtype="int16"), C("item_id", "id"),
        C("value", "likert", low=1, high=4, nullable=True),
    ), references=(("item_id", "survey_items", "item_id"),
                   ("school_id", "schools", "school_id")),
        extra_columns=True, big=True),
    Table("conditions", (
        C("school_id", "id"), C("year", "int", dtype="int16"),
        C("condition", "category", allowed=CONDITIONS),
        C("rating", "float", dtype="float32", low=1, high=4),
        C("note", "text", required=False, nullable=True),
    ), key=("school_id", "year", "condition")),
    # People other than students, and who is in which class: from rostering exports
    # (OneRoster), kept for role-scoped access (a teacher sees their classes).
    Table("staff", (
        C("staff_id", "id"), C("first_name", "text", nullable=True), C("last_name", "text"),
        C("role", "category", allowed=STAFF_ROLES), C("school_id", "id", required=False, nullable=True),
        C("email", "text", required=False, nullable=True),
    ), key=("staff_id",)),
    Table("guardians", (
        C("guardian_id", "id"), C("student_id", "id"), C("first_name", "text", nullable=True),
        C("last_name", "text"), C("relationship", "category", allowed=GUARDIAN_ROLES),
        C("email", "text", required=False, nullable=True),
    ), key=("guardian_id", "student_id"), references=(("student_id", "students", "student_id"),)),
    Table("enrollments", (
        C("classroom_id", "id"), C("person_id", "id"), C("role", "category", allowed=ENROLLMENT_ROLES),
        C("primary", "bool", required=False, nullable=True),
    ), key=("classroom_id", "person_id"),
        references=(("classroom_id", "classrooms", "classroom_id"),)),
]}

# Tables a dataset must have; the others may be absent (empty).
CORE_TABLES = ("schools", "classrooms", "students", "targets", "evidence")
# "district" stands for the whole district in conditions ratings.
DISTRICT = "district"


def dtype_for(table: Table, col: Column) -> str:
    """The pandas dtype a column is held in (the schema's decision, used by every loader)."""
    if col.dtype:
        return col.dtype
    return {
        "id": "category" if table.big else "str",
        "text": "str",
        "category": "category",
        "grade": "int8",
        "int": "int32",
        "float": "float64",
        "score": "float32",
        "likert": "float32",
        "date": "datetime64[ns]",
        "bool": "boolean" if col.nullable else "bool",
    }[col.kind]


def empty_table(name: str):
    """An empty DataFrame with the table's columns and dtypes."""
    import pandas as pd

    t = TABLES[name]
    return pd.DataFrame({c.name: pd.Series([], dtype=dtype_for(t, c)) for c in t.columns})
