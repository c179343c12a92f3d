"""OneRoster 1.0, 1.1 and 1.2 CSV (1EdTech) <-> the canonical tables.

The version comes from the manifest (or the headers when there is none: 1.0 has no
manifest) and each file is read by its own binding (``SPECS``); 1.1 gradebooks reach
targets through ``line_item_targets`` (line-item titles, a column, or a mapping file).
What follows describes the 1.2 binding, the one ``write_oneroster`` writes.

Follows the *OneRoster 1.2 CSV Binding* (Final Release, 1EdTech): a zip (or folder) of
CSV files with ``manifest.csv`` (``propertyName,value``: ``manifest.version``,
``oneroster.version`` = ``1.2``, ``file.<name>`` = ``bulk`` | ``delta`` | ``absent``).
UTF-8, BOM tolerated, headers case-sensitive and in the binding's order, extension
columns named ``metadata.*`` at the end; in 1.2 users carry no role (``roles.csv``) and
learning objectives hang off ``lineItemLearningObjectiveIds.csv`` /
``resultLearningObjectiveIds.csv`` (``source`` = ``case`` | ``unknown``; a CASE id is a
UUID URN).

What lands where (see docs/data-sources.md for the full mapping):

* ``orgs.csv`` type ``school`` -> **schools**
* ``classes.csv`` (+ ``courses.csv``, the primary teacher's enrollment) -> **classrooms**
* ``users.csv`` teachers/administrators -> **staff**, guardians/parents -> **guardians**,
  ``enrollments.csv`` -> **enrollments**
* ``users.csv`` with a ``student`` role in ``roles.csv`` (+ ``enrollments.csv`` for the
  classroom, ``demographics.csv`` for birth date and the ELL/IEP/home-language
  extension columns) -> **students**
* the CASE package next to the CSVs, or ``targets=``, or (failing both) the learning
  objective ids themselves -> **targets**
* ``results.csv`` x learning objectives -> **evidence**, scores mapped onto 1-4 through
  the score scale (``resultScoreScales.csv`` > ``lineItemScoreScales.csv`` > the class's
  only ``scoreScales.csv`` row); kind from ``categories.csv`` titles
* ``academicSessions.csv`` of type ``ext:cycle`` -> **cycles** (``endDate`` is exclusive)

Bulk and delta: pass several exports in order (``load_oneroster([bulk, delta1, …])``).
A bulk file replaces that file's records (records it no longer lists count as
``tobedeleted``); a delta file updates records by ``sourcedId``; records whose ``status``
is ``tobedeleted`` are removed, with whatever hangs off them. Where a real export departs
from the binding (header case, column order, missing optional columns, extra columns
without ``metadata.``, Windows-1252, a bulk file with statuses, a 1.1 users.csv with a
role column …) the export is read as it is and a :class:`OneRosterWarning` says what differed.
"""
from __future__ import annotations

import codecs
import io
import re
import warnings
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from ..dataset import Dataset, no_problems, raise_first
from ..errors import CoachkitDataError
from ..schema import CORE_TABLES, ENROLLMENT_ROLES, GUARDIAN_ROLES, LEVELS, STAFF_ROLES, TABLES, grade_label
from .case import (GRADE_CODES, load_case_details, case_identifier, case_package, normalize_uuid,
                   parse_grade_code)
from .coerce import LEVEL_WORDS, OFFSET, STAGE_SCORES, local_zone, parse_dates
from .kinds import CategoryKinds, read_kind_map

__all__ = ["load_oneroster", "write_oneroster", "read_manifest", "OneRosterWarning", "OneRosterNotice",
           "ONEROSTER_FILES", "SPEC"]


class OneRosterWarning(UserWarning):
    """A OneRoster export that departs from the binding but could still be read."""


class OneRosterNotice(UserWarning):
    """Something worth knowing about a (conforming) export: results that are not evidence,
    records removed with a deleted record, targets made up without a CASE package."""


Y, D, N = "yes", "delta", "no"     # required: always / in delta files / optional
_META = [("sourcedId", Y), ("status", D), ("dateLastModified", D)]
# Column order and requirement per file, from the binding's tables (section 3).
SPEC: dict[str, list[tuple[str, str]]] = {
    "academicSessions": _META + [("title", Y), ("type", Y), ("startDate", Y), ("endDate", Y),
                                 ("parentSourcedId", N), ("schoolYear", Y)],
    "categories": _META + [("title", Y), ("weight", N)],
    "classes": _META + [("title", Y), ("grades", N), ("courseSourcedId", Y), ("classCode", N),
                        ("classType", Y), ("location", N), ("schoolSourcedId", Y),
                        ("termSourcedIds", Y), ("subjects", N), ("subjectCodes", N), ("periods", N)],
    "classResources": _META + [("title", N), ("classSourcedId", Y), ("resourceSourcedId", Y)],
    "courses": _META + [("schoolYearSourcedId", N), ("title", Y), ("courseCode", N), ("grades", N),
                        ("orgSourcedId", Y), ("subjects", N), ("subjectCodes", N)],
    "courseResources": _META + [("title", N), ("courseSourcedId", Y), ("resourceSourcedId", Y)],
    "demographics": _META + [("birthDate", N), ("sex", N), ("americanIndianOrAlaskaNative", N),
                             ("asian", N), ("blackOrAfricanAmerican", N),
                             ("nativeHawaiianOrOtherPacificIslander", N), ("white", N),
                             ("demographicRaceTwoOrMoreRaces", N), ("hispanicOrLatinoEthnicity", N),
                             ("countryOfBirthCode", N), ("stateOfBirthAbbreviation", N),
                             ("cityOfBirth", N), ("publicSchoolResidenceStatus", N)],
    "enrollments": _META + [("classSourcedId", Y), ("schoolSourcedId", Y), ("userSourcedId", Y),
                            ("role", Y), ("primary", N), ("beginDate", N), ("endDate", N)],
    "lineItemLearningObjectiveIds": _META + [("lineItemSourcedId", Y), ("source", Y),
                                             ("learningObjectiveId", Y)],
    "lineItems": _META + [("title", Y), ("description", N), ("assignDate", Y), ("dueDate", Y),
                          ("classSourcedId", Y), ("categorySourcedId", Y),
                          ("academicSessionSourcedId", Y), ("resultValueMin", N),
                          ("resultValueMax", N), ("schoolSourcedId", Y)],
    "lineItemScoreScales": _META + [("title", N), ("lineItemSourcedId", Y), ("scoreScaleSourcedId", Y)],
    "orgs": _META + [("name", Y), ("type", Y), ("identifier", N), ("parentSourcedId", N)],
    "resources": _META + [("vendorResourceId", Y), ("title", N), ("roles", N), ("importance", N),
                          ("vendorId", N), ("applicationId", N)],
    "resultLearningObjectiveIds": _META + [("resultSourcedId", Y), ("source", Y),
                                           ("learningObjectiveId", Y), ("score", N), ("textScore", N)],
    "results": _META + [("lineItemSourcedId", Y), ("studentSourcedId", Y), ("scoreStatus", Y),
                        ("score", N), ("scoreDate", Y), ("comment", N), ("textScore", N),
                        ("classSourcedId", N), ("inProgress", N), ("incomplete", N), ("late", N),
                        ("missing", N)],
    "resultScoreScales": _META + [("title", N), ("resultSourcedId", Y), ("scoreScaleSourcedId", Y)],
    "roles": _META + [("userSourcedId", Y), ("roleType", Y), ("role", Y), ("beginDate", N),
                      ("endDate", N), ("orgSourcedId", Y), ("userProfileSourcedId", N)],
    "scoreScales": _META + [("title", Y), ("type", Y), ("orgSourcedId", Y), ("courseSourcedId", Y),
                            ("classSourcedId", Y), ("scoreScaleValue", Y)],
    "userProfiles": _META + [("userSourcedId", Y), ("profileType", Y), ("vendorId", Y),
                             ("applicationId", N), ("description", N), ("credentialType", Y),
                             ("username", Y), ("password", N)],
    "userResources": _META + [("userSourcedId", Y), ("orgSourcedId", N), ("classSourcedId", N),
                              ("resourceSourcedId", Y)],
    "users": _META + [("enabledUser", Y), ("username", Y), ("userIds", N), ("givenName", Y),
                      ("familyName", Y), ("middleName", N), ("identifier", N), ("email", N),
                      ("sms", N), ("phone", N), ("agentSourcedIds", N), ("grades", N),
                      ("password", N), ("userMasterIdentifier", N), ("resourceSourcedIds", N),
                      ("preferredGivenName", N), ("preferredMiddleName", N),
                      ("preferredFamilyName", N), ("primaryOrgSourcedId", N), ("pronouns", N)],
}
# OneRoster 1.1 CSV binding (Final Release, IMS 2017), section 3: 13 data files, roles on
# users.csv (role, orgSourcedIds), lineItems tied to a gradingPeriodSourcedId, no school on
# line items, no score scales and no learning objectives.
# Files 1.2 took over unchanged are the 1.2 entries themselves.
SPEC_11: dict[str, list[tuple[str, str]]] = {
    "academicSessions": SPEC["academicSessions"],
    "categories": _META + [("title", Y)],
    "classes": SPEC["classes"],
    "classResources": SPEC["classResources"],
    "courses": SPEC["courses"],
    "courseResources": SPEC["courseResources"],
    "demographics": SPEC["demographics"],
    "enrollments": SPEC["enrollments"],
    "lineItems": _META + [("title", Y), ("description", N), ("assignDate", Y), ("dueDate", Y),
                          ("classSourcedId", Y), ("categorySourcedId", Y),
                          ("gradingPeriodSourcedId", Y), ("resultValueMin", Y),
                          ("resultValueMax", Y)],
    "orgs": SPEC["orgs"],
    "resources": SPEC["resources"],
    "results": _META + [("lineItemSourcedId", Y), ("studentSourcedId", Y), ("scoreStatus", Y),
                        ("score", Y), ("scoreDate", Y), ("comment", N)],
    "users": _META + [("enabledUser", Y), ("orgSourcedIds", Y), ("role", Y), ("username", Y),
                      ("userIds", N), ("givenName", Y), ("familyName", Y), ("middleName", N),
                      ("identifier", N), ("email", N), ("sms", N), ("phone", N),
                      ("agentSourcedIds", N), ("grades", N), ("password", N)],
}
# OneRoster 1.0 CSV (IMS 2015): seven files, no manifest, singular grade/termSourcedId/agents,
# demographics keyed by userSourcedId, status may be "inactive".
SPEC_10: dict[str, list[tuple[str, str]]] = {
    "orgs": SPEC["orgs"],
    "users": _META + [("orgSourcedIds", Y), ("role", Y), ("username", Y), ("userId", N),
                      ("givenName", Y), ("familyName", Y), ("identifier", N), ("email", N),
                      ("sms", N), ("phone", N), ("agents", N)],
    "courses": _META + [("schoolYearId", N), ("title", Y), ("courseCode", N), ("grade", N),
                        ("orgSourcedId", Y), ("subjects", N)],
    "classes": _META + [("title", Y), ("grade", N), ("courseSourcedId", Y), ("classCode", N),
                        ("classType", Y), ("location", N), ("schoolSourcedId", Y),
                        ("termSourcedId", Y), ("subjects", N)],
    "enrollments": _META + [("classSourcedId", Y), ("schoolSourcedId", Y), ("userSourcedId", Y),
                            ("role", Y), ("primary", N)],
    "academicSessions": _META + [("title", Y), ("type", Y), ("startDate", Y), ("endDate", Y),
                                 ("parentSourcedId", N)],
    "demographics": [("userSourcedId", Y), ("status", D), ("dateLastModified", D),
                     ("birthdate", N), ("sex", N), ("americanIndianOrAlaskaNative", N),
                     ("asian", N), ("blackOrAfricanAmerican", N),
                     ("nativeHawaiianOrOtherPacificIslander", N), ("white", N),
                     ("demographicRaceTwoOrMoreRaces", N), ("hispanicOrLatinoEthnicity", N),
                     ("countryOfBirthCode", N), ("stateOfBirthAbbreviation", N), ("cityOfBirth", N),
                     ("publicSchoolResidenceStatus", N)],
}
# A version's column name -> the name the reader works with (1.2's), per file.
AS_12 = {
    "1.1": {"lineItems": {"gradingPeriodSourcedId": "academicSessionSourcedId"}},
    "1.0": {"users": {"userId": "userIds", "agents": "agentSourcedIds"},
            "courses": {"schoolYearId": "schoolYearSourcedId", "grade": "grades"},
            "classes": {"grade": "grades", "termSourcedId": "termSourcedIds"},
            "demographics": {"userSourcedId": "sourcedId", "birthdate": "birthDate"}},
}
SPECS = {"1.2": SPEC, "1.1": SPEC_11, "1.0": SPEC_10}
# The manifest's file.<name> rows, in the order of the binding's Table 3.1.
ONEROSTER_FILES = ("academicSessions", "categories", "classes", "classResources", "courses",
                   "courseResources", "demographics", "enrollments", "lineItemLearningObjectiveIds",
                   "lineItems", "lineItemScoreScales", "orgs", "resources",
                   "resultLearningObjectiveIds", "results", "resultScoreScales", "roles",
                   "scoreScales", "userProfiles", "userResources", "users")
assert set(ONEROSTER_FILES) == set(SPEC)
MODES = ("bulk", "delta", "absent")
STATUSES = ("active", "tobedeleted")
# GUID references: (file, column, referenced file, is a list)
REFERENCES = [
    ("academicSessions", "parentSourcedId", "academicSessions", False),
    ("orgs", "parentSourcedId", "orgs", False),
    ("courses", "orgSourcedId", "orgs", False),
    ("courses", "schoolYearSourcedId", "academicSessions", False),
    ("classes", "courseSourcedId", "courses", False),
    ("classes", "schoolSourcedId", "orgs", False),
    ("classes", "termSourcedIds", "academicSessions", True),
    ("users", "primaryOrgSourcedId", "orgs", False),
    ("roles", "userSourcedId", "users", False),
    ("roles", "orgSourcedId", "orgs", False),
    ("demographics", "sourcedId", "users", False),
    ("enrollments", "classSourcedId", "classes", False),
    ("enrollments", "schoolSourcedId", "orgs", False),
    ("enrollments", "userSourcedId", "users", False),
    ("scoreScales", "orgSourcedId", "orgs", False),
    ("scoreScales", "courseSourcedId", "courses", False),
    ("scoreScales", "classSourcedId", "classes", False),
    ("lineItems", "classSourcedId", "classes", False),
    ("lineItems", "categorySourcedId", "categories", False),
    ("lineItems", "academicSessionSourcedId", "academicSessions", False),
    ("lineItems", "schoolSourcedId", "orgs", False),
    ("lineItemScoreScales", "lineItemSourcedId", "lineItems", False),
    ("lineItemScoreScales", "scoreScaleSourcedId", "scoreScales", False),
    ("lineItemLearningObjectiveIds", "lineItemSourcedId", "lineItems", False),
    ("results", "lineItemSourcedId", "lineItems", False),
    ("results", "studentSourcedId", "users", False),
    ("results", "classSourcedId", "classes", False),
    ("resultScoreScales", "resultSourcedId", "results", False),
    ("resultScoreScales", "scoreScaleSourcedId", "scoreScales", False),
    ("resultLearningObjectiveIds", "resultSourcedId", "results", False),
]
# References coachkit can do without: a bad one is a notice and the record stays.
OPTIONAL_REFERENCES = {
    ("academicSessions", "parentSourcedId"), ("orgs", "parentSourcedId"),
    ("courses", "orgSourcedId"), ("courses", "schoolYearSourcedId"),
    ("classes", "courseSourcedId"), ("classes", "termSourcedIds"),
    ("users", "primaryOrgSourcedId"), ("roles", "orgSourcedId"),
    ("enrollments", "schoolSourcedId"), ("scoreScales", "orgSourcedId"),
    ("scoreScales", "courseSourcedId"), ("scoreScales", "classSourcedId"),
    ("lineItems", "categorySourcedId"), ("lineItems", "academicSessionSourcedId"),
    ("lineItems", "schoolSourcedId"), ("results", "classSourcedId"),
}
# Files in dependency order (a file's references point to files before it).
READ_ORDER = ("orgs", "academicSessions", "categories", "courses", "classes", "users", "roles",
              "demographics", "enrollments", "scoreScales", "lineItems", "lineItemScoreScales",
              "lineItemLearningObjectiveIds", "results", "resultScoreScales",
              "resultLearningObjectiveIds")
# Which canonical table a rejected row of a file feeds (other files keep their own name).
# users.csv holds students, staff and guardians alike: its rows keep the file's name.
FEEDS = {"orgs": "schools", "classes": "classrooms", "results": "evidence",
         "academicSessions": "cycles"}
GUID_RE = re.compile(r"^[0-9A-Za-z.\-_/@]+$")
CYCLE_TYPE = "ext:cycle"

# Extension columns (in demographics.csv or users.csv) read as the students' subgroup flags.
# Names are compared without the "metadata." prefix, case and punctuation.
FLAG_COLUMNS = {
    "ell": ("ell", "ellstatus", "englishlearner", "englishlanguagelearner", "el", "elstatus",
            "lep", "lepstatus", "limitedenglishproficiency", "englishlearnerstatus"),
    "iep": ("iep", "iepstatus", "hasiep", "specialeducation", "specialeducationstatus", "sped",
            "swd", "studentwithdisability", "idea"),
    "home_language": ("homelanguage", "homelanguagecode", "languagespokenathome", "primarylanguage",
                      "nativelanguage", "firstlanguage"),
}
NO_TEACHER = "(no teacher listed)"
SKIP_SCORE_STATUS = ("exempt", "not submitted")


# ---------------------------------------------------------------------------- reading files

class Package:
    """One OneRoster export: a zip or a folder. Files are found at the root (or, with a
    warning, inside the single folder a zip tool wrapped them in)."""

    def __init__(self, path, warn):
        self.path = Path(path)
        self.warn = warn
        if not self.path.exists():
            raise FileNotFoundError(f"{self.path}: no such file or folder")
        if self.path.is_dir():
            self.zip = None
            names = [p.name for p in self.path.iterdir() if p.is_file()]
        elif self.path.suffix.lower() == ".zip":
            self.zip = zipfile.ZipFile(self.path)
            names = [n for n in self.zip.namelist() if not n.endswith("/")]
        else:
            raise CoachkitDataError(f"{self.path}: a OneRoster export is a .zip file or a folder "
                                    f"holding manifest.csv", file=str(self.path))
        self.prefix = ""
        if self.zip is not None and "manifest.csv" not in {n.lower() for n in names}:
            nested = [n for n in names if n.lower().endswith("/manifest.csv")]
            if len(nested) == 1:
                self.prefix = nested[0][: -len("manifest.csv")]
                warn(f"{self.path}: the files sit in the folder {self.prefix!r} inside the zip; "
                     f"the binding puts them at the root. Read them there.")
        self.names = {}
        for n in names:
            if n.startswith(self.prefix) and "/" not in n[len(self.prefix):]:
                self.names[n[len(self.prefix):]] = n

    def label(self, name: str) -> str:
        return str(self.path / name)

    def find(self, name: str) -> str | None:
        """The member holding NAME.csv; case-insensitive, with a warning on a case mismatch."""
        want = f"{name}.csv"
        if want in self.names:
            return want
        for n in self.names:
            if n.lower() == want.lower():
                self.warn(f"{self.label(n)}: the binding names this file {want!r} (names are "
                          f"case-sensitive); read it anyway")
                return n
        return None

    def read_bytes(self, member: str) -> bytes:
        if self.zip is not None:
            return self.zip.read(self.names[member])
        return (self.path / member).read_bytes()

    def json_members(self):
        return [n for n in self.names if n.lower().endswith(".json")]

    def close(self):
        if self.zip is not None:
            self.zip.close()


def _decode(raw: bytes, label: str, warn) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        return raw[3:].decode("utf-8", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        warn(f"{label}: not UTF-8 as the binding requires; read as Windows-1252")
        return raw.decode("cp1252", errors="replace")


def _read_csv(pkg: Package, member: str, warn) -> pd.DataFrame:
    label = pkg.label(member)
    text = _decode(pkg.read_bytes(member), label, warn)
    if not text.strip():
        return pd.DataFrame()
    try:    # pyarrow's reader is several times faster on big results files
        df = pd.read_csv(io.BytesIO(text.encode("utf-8")), dtype=str, keep_default_na=False,
                         engine="pyarrow")
    except Exception:   # ragged rows and other oddities: the C reader copes or says where
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    df.columns = [str(c).strip() for c in df.columns]
    return df.apply(lambda s: s.str.strip())


def read_manifest(path) -> dict[str, str]:
    """The manifest's property/value pairs of a OneRoster zip or folder."""
    found: list[str] = []
    pkg = Package(path, found.append)
    try:
        props, problems = _manifest(pkg, found.append)
    finally:
        pkg.close()
    raise_first(problems, "manifest")
    return props


def version_from_headers(pkg: "Package") -> str | None:
    """No manifest (OneRoster 1.0 has none; some 1.1 tools leave it out): the version the
    headers show. None when the folder holds no OneRoster file at all."""
    def header(name):
        member = pkg.find(name)
        if member is None:
            return None
        first = _decode(pkg.read_bytes(member)[:4096], pkg.label(member), lambda m: None)
        return [c.strip().strip('"') for c in first.splitlines()[0].split(",")] if first.strip() else []
    users, demo, items = header("users"), header("demographics"), header("lineItems")
    if users is None and header("orgs") is None and header("enrollments") is None:
        return None
    if (users and ({"agents", "userId"} & set(users))) or (demo and "userSourcedId" in demo):
        return "1.0"
    if (users and "role" in users and pkg.find("roles") is None) or \
            (items and "gradingPeriodSourcedId" in items):
        return "1.1"
    return "1.2"


def _manifest(pkg: Package, warn) -> tuple[dict[str, str], pd.DataFrame]:
    member = pkg.find("manifest")
    label = pkg.label("manifest.csv")
    detected = version_from_headers(pkg) if member is None else None
    if member is None and detected is not None:
        warn(f"{pkg.path}: no manifest.csv; the headers read as OneRoster {detected}, and every "
             f"file present was read as bulk")
        props = {"oneroster.version": detected, "_rows": {}}
        for name in ONEROSTER_FILES:
            props[f"file.{name}"] = "bulk" if pkg.find(name) else "absent"
        return props, no_problems()
    if member is None:
        raise CoachkitDataError(
            f"{label}: no manifest.csv in this OneRoster export; add a manifest.csv with the "
            f"columns propertyName,value and the rows manifest.version=1.0, "
            f"oneroster.version=1.2 and file.<name>=bulk|delta|absent for each file",
            table="manifest", file=label, column="propertyName")
    df = _read_csv(pkg, member, warn)
    cols = {c.lower(): c for c in df.columns}
    if list(df.columns[:2]) != ["propertyName", "value"]:
        if "propertyname" in cols and "value" in cols:
            warn(f"{label}: the binding's header is 'propertyName,value'; found "
                 f"{','.join(df.columns)}. Read it anyway")
        else:
            raise CoachkitDataError(
                f"{label}, row 1: the manifest's header must be propertyName,value; found "
                f"{','.join(df.columns) or 'nothing'}", table="manifest", file=label, row=1,
                column="propertyName", found=list(df.columns), expected=["propertyName", "value"])
    name_col, value_col = cols["propertyname"], cols["value"]
    props, rows, problems = {}, {}, []
    for i, (k, v) in enumerate(zip(df[name_col], df[value_col]), start=2):
        props[k], rows[k] = v, i
    version = props.get("oneroster.version")
    if version is None:
        problems.append(_prob("manifest", label, None, "propertyName", None,
                              "no oneroster.version row; add oneroster.version,1.2"))
    elif version not in SPECS:
        problems.append(_prob("manifest", label, rows["oneroster.version"], "value", version,
                              "oneroster.version must be 1.0, 1.1 or 1.2 (the OneRoster CSV "
                              "bindings this reader follows)"))
    if "manifest.version" not in props:
        warn(f"{label}: no manifest.version row (the binding requires manifest.version,1.0)")
    for k, v in props.items():
        if k.startswith("file.") and v not in MODES:
            if v.lower() in MODES:
                warn(f"{label}, row {rows[k]}: {k} is {v!r}; the binding's values are lower-case")
                props[k] = v.lower()
            else:
                problems.append(_prob("manifest", label, rows[k], "value", v,
                                      f"{k} must be one of bulk, delta, absent"))
                props[k] = "absent"
    props["_rows"] = rows     # type: ignore[assignment]
    return props, (pd.DataFrame(problems) if problems else no_problems())


def _records(df) -> list[dict]:
    """Rows as dicts; via object columns, as iterating Arrow-backed strings cell by cell is slow."""
    cols = list(df.columns)
    data = [df[c].to_numpy(dtype=object) for c in cols]
    return [dict(zip(cols, row)) for row in zip(*data)]


def _isin(values, among) -> np.ndarray:
    """values.isin(among) through object hash tables (Arrow string isin walks Python lists)."""
    left = pd.Series(np.asarray(values, dtype=object), dtype=object)
    return left.isin(pd.Series(np.asarray(among, dtype=object), dtype=object).unique()).to_numpy()


def _lookup(keys, mapping: dict) -> np.ndarray:
    """mapping[key] for each key ('' where there is none), through the distinct keys."""
    if not mapping:
        return np.full(len(keys), "", dtype=object)
    codes, uniq = pd.factorize(pd.Series(np.asarray(keys, dtype=object), dtype=object))
    found = np.array([mapping.get(u, "") for u in uniq] + [""], dtype=object)
    return found[codes]          # code -1 (a missing key) picks the trailing ""


def _categorical(values, fn) -> pd.Categorical:
    """fn applied to each distinct value, as a Categorical (None -> missing)."""
    codes, uniq = pd.factorize(pd.Series(np.asarray(values, dtype=object), dtype=object))
    out = [fn(u) for u in uniq]
    cats = sorted(set(o for o in out if o is not None))     # sorted, as astype("category") does
    where = {c: i for i, c in enumerate(cats)}
    remap = np.array([where[o] if o is not None else -1 for o in out] + [-1], dtype=np.int64)
    return pd.Categorical.from_codes(remap[codes], categories=cats)


def _factorize_first(key: np.ndarray):
    """(codes, position of each distinct key's first row)."""
    codes, uniq = pd.factorize(key)
    first = np.full(len(uniq), -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(key))[::-1]
    return codes, first


def _prob(table, file, row, column, value, reason) -> dict:
    return {"table": table, "file": file, "row": row, "column": column, "value": value,
            "reason": reason}


def _split_list(v: str) -> list[str]:
    return [s.strip() for s in str(v).split(",") if s.strip()] if v else []


class _Reader:
    """Reads one or more exports into merged OneRoster records, then into canonical tables."""

    def __init__(self, errors: str, *, kinds=None, line_item_targets=None, time_zone=None):
        self.errors = errors
        self.time_zone = time_zone
        self.kinds = kinds if kinds is not None else CategoryKinds()
        self.line_item_targets = line_item_targets
        self.warned: list[str] = []
        self.problems: list[dict] = []
        self.records: dict[str, pd.DataFrame] = {}
        self.deleted: dict[str, set] = defaultdict(set)
        self.rejected_ids: dict[str, dict] = defaultdict(dict)
        self.dropped: dict[str, int] = defaultdict(int)
        self.modes: dict[str, str] = {}
        self.system_name: str | None = None
        self.case_packages: list[tuple[dict, str]] = []
        self.version = "1.2"
        self.versions: list[str] = []
        self.loose: dict[tuple, list] = defaultdict(list)
        self.lost_enrollments: dict[str, list] = defaultdict(list)
        # (file label, reader's column name) -> the header as the file has it
        self.shown: dict[tuple[str, str], str] = {}

    def column_shown(self, label, column):
        return self.shown.get((label, column), column)

    def warn(self, message: str):
        if message not in self.warned:
            self.warned.append(message)

    def notice(self, message: str):
        self.notices = getattr(self, "notices", [])
        if message not in self.notices:
            self.notices.append(message)

    def problem(self, file_name, label, row, column, value, reason):
        self.problems.append(_prob(FEEDS.get(file_name, file_name), label, row, column, value, reason))

    # -- one export ------------------------------------------------------------------------
    def read_package(self, path):
        pkg = Package(path, self.warn)
        try:
            props, problems = _manifest(pkg, self.warn)
            self.problems.extend(_records(problems))
            self.version = props.get("oneroster.version", self.version)
            if self.version not in SPECS:
                self.version = "1.2"
            self.versions.append(self.version)
            self.system_name = props.get("source.systemName") or self.system_name
            rows = props.pop("_rows")
            own = [n for n in ONEROSTER_FILES if n in SPECS[self.version]]
            unlisted = [n for n in own if f"file.{n}" not in props]
            if unlisted and len(unlisted) < len(own) and rows:
                self.warn(f"{pkg.label('manifest.csv')}: no file.<name> rows for "
                          f"{', '.join(unlisted)} (the binding requires one per file); read as absent")
            for name in READ_ORDER:
                mode = props.get(f"file.{name}", "absent")
                member = pkg.find(name)
                if member is None:
                    if mode in ("bulk", "delta"):
                        self.problem("manifest", pkg.label("manifest.csv"), rows.get(f"file.{name}"),
                                     "value", mode, f"the manifest lists {name}.csv as {mode} but the "
                                     f"export has no {name}.csv; add the file or set file.{name},absent")
                    continue
                if mode == "absent":
                    self.warn(f"{pkg.label(member)}: the manifest says file.{name} is absent but the "
                              f"file is there; read it (as bulk)")
                    mode = "bulk"
                self.read_file(pkg, name, member, mode)
            for member in pkg.json_members():
                try:
                    from .case import loads_json, unwrap_package
                    data = unwrap_package(loads_json(pkg.read_bytes(member), pkg.label(member)))
                except CoachkitDataError:
                    continue
                if isinstance(data, dict) and "CFDocument" in data:
                    self.case_packages.append((data, pkg.label(member)))
        finally:
            pkg.close()

    def read_file(self, pkg: Package, name: str, member: str, mode: str):
        label = pkg.label(member)
        df = _read_csv(pkg, member, self.warn)
        header = list(df.columns)
        version = self.version
        if name not in SPECS[version]:
            self.warn(f"{label}: {name}.csv is not a OneRoster {version} file; read it by the "
                      f"1.2 binding")
            version = "1.2"
        spec = SPECS[version][name]
        binding = f"OneRoster {version} binding"
        names = [c for c, _ in spec]
        if df.empty and not len(df.columns):
            self.warn(f"{label}: empty file (the binding requires a header row)")
            df = pd.DataFrame(columns=names)
        # header: case, order, unknown and missing columns
        rename, case_off, extra = {}, [], []
        lower = {c.lower(): c for c in names}
        for c in df.columns:
            if c in names:
                continue
            if c.lower() in lower:
                rename[c] = lower[c.lower()]
                case_off.append(c)
            elif not c.startswith("metadata."):
                extra.append(c)
        if case_off:
            self.warn(f"{label}: header case differs from the binding ({', '.join(case_off)}); "
                      f"headers are case-sensitive. Read them anyway")
        df = df.rename(columns=rename)
        if name == "users" and "role" in df.columns and version == "1.2":
            extra = [c for c in extra if c not in ("role", "orgSourcedIds")]
            self.warn(f"{label}: users.csv has a 'role' column (OneRoster 1.1); in 1.2 roles live "
                      f"in roles.csv. Used it for users that roles.csv does not cover")
        if extra:
            self.warn(f"{label}: columns not in the binding: {', '.join(extra)} (extensions should "
                      f"be named metadata.*); kept but not used")
        present = [c for c in names if c in df.columns]
        order = [c for c in df.columns if c in names]
        if order != present:
            self.warn(f"{label}: columns are not in the binding's order ({', '.join(names)})")
        need = [c for c, r in spec if r == Y or (r == D and mode == "delta")]
        missing = [c for c in need if c not in df.columns]
        if missing:
            raise CoachkitDataError(
                f"{label}, row 1: missing column {missing[0]!r} (found columns: "
                f"{', '.join(header)}); the {binding} requires "
                f"{', '.join(need)}", table=FEEDS.get(name, name), file=label, row=1,
                column=missing[0], found=header, expected=need)
        absent = [c for c in names if c not in df.columns]
        if absent:
            self.warn(f"{label}: optional columns absent: {', '.join(absent)} (the binding lists "
                      f"every column in the header); read as empty")
            for c in absent:
                df[c] = ""
        if not len(df):
            self.warn(f"{label}: no data rows (the binding does not permit empty files)")
        # from here on the reader works with 1.2's names; messages show the file's own
        original = {rename.get(c, c): c for c in header}
        to_12 = AS_12.get(version, {}).get(name, {})
        df = df.rename(columns=to_12)
        for c in df.columns:
            self.shown[(label, c)] = original.get(c, original.get(
                next((k for k, v in to_12.items() if v == c), c), c))
        for c, _ in SPEC.get(name, []):
            if c not in df.columns:
                df[c] = ""
        df["_file"], df["_row"] = label, np.arange(2, len(df) + 2)
        bad = np.zeros(len(df), dtype=bool)

        def flag(mask, column, reason, value=None):
            shown = self.column_shown(label, column)
            for i in np.flatnonzero(mask & ~bad):
                self.problem(name, label, int(df["_row"].iat[i]), shown,
                             df[column].iat[i] if value is None else value,
                             reason.replace(column, shown))
            bad[mask] = True

        need = [to_12.get(c, c) for c in need]
        for c in need:
            if c in ("status", "dateLastModified") and mode == "delta":
                flag((df[c] == "").to_numpy(), c, f"empty cell; {c} is required in a delta file "
                     f"(active or tobedeleted, and when it last changed)")
            elif c not in ("status", "dateLastModified"):
                flag((df[c] == "").to_numpy(), c, f"empty cell; {c} is required by the binding")
        status = df["status"].str.lower()
        if mode == "bulk" and version == "1.2" and (status != "").any():
            self.warn(f"{label}: status/dateLastModified filled in a bulk file (the binding "
                      f"leaves them empty in bulk); the data wins: tobedeleted rows are removed")
        if (status != df["status"]).any():
            self.warn(f"{label}: status values in the wrong case; the binding's are active, tobedeleted")
        if (status == "inactive").any():
            if version != "1.0":
                self.warn(f"{label}: status 'inactive' (OneRoster 1.0) read as tobedeleted")
            status = status.replace("inactive", "tobedeleted")
        flag((~status.isin(("", *STATUSES))).to_numpy(), "status",
             "unknown value; expected active or tobedeleted")
        df["status"] = status
        ids = df["sourcedId"]
        odd = ids[(ids != "") & ~ids.str.match(GUID_RE)]
        if len(odd):
            self.warn(f"{label}: sourcedIds with characters outside the binding's GUID set "
                      f"(0-9 a-z A-Z . - _ / @), e.g. {odd.iat[0]!r}; read them anyway")
        dup = (ids.duplicated(keep="first") & (ids != "")).to_numpy()
        if dup.any():
            first_row = dict(zip(ids[~dup][::-1], df["_row"][~dup][::-1].astype(int)))
            for i in np.flatnonzero(dup & ~bad):
                self.problem(name, label, int(df["_row"].iat[i]), "sourcedId", ids.iat[i],
                             f"duplicate sourcedId; already on row {first_row[ids.iat[i]]}")
            bad |= dup
        for i in np.flatnonzero(bad):
            self.rejected_ids[name][ids.iat[i]] = (label, int(df["_row"].iat[i]))
        df = df[~bad]
        self._merge(name, df, mode)

    def _merge(self, name, df, mode):
        deleting = (df["status"] == "tobedeleted").to_numpy()
        gone = set(df["sourcedId"][deleting].tolist())
        active = df[~deleting]
        ids = active["sourcedId"]
        old = self.records.get(name)
        if mode == "bulk" or old is None:
            if old is not None:     # records a new bulk file no longer lists
                gone |= set(old["sourcedId"][~old["sourcedId"].isin(ids)].tolist())
            merged = active
        else:
            keep = old[~(old["sourcedId"].isin(ids) | old["sourcedId"].isin(list(gone)))]
            merged = pd.concat([keep, active], ignore_index=True)
        if self.deleted[name] or gone:
            back = set(ids[ids.isin(list(self.deleted[name] | gone))].tolist())
            self.deleted[name] = (self.deleted[name] | gone) - back
        if self.rejected_ids[name]:
            for sid in ids[ids.isin(list(self.rejected_ids[name]))].tolist():
                self.rejected_ids[name].pop(sid, None)
        self.records[name] = merged.reset_index(drop=True)
        self.modes[name] = mode

    # -- references ------------------------------------------------------------------------
    def check_references(self):
        """Drop rows whose essential GUID references point at nothing (a problem) or at a
        deleted record (removed with it, as the binding's tobedeleted says), file by file in
        dependency order. A bad optional reference (an org's parent, a class's term) is a
        notice: the row stays and only the link is ignored."""
        refs = defaultdict(list)
        for f, col, target, is_list in REFERENCES:
            refs[f].append((col, target, is_list))
        for name in READ_ORDER:
            df = self.records.get(name)
            if df is None or not len(df):
                continue
            keep = np.ones(len(df), dtype=bool)
            for col, target, is_list in refs.get(name, []):
                if target not in self.records and not self.deleted[target] and not self.rejected_ids[target]:
                    continue      # the referenced file is not in the export: nothing to check
                known = self.records[target]["sourcedId"] if target in self.records else pd.Series([], dtype=str)
                values = df[col]
                if is_list:
                    values = values.str.split(",").explode().str.strip()
                pos = np.asarray(values.index)
                values = values.fillna("").to_numpy(dtype=object)
                ok = (values == "") | _isin(values, known)
                essential = (name, col) not in OPTIONAL_REFERENCES
                for i, ref in zip(pos[~ok], values[~ok]):
                    if not keep[i]:
                        continue
                    if ref in self.deleted[target]:
                        if essential:
                            keep[i] = False
                            self.dropped[name] += 1
                    elif not essential:
                        self.loose[(name, col, target)].append(
                            (df["_file"].iat[i], int(df["_row"].iat[i]), ref))
                    elif ref in self.rejected_ids[target]:
                        f, r = self.rejected_ids[target][ref]
                        self._bad(df, i, name, col, ref, f"refers to {target}.csv sourcedId "
                                  f"{ref!r}, which was rejected ({f} row {r})")
                        keep[i] = False
                    else:
                        self._bad(df, i, name, col, ref, f"bad GUID reference: no sourcedId "
                                  f"{ref!r} in {target}.csv; add that record or correct the id")
                        keep[i] = False
            if not keep.all():
                for i in np.flatnonzero(~keep):    # what hangs off a dropped row goes too
                    sid = df["sourcedId"].iat[i]
                    if sid not in self.rejected_ids[name]:
                        self.deleted[name].add(sid)
                if name == "enrollments":
                    for i in np.flatnonzero(~keep):
                        self.lost_enrollments[df["userSourcedId"].iat[i]].append(
                            (df["_file"].iat[i], int(df["_row"].iat[i])))
                self.records[name] = df[keep].reset_index(drop=True)
        for (name, col, target), found in self.loose.items():
            file, row, ref = found[0]
            self.notice(f"{file}: {len(found)} {name} records have a {self.column_shown(file, col)} "
                        f"that is not in {target}.csv (e.g. {ref!r} on row {row}); the records "
                        f"were kept and the link ignored (it is optional for coachkit)")

    def report_deleted(self):
        for name, n in self.dropped.items():
            self.notice(f"{name}.csv: {n} records refer to records marked tobedeleted (or no longer "
                      f"in a newer bulk file) and were removed with them")

    def _bad(self, df, i, name, col, value, reason):
        label, row = df["_file"].iat[i], int(df["_row"].iat[i])
        self.problem(name, label, row, self.column_shown(label, col), value, reason)
        self.rejected_ids[name][df["sourcedId"].iat[i]] = (label, row)

    def get(self, name) -> pd.DataFrame:
        df = self.records.get(name)
        if df is None:
            cols = [c for c, _ in SPEC[name]]
            return pd.DataFrame({c: pd.Series([], dtype=str) for c in cols + ["_file"]}
                                | {"_row": pd.Series([], dtype=int)})
        return df


# ---------------------------------------------------------------------------- canonical tables

def _first(v: str) -> str:
    items = _split_list(v)
    return items[0] if items else ""


def _grade_text(v: str) -> str:
    """A OneRoster grades list -> the canonical grade text of its first entry ('03' -> '3')."""
    g = _first(v)
    n = parse_grade_code(g)
    return str(n) if n is not None else g


def _norm(name: str) -> str:
    name = name[len("metadata."):] if name.lower().startswith("metadata.") else name
    name = name.split(":", 1)[-1] if name.lower().startswith("ext:") else name
    return re.sub(r"[^0-9a-z]", "", name.lower())


class ScoreScale:
    """A scoreScales.csv row's scoreScaleValue as a map from result values onto 1-4.

    The binding writes a scale as ``{LHS:RHS}`` pairs, e.g. ``"{A+:100},{A:94}"``,
    ``{60-69:B}``. coachkit uses a scale whose pairs map onto its proficiency levels:
    one side of every pair is a level (a number 1-4, or Beginning / Developing /
    Proficient / Extending); the other side is what the results hold (text, a number
    or a range such as ``80-89``). When both sides could be levels, the left-hand side
    is the result value and the right-hand side the level.
    """

    PAIR = re.compile(r"\{([^{}:]*):([^{}]*)\}")
    RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*$")

    def __init__(self, value: str):
        self.text = value
        pairs = [(a.strip(), b.strip()) for a, b in self.PAIR.findall(value or "")]
        self.pairs = pairs
        left = [self._level(a) for a, _ in pairs]
        right = [self._level(b) for _, b in pairs]
        if pairs and all(x is not None for x in right):
            self.entries = [(a, lv) for (a, _), lv in zip(pairs, right)]
        elif pairs and all(x is not None for x in left):
            self.entries = [(b, lv) for (_, b), lv in zip(pairs, left)]
        else:
            self.entries = []
        self.usable = bool(self.entries)
        self.text_map = {str(v).lower(): lv for v, lv in self.entries}
        nums = []
        for v, lv in self.entries:
            m = self.RANGE.match(v)
            if m:
                nums.append((float(m.group(1)), float(m.group(2)), lv))
            else:
                try:
                    x = float(v)
                    nums.append((x, x, lv))
                except ValueError:
                    pass
        self.numeric = sorted(nums)

    @staticmethod
    def _level(v: str) -> float | None:
        s = v.strip().lower()
        if s in LEVEL_WORDS:
            return LEVEL_WORDS[s]
        if s in STAGE_SCORES:
            return STAGE_SCORES[s]
        try:
            x = float(s)
        except ValueError:
            return None
        return x if 1.0 <= x <= 4.0 else None

    def level(self, text: str, score: float | None) -> float | None:
        if text:
            if text.lower() in self.text_map:
                return self.text_map[text.lower()]
            return None
        if score is None:
            return None
        if self.numeric:
            lower = [lv for lo, hi, lv in self.numeric if lo <= score]
            exact = [lv for lo, hi, lv in self.numeric if lo <= score <= hi]
            if exact:
                return exact[-1]
            return lower[-1] if lower else None
        return score if 1.0 <= score <= 4.0 else None     # word scale: a 1-4 score is a level

    def describe(self) -> str:
        return ", ".join(f"{v}->{lv:g}" for v, lv in self.entries) or self.text


def _level_without_scale(text: str, score: float | None, lo, hi) -> float | None:
    if text:
        return ScoreScale._level(text)
    if score is None:
        return None
    if lo is not None and hi is not None and (lo, hi) not in ((1.0, 4.0), (0.0, 4.0)):
        return None       # a 0-4 line item (0 = no evidence) holds levels 1-4 too
    return score if 1.0 <= score <= 4.0 else None


def _float(v) -> float | None:
    try:
        x = float(str(v).replace(",", ".")) if v not in ("", None) else None
    except ValueError:
        return None
    return x if x is None or np.isfinite(x) else None


def _date_text(v: str, label: str, warn) -> str:
    """The binding's Date is YYYY-MM-DD; a datetime or a US date is read with a warning."""
    if not v or re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return v
    m = re.match(r"^(\d{4}-\d{2}-\d{2})[T ]", v)
    if m and OFFSET.search(v):
        warn(f"{label}: dates carry a time and a UTC offset ({v!r}); the binding's Date is "
             f"YYYY-MM-DD. Used the district's local date of that instant")
        return v
    if m:
        warn(f"{label}: dates carry a time ({v!r}); the binding's Date is YYYY-MM-DD. Used the date")
        return m.group(1)
    warn(f"{label}: dates not in the binding's YYYY-MM-DD form (e.g. {v!r}); read them anyway")
    return v


class _Builder:
    """Merged OneRoster records -> canonical raw tables with (file, row) provenance."""

    def __init__(self, r: _Reader, targets):
        self.r = r
        self.targets_arg = targets
        self.out: dict[str, list[dict]] = defaultdict(list)
        self.side: list[dict] = []     # problems on rows that feed no canonical row directly
        self.skipped: list[pd.DataFrame] = []

    def add(self, table, file, row, **values):
        values["_file"], values["_row"] = file, row
        self.out[table].append(values)

    def problem(self, name, file, row, column, value, reason):
        self.side.append(_prob(FEEDS.get(name, name), file, row, column, value, reason))

    def build(self):
        r = self.r
        orgs, classes, courses = r.get("orgs"), r.get("classes"), r.get("courses")
        users, roles, enroll = r.get("users"), r.get("roles"), r.get("enrollments")
        org_type = dict(zip(orgs["sourcedId"], orgs["type"].str.lower()))
        for o in _records(orgs):
            if o["type"].lower() == "school":
                self.add("schools", o["_file"], o["_row"], school_id=o["sourcedId"], name=o["name"])
        # teachers and students: roles.csv (1.2), else users.role (1.1), else enrollments
        role_of: dict[str, set] = defaultdict(set)
        role_org: dict[str, list] = defaultdict(list)
        for x in _records(roles.sort_values("roleType", key=lambda s: s.str.lower() != "primary",
                                            kind="stable")):
            role_of[x["userSourcedId"]].add(x["role"].lower())
            if x["role"].lower() == "student":
                role_org[x["userSourcedId"]].append(x["orgSourcedId"])
        if "role" in users.columns:
            legacy = users[~users["sourcedId"].isin(list(role_of))]
            for u in _records(legacy):
                role_of[u["sourcedId"]].add(str(u["role"]).lower())
                if str(u["role"]).lower() == "student":
                    role_org[u["sourcedId"]].extend(_split_list(u.get("orgSourcedIds", "")))
        if not len(roles) and "role" not in users.columns and len(users):
            self.r.warn("no roles.csv and no role column in users.csv: users took their roles "
                        "from enrollments.csv")
            for e in _records(enroll):
                role_of[e["userSourcedId"]].add(e["role"].lower())
        name_of = {}
        for u in _records(users):
            display = u.get("metadata.coachkit.displayName", "")
            name_of[u["sourcedId"]] = display or " ".join(x for x in (u["givenName"], u["familyName"]) if x)
        # classes -> classrooms
        course = {c["sourcedId"]: c for c in _records(courses)}
        primary_teacher: dict[str, str] = {}
        is_primary: dict[str, bool] = {}
        by_student: dict[str, list] = defaultdict(list)
        for e in _records(enroll):
            role = e["role"].lower()
            if role == "teacher":
                cls, prim = e["classSourcedId"], e["primary"].lower() == "true"
                if cls not in primary_teacher or (prim and not is_primary[cls]):
                    primary_teacher[cls] = name_of.get(e["userSourcedId"], "")
                    is_primary[cls] = prim
            elif role == "student":
                by_student[e["userSourcedId"]].append(e)
        class_info = {}
        for c in _records(classes):
            crs = course.get(c["courseSourcedId"])
            grade = _grade_text(c["grades"]) or (_grade_text(crs["grades"]) if crs else "")
            subject = _first(c["subjects"]) or (_first(crs["subjects"]) if crs else "")
            class_info[c["sourcedId"]] = dict(grade=grade, subject=subject, school=c["schoolSourcedId"],
                                              type=c["classType"].lower(), course=crs)
        student_ids = [u for u, rs in role_of.items() if "student" in rs]
        students_set = set(student_ids)
        # classroom of each student: homeroom first, then earliest beginDate, then file order
        classroom_of = {}
        for uid, es in by_student.items():
            es = [e for e in es if e["classSourcedId"] in class_info]
            if not es:
                continue
            es.sort(key=lambda e: (class_info[e["classSourcedId"]]["type"] != "homeroom",
                                   e["beginDate"] or "9999", e["_file"], e["_row"]))
            classroom_of[uid] = es[0]["classSourcedId"]
        # student grades fill classes without one
        user_grades = dict(zip(users["sourcedId"], users["grades"]))
        for c in _records(classes):
            info = class_info[c["sourcedId"]]
            if not info["grade"]:
                gs = [_grade_text(user_grades[u]) for u, cls in classroom_of.items()
                      if cls == c["sourcedId"] and user_grades.get(u)]
                info["grade"] = max(sorted(set(gs)), key=gs.count) if gs else ""
            self.add("classrooms", c["_file"], c["_row"], classroom_id=c["sourcedId"],
                     school_id=c["schoolSourcedId"], grade=info["grade"],
                     teacher=primary_teacher.get(c["sourcedId"]) or NO_TEACHER,
                     subject=info["subject"] or None)
        missing_teacher = [c for c in class_info if not primary_teacher.get(c)]
        if missing_teacher:
            self.r.notice(f"{len(missing_teacher)} classes have no teacher enrollment (e.g. "
                          f"{missing_teacher[0]!r}); kept, with the teacher {NO_TEACHER!r}. Add a "
                          f"teacher row to enrollments.csv to name one")
        self._people(users, role_of, org_type, enroll, class_info)
        self._students(users, students_set, classroom_of, class_info, role_org, org_type)
        self._cycles()
        self._gradebook(class_info)

    def _people(self, users, role_of, org_type, enroll, class_info):
        """Teachers, administrators and aides -> staff; guardians, parents and relatives ->
        guardians (one row per student they are linked to); enrollments -> enrollments."""
        staff_n, guardian_n = 0, 0
        by_id = {u["sourcedId"]: u for u in _records(users)}
        roles_known = {r.lower(): r for r in STAFF_ROLES}
        for u in by_id.values():
            roles = role_of.get(u["sourcedId"], set())
            if "student" in roles:
                continue
            staff_role = next((roles_known[r] for r in sorted(roles) if r in roles_known), None)
            guardian_role = next((r for r in sorted(roles) if r in GUARDIAN_ROLES), None)
            orgs = [o for o in [u.get("primaryOrgSourcedId", "")] + _split_list(u.get("orgSourcedIds", ""))
                    if org_type.get(o) == "school"]
            if staff_role:
                staff_n += 1
                self.add("staff", u["_file"], u["_row"], staff_id=u["sourcedId"],
                         first_name=u.get("preferredGivenName") or u["givenName"] or None,
                         last_name=u.get("preferredFamilyName") or u["familyName"],
                         role=staff_role, school_id=orgs[0] if orgs else None,
                         email=u.get("email") or None)
            elif guardian_role:
                linked = [a for a in _split_list(u.get("agentSourcedIds", ""))
                          if "student" in role_of.get(a, set())]
                linked += [s for s, v in by_id.items() if u["sourcedId"] in
                           _split_list(v.get("agentSourcedIds", "")) and "student" in role_of.get(s, set())
                           and s not in linked]
                if not linked:
                    self.r.notice(f"{u['_file']}: {guardian_role} {u['sourcedId']!r} (row {u['_row']}) is "
                                  f"linked to no student (agentSourcedIds); not read")
                for sid in linked:
                    guardian_n += 1
                    self.add("guardians", u["_file"], u["_row"], guardian_id=u["sourcedId"],
                             student_id=sid, first_name=u["givenName"] or None,
                             last_name=u["familyName"], relationship=guardian_role,
                             email=u.get("email") or None)
        for e in _records(enroll):
            if e["classSourcedId"] not in class_info:
                continue
            role = e["role"].lower()
            self.add("enrollments", e["_file"], e["_row"], classroom_id=e["classSourcedId"],
                     person_id=e["userSourcedId"], role=role if role in ENROLLMENT_ROLES else role,
                     primary=e.get("primary") or None)
        self.out.setdefault("staff", [])
        self.out.setdefault("guardians", [])

    def _students(self, users, students_set, classroom_of, class_info, role_org, org_type):
        demo = self.r.get("demographics")
        demo_by = {d["sourcedId"]: d for d in _records(demo)}
        flag_cols = {}
        for table in (demo, users):
            for c in table.columns:
                for key, aliases in FLAG_COLUMNS.items():
                    if key not in flag_cols and (c.startswith("metadata.") or c not in dict(SPEC["users"])) \
                            and _norm(c) in aliases:
                        flag_cols[key] = (table is demo, c)
        absent = [k for k in FLAG_COLUMNS if k not in flag_cols]
        n = 0
        for u in _records(users):
            if u["sourcedId"] not in students_set:
                continue
            n += 1
            sid = u["sourcedId"]
            classroom = classroom_of.get(sid)
            if classroom is None and self.r.lost_enrollments.get(sid):
                file, row = self.r.lost_enrollments[sid][0]
                self.side.append(_prob("students", u["_file"], u["_row"], "sourcedId", sid,
                                       f"no class to file this student in: their enrollment "
                                       f"({file} row {row}) was rejected; fix that row"))
                continue
            d = demo_by.get(sid, {})
            school = ""
            if org_type.get(u.get("primaryOrgSourcedId", "")) == "school":
                school = u["primaryOrgSourcedId"]
            if not school:
                school = next((o for o in role_org.get(sid, []) if org_type.get(o) == "school"), "")
            if not school and classroom:
                school = class_info[classroom]["school"]
            values = {}
            for key in FLAG_COLUMNS:
                if key in flag_cols:
                    in_demo, col = flag_cols[key]
                    values[key] = (d.get(col, "") if in_demo else u.get(col, ""))
                else:
                    values[key] = ""
            self.add("students", u["_file"], u["_row"], student_id=sid,
                     first_name=u.get("preferredGivenName") or u["givenName"],
                     last_name=u.get("preferredFamilyName") or u["familyName"],
                     grade=_grade_text(u.get("grades", "")) or
                     (class_info[classroom]["grade"] if classroom else ""),
                     classroom_id=classroom if classroom else None, school_id=school or None,
                     ell=values["ell"] or "false", iep=values["iep"] or "false",
                     home_language=values["home_language"] or "unknown",
                     birth_date=d.get("birthDate") or None)
        if n and absent:
            self.r.notice(f"no {', '.join(absent)} column in demographics.csv or users.csv (looked for "
                        f"metadata.ell, metadata.iep, metadata.homeLanguage and their usual aliases): "
                        f"students read with ell=false, iep=false, home_language='unknown' where missing")

    def _cycles(self):
        sessions = self.r.get("academicSessions")
        cyc = sessions[sessions["type"].str.lower() == CYCLE_TYPE]
        for k, s in enumerate(_records(cyc), start=1):
            cid = s.get("metadata.coachkit.cycleId", "")
            if not cid:
                m = re.search(r"(\d+)\s*$", s["title"]) or re.search(r"(\d+)\s*$", s["sourcedId"])
                cid = m.group(1) if m else str(k)
            end = pd.to_datetime(s["endDate"], errors="coerce")
            end = (end - pd.Timedelta(days=1)).strftime("%Y-%m-%d") if pd.notna(end) else s["endDate"]
            y = pd.to_numeric(s["schoolYear"], errors="coerce")
            year = f"{int(y) - 1}-{int(y) % 100:02d}" if pd.notna(y) else s["schoolYear"]
            self.add("cycles", s["_file"], s["_row"], cycle_id=cid, start=s["startDate"], end=end,
                     school_year=year)

    # -- gradebook -------------------------------------------------------------------------
    def _resolve_targets(self):
        """{normalized learning objective id -> target_id} and the targets raw table."""
        t = self.targets_arg
        packages = self.r.case_packages
        if t is None and packages:
            from .case import case_targets
            pkg, label = packages[0]
            raw, found, ident_of, _ = case_targets(pkg, label=label)
            for p in found:
                self.side.append(p)
            self.case_raw = raw
            self.case_label = f"{label}#CFItems"
            lookup = {}
            for tid, ident in ident_of.items():
                lookup[ident] = tid
                lookup[str(tid)] = tid
            for tid, code in zip(raw["target_id"], raw["code"]):
                lookup.setdefault(str(code), tid)
            return lookup
        if t is not None:
            if isinstance(t, (str, Path)):
                from .case import load_case
                t = load_case(t)
            self.case_table = t
            lookup = {}
            ident_map = t.attrs.get("case_identifiers", {})
            for tid in t["target_id"].astype(str):
                lookup[tid] = tid
                lookup[ident_map.get(tid) or case_identifier(tid)] = tid
            codes = t["code"].astype(str)
            for code, tid in zip(codes, t["target_id"].astype(str)):
                if (codes == code).sum() == 1:
                    lookup.setdefault(code, tid)
            return lookup
        return None

    @staticmethod
    def _objective_key(v: str) -> str:
        return normalize_uuid(v) or v.strip()

    def _gradebook(self, class_info):
        r = self.r
        results, items = r.get("results"), r.get("lineItems")
        if not len(results) and not len(items):
            return
        cats = dict(zip(r.get("categories")["sourcedId"], r.get("categories")["title"]))
        for title in cats.values():       # every title, so validate shows how each was read
            r.kinds.kind(title)
        if cats:
            r.notice(f"categories read as evidence kinds: {r.kinds.describe()}")
        scales, class_scale = {}, defaultdict(list)
        for s in _records(r.get("scoreScales")):
            scales[s["sourcedId"]] = (ScoreScale(s["scoreScaleValue"]), s["_file"], s["_row"], s["title"])
            class_scale[s["classSourcedId"]].append(s["sourcedId"])
        lis, rss = r.get("lineItemScoreScales"), r.get("resultScoreScales")
        li_scale = dict(zip(lis["lineItemSourcedId"], lis["scoreScaleSourcedId"]))
        res_scale = dict(zip(rss["resultSourcedId"], rss["scoreScaleSourcedId"]))
        lookup = self._resolve_targets()
        objectives_li: dict[str, list] = defaultdict(list)
        objectives_res: dict[str, list] = defaultdict(list)
        for name, store, key in (("lineItemLearningObjectiveIds", objectives_li, "lineItemSourcedId"),
                                 ("resultLearningObjectiveIds", objectives_res, "resultSourcedId")):
            for o in _records(r.get(name)):
                src = o["source"]
                if src.lower() not in ("case", "unknown") and not src.startswith("ext:"):
                    r.warn(f"{o['_file']}: source {src!r} is not in the binding's vocabulary "
                           f"(case, unknown, or ext:…); read it anyway")
                if src.lower() == "case" and not o["learningObjectiveId"].lower().startswith("urn:uuid:"):
                    r.warn(f"{o['_file']}: CASE learningObjectiveIds should be UUID URNs "
                           f"(urn:uuid:…), e.g. {o['learningObjectiveId']!r}; read them anyway")
                okey = self._objective_key(o["learningObjectiveId"])
                if lookup is not None:
                    tid = lookup.get(okey, lookup.get(o["learningObjectiveId"]))
                    if tid is None:
                        self.problem(name, o["_file"], o["_row"], "learningObjectiveId",
                                     o["learningObjectiveId"], "not a target in the CASE package or "
                                     "targets given; load the framework that holds it")
                        continue
                else:
                    tid = okey
                o["_target"] = tid
                store[o[key]].append(o)
        if not any(objectives_li.values()) and not any(objectives_res.values()) and len(items):
            for li_id, links in self._line_item_targets(items, lookup).items():
                objectives_li[li_id].extend(links)
        item_by = {li["sourcedId"]: li for li in _records(items)}
        if lookup is None:
            self._synth_targets(objectives_li, objectives_res, item_by, results, class_info)
        self._evidence(results, items, objectives_li, objectives_res, cats, scales, class_scale,
                       li_scale, res_scale)

    def _line_item_targets(self, items, lookup) -> dict[str, list]:
        """Line items -> targets where the export has no learning-objective files (OneRoster
        1.0/1.1, or a 1.2 gradebook without them), by ``line_item_targets``:

        * ``"title"`` (the default when targets are known): a target code written in the
          line item's title as a word ("3.OA.A.1 Quiz", "Unit 2 test [3.OA.A.1]");
        * the name of a lineItems.csv column the district fills with a target code, CASE
          identifier or target id (e.g. ``"metadata.standardCode"``);
        * a mapping file (CSV ``lineItem,target``): ``lineItem`` is a line item's sourcedId
          or its title, ``target`` a code, identifier or target id.
        """
        how = self.r.line_item_targets
        r = self.r
        label = items["_file"].iat[0] if len(items) else "lineItems.csv"
        if how is None:
            if lookup is None:
                r.notice(f"{label}: this OneRoster {r.version} gradebook ties no line item to a "
                         f"target (no learning-objective files); its results are not evidence. Say "
                         f"how with load_oneroster(..., targets=<CASE package>) (line-item titles "
                         f"holding target codes), line_item_targets='<lineItems column>' or "
                         f"line_item_targets='<mapping.csv with lineItem,target>'")
                return {}
            how = "title"
        links: dict[str, list] = defaultdict(list)

        def link(li, value):
            value = str(value).strip()
            if lookup is not None:
                tid = lookup.get(self._objective_key(value), lookup.get(value))
                if tid is None:
                    self.problem("lineItems", li["_file"], li["_row"], column, value,
                                 "not a target in the CASE package or targets given; correct the "
                                 "code or load the framework that holds it")
                    return
            else:
                tid = value
            links[li["sourcedId"]].append({"learningObjectiveId": value, "_target": tid,
                                           "_file": li["_file"], "_row": li["_row"]})

        records = _records(items)
        if how == "title":
            column = "title"
            codes = sorted((k for k in lookup if k and not normalize_uuid(k)), key=len, reverse=True)
            pattern = re.compile(r"(?<![0-9A-Za-z.])(" + "|".join(map(re.escape, codes)) +
                                 r")(?![0-9A-Za-z])") if codes else None
            unmatched = 0
            for li in records:
                m = pattern.search(li["title"]) if pattern else None
                if m:
                    link(li, m.group(1))
                else:
                    unmatched += 1
            r.notice(f"{label}: line items tied to targets by the target code in their title: "
                     f"{len(records) - unmatched} of {len(records)} matched"
                     + (f"; the results of the other {unmatched} are not evidence" if unmatched else ""))
        elif Path(str(how)).suffix.lower() == ".csv" and Path(str(how)).exists():
            column = "title"
            m = pd.read_csv(how, dtype=str, keep_default_na=False)
            cols = {c.strip().lower().replace("_", ""): c for c in m.columns}
            if "lineitem" not in cols or "target" not in cols:
                raise CoachkitDataError(
                    f"{how}, row 1 (the header): expected the columns lineItem,target, got "
                    f"{','.join(m.columns)}", file=str(how), row=1, column="lineItem")
            by_key = defaultdict(list)
            for k, t in zip(m[cols["lineitem"]], m[cols["target"]]):
                by_key[k.strip()].append(t)
            for li in records:
                for t in by_key.get(li["sourcedId"], []) or by_key.get(li["title"].strip(), []):
                    link(li, t)
            r.notice(f"{label}: line items tied to targets by {how}: {len(links)} of "
                     f"{len(records)} matched")
        else:
            column = str(how)
            shown = {r.column_shown(label, c): c for c in items.columns}
            col = shown.get(column, column if column in items.columns else None)
            if col is None:
                raise CoachkitDataError(
                    f"{label}, row 1 (the header): no column {column!r} to read targets from "
                    f"(found columns: {', '.join(k for k in shown if not k.startswith('_'))}); name "
                    f"the lineItems column that holds target codes", file=label, row=1, column=column)
            for li in records:
                for v in _split_list(li[col]):
                    link(li, v)
            r.notice(f"{label}: line items tied to targets by their {column!r} column: "
                     f"{len(links)} of {len(records)} have one")
        return links

    def _evidence(self, results, items, objectives_li, objectives_res, cats, scales, class_scale,
                  li_scale, res_scale):
        """results x their targets -> evidence rows, one column at a time (no per-row Python)."""
        r = self.r
        skipped: dict[str, int] = defaultdict(int)
        R = results[_isin(results["lineItemSourcedId"], items["sourcedId"])]
        low = lambda c: R[c].str.lower() if c in R.columns else pd.Series("", index=R.index)
        skip = low("scoreStatus").isin(SKIP_SCORE_STATUS) | (low("inProgress") == "true") | \
            (low("missing") == "true")
        if skip.any():
            why = "exempt, not submitted, in progress or missing"
            skipped[why] += int(skip.sum())
            self._skip(R[skip.to_numpy()], "scoreStatus", why)
        R = R[~skip.to_numpy()]
        keep = ["sourcedId", "lineItemSourcedId", "studentSourcedId", "score", "textScore",
                "scoreDate", "_file", "_row"]
        R = R[keep].assign(_pos=np.arange(int((~skip).sum())))
        res_rows = [(k, o["_target"], o.get("score", ""), o.get("textScore", ""), o["_file"], o["_row"])
                    for k, links in objectives_res.items() for o in links]
        res_links = pd.DataFrame(res_rows, columns=["sourcedId", "_target", "l_score", "l_text",
                                                    "l_file", "l_row"])
        li_links = pd.DataFrame([(k, o["_target"]) for k, links in objectives_li.items() for o in links],
                                columns=["lineItemSourcedId", "_target"])
        has_res = _isin(R["sourcedId"], res_links["sourcedId"])
        A = R[has_res].merge(res_links, on="sourcedId", how="inner")
        A["own"] = (A["l_score"].fillna("") != "") | (A["l_text"].fillna("") != "")
        B = R[~has_res].merge(li_links, on="lineItemSourcedId", how="left")
        nolink = B["_target"].isna().to_numpy()
        if nolink.any():
            why = "no target for its line item (learning-objective files, or line_item_targets=)"
            skipped[why] += int(nolink.sum())
            self._skip(B[nolink].drop_duplicates("_pos"), "lineItemSourcedId", why)
        B = B[~nolink]
        for c in ("l_score", "l_text", "l_file"):
            B[c] = ""
        B["l_row"], B["own"] = 0, False
        E = pd.concat([A, B], ignore_index=True).sort_values("_pos", kind="stable", ignore_index=True)
        if not len(E):
            for why, k in skipped.items():
                r.notice(f"results.csv: {k} results are not evidence: {why}")
            return
        own = E["own"].to_numpy(dtype=bool)
        text = np.where(own, E["l_text"].fillna(""), E["textScore"].fillna("")).astype(object)
        raw = np.where(own, E["l_score"].fillna(""), E["score"].fillna("")).astype(object)
        it = items.set_index("sourcedId")
        li_pos = it.index.get_indexer(E["lineItemSourcedId"])      # every result's line item

        def item_col(c):
            return it[c].to_numpy(dtype=object)[li_pos] if c in it.columns else \
                np.full(len(E), "", dtype=object)

        single = {c: v[0] for c, v in class_scale.items() if len(v) == 1}
        scale_id = _lookup(E["sourcedId"], res_scale)
        scale_id = np.where(scale_id == "", _lookup(E["lineItemSourcedId"], li_scale), scale_id)
        scale_id = np.where(scale_id == "", _lookup(item_col("classSourcedId"), single), scale_id)
        parts = [scale_id, text, raw, item_col("resultValueMin"), item_col("resultValueMax")]
        key = np.zeros(len(E), dtype=np.int64)
        firsts = []
        for part in parts:      # one integer per distinct combination, column by column
            c, u = pd.factorize(pd.Series(part, dtype=object))
            key = key * (len(u) + 1) + c
            key = pd.factorize(key)[0].astype(np.int64)     # renumbered: never overflows
            firsts.append(np.asarray(part, dtype=object))
        codes, first_of = _factorize_first(key)
        uniq = [tuple(f[i] for f in firsts) for i in first_of]
        verdicts = [self._level(*u, scales) for u in uniq]
        level = np.array([v[0] for v in verdicts], dtype=float)[codes]
        status = np.array([v[1] for v in verdicts], dtype=object)[codes]
        empty = status == "empty"
        if empty.any():
            skipped["no score or textScore"] += int(empty.sum())
            self._skip(E[empty], "score", "no score or textScore")
        bad = status == "bad"
        if bad.any():
            reason = np.array([v[2] for v in verdicts], dtype=object)[codes][bad]
            column = np.array([v[3] for v in verdicts], dtype=object)[codes][bad]
            value = np.array([v[4] for v in verdicts], dtype=object)[codes][bad]
            suffix = np.where(own[bad] & (column != "scoreScaleValue"),
                              " (" + E["l_file"].to_numpy(dtype=object)[bad].astype(str) + " row " +
                              E["l_row"].astype(str).to_numpy(dtype=object)[bad] + ")", "")
            side = pd.DataFrame({"table": "evidence", "file": E["_file"].to_numpy()[bad],
                                 "row": E["_row"].to_numpy()[bad], "column": column, "value": value,
                                 "reason": reason + suffix})
            self.side.extend(_records(side))
        ok = status == "ok"
        E = E[ok]
        level = level[ok]
        titles = _lookup(item_col("categorySourcedId")[ok], cats)
        kind = _categorical(titles, lambda t: self.r.kinds.kind(t))
        if "metadata.coachkit.source" in items.columns:
            source = _categorical(item_col("metadata.coachkit.source")[ok], lambda v: v or None)
        else:
            source = pd.Categorical([r.system_name or "oneroster"]).take(np.zeros(len(E), dtype=int))
        date_text = _categorical(E["scoreDate"].to_numpy(dtype=object),
                                 lambda d: _date_text(d or "", E["_file"].iat[0], r.warn))
        when = parse_dates(pd.Series(date_text.categories, dtype=object).astype(str),
                           self.r.time_zone)
        date = when.to_numpy()[date_text.codes]
        bad_date = pd.isna(date) & (date_text.codes >= 0)
        missing_date = date_text.codes < 0
        if bad_date.any() or missing_date.any():
            for mask, why in ((bad_date, "could not read it; expected a date as YYYY-MM-DD"),
                              (missing_date, "empty cell; scoreDate is required")):
                if mask.any():
                    self.side.extend(_records(pd.DataFrame({
                        "table": "evidence", "file": E["_file"].to_numpy()[mask],
                        "row": E["_row"].to_numpy()[mask], "column": "scoreDate",
                        "value": E["scoreDate"].to_numpy(dtype=object)[mask], "reason": why})))
            good = ~(bad_date | missing_date)
            E, level, date = E[good], level[good], date[good]
            kind, source = kind[good], source[good]
        self.out["evidence"] = pd.DataFrame({
            "student_id": pd.Categorical(E["studentSourcedId"].to_numpy(dtype=object)),
            "target_id": pd.Categorical(E["_target"].to_numpy(dtype=object)),
            "date": date, "score": level.astype("float32"), "kind": kind, "source": source,
            "_file": pd.Categorical(E["_file"].to_numpy(dtype=object)),
            "_row": E["_row"].to_numpy()})
        for why, k in skipped.items():
            r.notice(f"results.csv: {k} results are not evidence: {why}")

    def _skip(self, rows, column, why):
        """Results that are not evidence, kept with their reason (rows in = loaded + rejected
        + skipped)."""
        self.skipped.append(pd.DataFrame({
            "table": "evidence", "file": rows["_file"].to_numpy(dtype=object),
            "row": rows["_row"].to_numpy(), "column": column,
            "value": rows[column].to_numpy(dtype=object) if column in rows else None,
            "reason": why}))

    @staticmethod
    def _level(scale_id, text, raw_score, lo_text, hi_text, scales):
        """One distinct (scale, textScore, score, line-item range) -> (level, ok|empty|bad,
        reason, column, value)."""
        score = _float(raw_score)
        column = "textScore" if text else "score"
        if not text and score is None:
            if raw_score:
                return np.nan, "bad", "could not read it; expected a number", column, raw_score
            return np.nan, "empty", "", column, ""
        scale = scales.get(scale_id)
        if scale is not None:
            sc, sfile, srow, stitle = scale
            if not sc.usable:
                return (np.nan, "bad", f"score scale {scale_id!r} does not map onto the 1-4 "
                        f"proficiency scale; write pairs such as {{Proficient:3}} or {{80-89:3}} "
                        f"({sfile} row {srow})", "scoreScaleValue", sc.text)
            level = sc.level(text, score)
            if level is None:
                return (np.nan, "bad", f"not on score scale {scale_id!r} ({sc.describe()})",
                        column, text or raw_score)
            return level, "ok", "", column, ""
        lo, hi = _float(lo_text), _float(hi_text)
        level = _level_without_scale(text, score, lo, hi)
        if level is None:
            rng = f" on a {lo:g}-{hi:g} line item" if lo is not None and hi is not None else ""
            return (np.nan, "bad", f"not on the 1-4 scale{rng} and no score scale applies; link a "
                    f"scoreScale that maps it onto 1-4 (lineItemScoreScales.csv)", column,
                    text or raw_score)
        return level, "ok", "", column, ""

    def _reject_result(self, res, where, column, value, reason):
        file, row = where
        name = "results" if file == res["_file"] and row == res["_row"] else \
            ("scoreScales" if column == "scoreScaleValue" else "resultLearningObjectiveIds")
        if name == "results":
            self.side.append(_prob("evidence", file, row, column, value, reason))
        else:
            self.side.append(_prob("evidence", res["_file"], res["_row"], column, value,
                                   f"{reason} ({file} row {row})"))

    def _synth_targets(self, objectives_li, objectives_res, item_by, results, class_info):
        """No CASE package: one target per learning objective id, named after its line item."""
        first: dict[str, dict] = {}
        wanted = results["sourcedId"].isin(list(objectives_res)) if objectives_res else \
            np.zeros(len(results), dtype=bool)
        res_item = dict(zip(results["sourcedId"][wanted].tolist(),
                            results["lineItemSourcedId"][wanted].tolist()))
        for key, links in list(objectives_li.items()) + list(objectives_res.items()):
            for o in links:
                li = item_by.get(key) or item_by.get(res_item.get(key, ""))
                if li is None:
                    continue
                prev = first.get(o["_target"])
                if prev is None or (li["dueDate"], li["_row"]) < (prev["li"]["dueDate"], prev["li"]["_row"]):
                    first[o["_target"]] = {"li": li, "o": o}
        if not first:
            return
        self.r.notice(f"no CASE package in the export and no targets= given: {len(first)} targets "
                    f"were made from the learning objective ids and their line items' titles; pass "
                    f"targets=coachkit.io.load_case(...) for real codes and statements")
        rows = []
        for tid, x in first.items():
            li, o = x["li"], x["o"]
            info = class_info.get(li["classSourcedId"], {})
            crs = info.get("course")
            rows.append(dict(target_id=tid, subject=info.get("subject") or "unknown",
                             grade=info.get("grade", ""), unit=(crs["title"] if crs else "") or "unknown",
                             code=o["learningObjectiveId"], statement=li["title"],
                             portrait_attribute=None, _due=li["dueDate"], _file=o["_file"],
                             _row=o["_row"]))
        rows.sort(key=lambda d: (d["subject"], d["grade"], d["_due"]))
        seq = defaultdict(int)
        for d in rows:
            seq[(d["subject"], d["grade"])] += 1
            d["sequence"] = str(seq[(d["subject"], d["grade"])])
            d.pop("_due")
            self.out["targets"].append(d)


def _canonical(name: str, rows: list[dict], *, time_zone=None):
    """Raw rows with _file/_row -> (typed df indexed 0…n-1, problems by position, file, row arrays)."""
    from .pipeline import coerce_table
    cols = [c.name for c in TABLES[name].columns]
    raw = rows.reindex(columns=cols + ["_file", "_row"]) if isinstance(rows, pd.DataFrame) \
        else pd.DataFrame(rows, columns=cols + ["_file", "_row"])
    files = raw.pop("_file").to_numpy(dtype=object)
    rownums = raw.pop("_row").to_numpy(dtype=object)
    if isinstance(rows, pd.DataFrame):    # typed columns (evidence) need no parsing
        text = raw.copy()
        for c in raw.columns:
            if raw[c].dtype == object:
                text[c] = raw[c].where(raw[c].notna(), "").astype(str)
    else:
        text = raw.astype(object).where(raw.notna(), "").astype(str)
    df, problems = coerce_table(text, name, first_row=0, time_zone=time_zone)
    df.index = pd.RangeIndex(len(df))
    return df, problems, files, rownums


def _remap(rejected: pd.DataFrame, where: dict) -> pd.DataFrame:
    if not len(rejected):
        return rejected
    out = rejected.copy()
    for i in range(len(out)):
        t, pos = out.at[i, "table"], out.at[i, "row"]
        if t in where and pos is not None and pos == pos:
            files, rows = where[t]
            out.at[i, "file"], out.at[i, "row"] = files[int(pos)], rows[int(pos)]
    return out


def load_oneroster(path_or_zip, errors: str = "raise", *, targets=None, line_item_targets=None,
                   kinds=None, time_zone=None) -> Dataset:
    """Read a OneRoster 1.0, 1.1 or 1.2 CSV export (zip or folder) into a Dataset.

    ``path_or_zip`` may be a list of exports applied in order: a bulk export, then the delta
    exports that followed it. ``targets`` is the continuum the learning objectives point at:
    a targets DataFrame, or a path to a CASE package; by default the CASE package inside the
    export (any ``*.json`` holding a CFDocument) is used, and failing that targets are made
    from the objective ids and their line items' titles (with a warning).

    errors="raise" stops at the first problem with a CoachkitDataError naming the file,
    row, field, what was found and the fix; errors="report" loads every good record and
    lists the rest in ``ds.rejected``. Departures from the binding that can be read
    safely come as :class:`OneRosterWarning`.

    The version (1.0, 1.1, 1.2) comes from the manifest, or from the headers when there is
    none, and each file is read by that version's binding. ``line_item_targets`` says how
    line items map onto targets in a gradebook without learning-objective files (1.1):
    ``"title"`` (target codes in the titles; the default when targets are known), a
    lineItems column name, or a ``lineItem,target`` CSV file (see docs/data-sources.md).
    ``kinds`` is the district's category -> evidence kind file (CSV ``category,kind``, YAML,
    TOML or a dict) overriding the default word map of :mod:`coachkit.io.kinds`; a
    ``category_kinds.csv`` inside the export is used when ``kinds`` is not given.
    ``time_zone`` is the district's zone (an IANA name; default the machine's): a
    ``scoreDate`` or ``birthDate`` written with a time and an offset or ``Z`` becomes its
    local date there.
    """
    from .pipeline import assemble, check_errors, one_row_each
    check_errors(errors)
    local_zone(time_zone)   # a wrong name fails here, before any file is read
    paths = list(path_or_zip) if isinstance(path_or_zip, (list, tuple)) else [path_or_zip]
    if kinds is None:
        first = Path(paths[0])
        found = [first / f"category_kinds{x}" for x in (".csv", ".yaml", ".toml")] if first.is_dir() else []
        kinds = next((f for f in found if f.exists()), None)
    kind_map = CategoryKinds(read_kind_map(kinds), source=str(kinds) if not isinstance(kinds, dict)
                             else "kinds=") if kinds is not None else CategoryKinds()
    reader = _Reader(errors, kinds=kind_map, line_item_targets=line_item_targets,
                     time_zone=time_zone)
    try:
        for p in paths:
            reader.read_package(p)
            if errors == "raise" and reader.problems:
                raise_first(pd.DataFrame(reader.problems), "OneRoster export")
        reader.check_references()
        reader.report_deleted()
        if errors == "raise" and reader.problems:
            raise_first(pd.DataFrame(reader.problems), "OneRoster export")
        builder = _Builder(reader, targets)
        builder.build()
        if errors == "raise" and builder.side:
            raise_first(pd.DataFrame(builder.side), "OneRoster export")
        parsed, where = {}, {}
        for name in TABLES:
            rows = builder.out.get(name)
            if name == "targets" and not rows:
                if getattr(builder, "case_raw", None) is not None:
                    from .case import coerce_targets
                    df, problems = coerce_targets(builder.case_raw, builder.case_label)
                    df = df.reset_index(drop=True)
                    # problems carry CFItems positions; keep them by position for _remap
                    pos = {p: i for i, p in enumerate(builder.case_raw.index)}
                    if len(problems):
                        problems["row"] = problems["row"].map(lambda x: pos.get(x, x))
                    where[name] = (np.array([builder.case_label] * len(df), dtype=object),
                                   np.array(list(builder.case_raw.index), dtype=object))
                    parsed[name] = (df, problems, None)
                    continue
                if getattr(builder, "case_table", None) is not None:
                    parsed[name] = (builder.case_table.reset_index(drop=True), no_problems(), None)
                    continue
            if rows is None and name not in CORE_TABLES:
                continue
            df, problems, files, rownums = _canonical(name, rows if rows is not None else [], time_zone=time_zone)
            parsed[name] = (df, problems, None)
            where[name] = (files, rownums)
        ds = assemble(parsed, errors="report", source=", ".join(map(str, paths)))
    finally:
        for message in reader.warned:
            warnings.warn(message, OneRosterWarning, stacklevel=2)
        for message in getattr(reader, "notices", []):
            warnings.warn(message, OneRosterNotice, stacklevel=2)
    side = pd.DataFrame(reader.problems + builder.side) if (reader.problems or builder.side) \
        else no_problems()
    canonical_rejects = _remap(ds.rejected, where)
    if errors == "raise":
        raise_first(canonical_rejects, "OneRoster export")
    rejected = pd.concat([p for p in (one_row_each(side), canonical_rejects) if len(p)]
                         or [no_problems()], ignore_index=True)
    ds = ds.replace(rejected=rejected)
    ds.evidence.attrs["skipped"] = pd.concat(builder.skipped, ignore_index=True) \
        if builder.skipped else no_problems()
    return ds


# ---------------------------------------------------------------------------- writing

def _fmt_date(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.strftime("%Y-%m-%d").fillna("")


def _grade_code(g) -> str:
    return GRADE_CODES.get(int(g), str(g)) if g == g and g is not None else ""


def _school_year(label: str) -> tuple[int, str]:
    """'2025-26' -> (2026, '2025-26'); '2026' -> (2026, '2025-26')."""
    m = re.match(r"^\s*(\d{4})\s*[-/]\s*(\d{2,4})\s*$", str(label))
    if m:
        start = int(m.group(1))
        return start + 1, str(label)
    m = re.match(r"^\s*(\d{4})\s*$", str(label))
    if m:
        y = int(m.group(1))
        return y, f"{y - 1}-{y % 100:02d}"
    raise ValueError(label)


def _year_of(d: pd.Timestamp) -> int:
    return d.year + 1 if d.month >= 7 else d.year


def write_oneroster(dataset: Dataset, folder, *, case_file: str | None = "case.json",
                    system_name: str = "coachkit") -> Path:
    """Write a Dataset as a OneRoster 1.2 bulk export: a folder, or a zip when ``folder``
    ends in ``.zip``. Returns the path written.

    Files: manifest, orgs (a district and its schools), academicSessions (a schoolYear per
    school year, cycles as ``ext:cycle`` sessions), courses, classes, users, roles,
    enrollments, demographics (with ``metadata.ell``, ``metadata.iep``,
    ``metadata.homeLanguage``), categories (one per evidence kind), lineItems (one per
    classroom, target, date, kind and source), results (one per evidence row, in order),
    scoreScales (the 1-4 proficiency scale per class), lineItemScoreScales and
    lineItemLearningObjectiveIds (``source`` = ``case``, ids as ``urn:uuid:`` URNs of the
    targets' CASE identifiers). The targets go into ``case_file`` as a CASE package
    (``None`` to leave it out); :func:`load_oneroster` reads it back from there.
    """
    ds = dataset
    out = Path(folder)
    as_zip = out.suffix.lower() == ".zip"
    files: dict[str, pd.DataFrame] = {}

    def table(name, rows):
        cols = [c for c, _ in SPEC[name]]
        df = pd.DataFrame(rows)
        extra = [c for c in df.columns if c.startswith("metadata.")]
        for c in cols:
            if c not in df.columns:
                df[c] = ""
        files[name] = df[cols + extra].fillna("") if len(df) else pd.DataFrame(columns=cols + extra)

    district = "district"
    schools = ds.schools
    table("orgs", [dict(sourcedId=district, name="District", type="district")] +
          [dict(sourcedId=s.school_id, name=s.name, type="school", parentSourcedId=district)
           for s in schools.itertuples(index=False)])
    # school years and cycles
    years: dict[int, str] = {}
    for label in ds.cycles["school_year"].astype(str).unique() if len(ds.cycles) else []:
        y, text = _school_year(label)
        years[y] = text
    dates = pd.to_datetime(ds.evidence["date"]) if len(ds.evidence) else pd.Series([], dtype="datetime64[ns]")
    for y in sorted({_year_of(d) for d in dates.drop_duplicates()}):
        years.setdefault(y, f"{y - 1}-{y % 100:02d}")
    if not years:
        y = _year_of(pd.Timestamp.today())
        years[y] = f"{y - 1}-{y % 100:02d}"
    sessions = []
    for y, text in sorted(years.items()):
        sessions.append(dict(sourcedId=f"sy{y}", title=text, type="schoolYear",
                             startDate=f"{y - 1}-07-01", endDate=f"{y}-07-01", schoolYear=str(y)))
    for c in ds.cycles.itertuples(index=False):
        y, _ = _school_year(c.school_year)
        sessions.append({"sourcedId": f"cycle{int(c.cycle_id)}", "title": f"Cycle {int(c.cycle_id)}",
                         "type": CYCLE_TYPE, "startDate": pd.Timestamp(c.start).strftime("%Y-%m-%d"),
                         "endDate": (pd.Timestamp(c.end) + pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
                         "parentSourcedId": f"sy{y}", "schoolYear": str(y),
                         "metadata.coachkit.cycleId": str(int(c.cycle_id))})
    table("academicSessions", sessions)
    term = f"sy{max(years)}"
    terms = ",".join(f"sy{y}" for y in sorted(years))
    # courses and classes
    courses, classes, teachers, enroll, roles = [], [], {}, [], []
    course_of = {}
    for c in ds.classrooms.itertuples(index=False):
        subject = getattr(c, "subject", None)
        subject = "" if subject is None or subject != subject else str(subject)
        key = (c.school_id, int(c.grade), subject)
        if key not in course_of:
            cid = f"course-{c.school_id}-{_grade_code(c.grade)}" + (f"-{subject}" if subject else "")
            course_of[key] = cid
            courses.append(dict(sourcedId=cid, schoolYearSourcedId=term,
                                title=f"Grade {grade_label(c.grade)}"
                                      + (f" {subject}" if subject else ""),
                                grades=_grade_code(c.grade), orgSourcedId=c.school_id, subjects=subject))
        classes.append(dict(sourcedId=c.classroom_id, title=f"{c.teacher} - grade "
                            f"{grade_label(c.grade)}", grades=_grade_code(c.grade),
                            courseSourcedId=course_of[key], classCode=c.classroom_id,
                            classType="homeroom", schoolSourcedId=c.school_id,
                            termSourcedIds=terms, subjects=subject))
        tkey = (c.school_id, c.teacher)
        if tkey not in teachers:
            teachers[tkey] = f"t{len(teachers) + 1:04d}-{c.school_id}"
        enroll.append(dict(sourcedId=f"e-{c.classroom_id}-{teachers[tkey]}", classSourcedId=c.classroom_id,
                           schoolSourcedId=c.school_id, userSourcedId=teachers[tkey], role="teacher",
                           primary="true"))
    table("courses", courses)
    table("classes", classes)
    users, demo = [], []
    st = ds.students
    for s in st.itertuples(index=False):
        users.append(dict(sourcedId=s.student_id, enabledUser="true", username=s.student_id,
                          givenName=s.first_name, familyName=s.last_name, identifier=s.student_id,
                          grades=_grade_code(s.grade), primaryOrgSourcedId=s.school_id))
        roles.append(dict(sourcedId=f"r-{s.student_id}", userSourcedId=s.student_id, roleType="primary",
                          role="student", orgSourcedId=s.school_id))
        enroll.append(dict(sourcedId=f"e-{s.classroom_id}-{s.student_id}", classSourcedId=s.classroom_id,
                           schoolSourcedId=s.school_id, userSourcedId=s.student_id, role="student",
                           primary="false"))
        bd = getattr(s, "birth_date", None)
        demo.append({"sourcedId": s.student_id,
                     "birthDate": pd.Timestamp(bd).strftime("%Y-%m-%d") if bd is not None and pd.notna(bd) else "",
                     "metadata.ell": "true" if s.ell else "false",
                     "metadata.iep": "true" if s.iep else "false",
                     "metadata.homeLanguage": str(s.home_language)})
    for (school, name), uid in teachers.items():
        given, _, family = str(name).rpartition(" ")
        row = dict(sourcedId=uid, enabledUser="true", username=uid, givenName=given or family,
                   familyName=family, primaryOrgSourcedId=school)
        row["metadata.coachkit.displayName"] = "" if given else str(name)
        users.append(row)
        roles.append(dict(sourcedId=f"r-{uid}", userSourcedId=uid, roleType="primary", role="teacher",
                          orgSourcedId=school))
    table("users", users)
    table("roles", roles)
    table("enrollments", enroll)
    table("demographics", demo)
    # gradebook
    ev = ds.evidence
    kinds = list(dict.fromkeys(ev["kind"].astype(str))) if len(ev) else []
    table("categories", [dict(sourcedId=f"cat-{k}", title=k) for k in kinds])
    student_class = dict(zip(st["student_id"].astype(str), st["classroom_id"].astype(str)))
    class_school = dict(zip(ds.classrooms["classroom_id"].astype(str), ds.classrooms["school_id"].astype(str)))
    class_course = {c["sourcedId"]: c["courseSourcedId"] for c in classes}
    table("scoreScales", [dict(sourcedId=f"scale-{c}", title="Proficiency scale 1-4", type="proficiency",
                               orgSourcedId=class_school[c], courseSourcedId=class_course[c], classSourcedId=c,
                               scoreScaleValue=",".join(f"{{{w}:{k}}}" for k, w in LEVELS.items()))
                          for c in class_school])
    target_code = dict(zip(ds.targets["target_id"].astype(str), ds.targets["code"].astype(str)))
    lineitems, li_lo, li_scale, results = [], [], [], []
    if len(ev):
        e = pd.DataFrame({"student": ev["student_id"].astype(str), "target": ev["target_id"].astype(str),
                          "date": _fmt_date(ev["date"]), "kind": ev["kind"].astype(str),
                          "score": ev["score"].astype("float32"),
                          "source": ev["source"].astype(object).where(ev["source"].notna(), "")
                          if "source" in ev.columns else ""})
        e["cls"] = e["student"].map(student_class).fillna("")
        keys = e[["cls", "target", "date", "kind", "source"]].astype(str).agg("\x1f".join, axis=1)
        codes, uniques = pd.factorize(keys)
        first = pd.Series(np.arange(len(e))).groupby(codes).first()
        for k, i in enumerate(first.to_numpy()):
            row = e.iloc[i]
            lid = f"li{k + 1:06d}"
            y = _year_of(pd.Timestamp(row["date"]))
            lineitems.append({"sourcedId": lid, "title": f"{target_code.get(row['target'], row['target'])} "
                              f"{row['kind']}", "assignDate": row["date"], "dueDate": row["date"],
                              "classSourcedId": row["cls"], "categorySourcedId": f"cat-{row['kind']}",
                              "academicSessionSourcedId": f"sy{y}" if y in years else term,
                              "resultValueMin": "1", "resultValueMax": "4",
                              "schoolSourcedId": class_school.get(row["cls"], ""),
                              "metadata.coachkit.source": row["source"]})
            li_lo.append(dict(sourcedId=f"lo-{lid}", lineItemSourcedId=lid, source="case",
                              learningObjectiveId=f"urn:uuid:{case_identifier(row['target'])}"))
            li_scale.append(dict(sourcedId=f"ls-{lid}", lineItemSourcedId=lid,
                                 scoreScaleSourcedId=f"scale-{row['cls']}"))
        results = pd.DataFrame({
            "sourcedId": [f"res{i + 1:08d}" for i in range(len(e))],
            "lineItemSourcedId": [f"li{k + 1:06d}" for k in codes],
            "studentSourcedId": e["student"].to_numpy(), "scoreStatus": "fully graded",
            "score": [f"{float(x):.7g}" for x in e["score"]], "scoreDate": e["date"].to_numpy(),
            "classSourcedId": e["cls"].to_numpy()})
    table("lineItems", lineitems)
    table("lineItemLearningObjectiveIds", li_lo)
    table("lineItemScoreScales", li_scale)
    table("results", _records(results) if len(results) else [])
    manifest = [("manifest.version", "1.0"), ("oneroster.version", "1.2")]
    for name in ONEROSTER_FILES:
        manifest.append((f"file.{name}", "bulk" if name in files and len(files[name]) else "absent"))
    manifest += [("source.systemName", system_name), ("source.systemCode", "coachkit")]
    blobs = {"manifest.csv": pd.DataFrame(manifest, columns=["propertyName", "value"])
             .to_csv(index=False, lineterminator="\r\n")}
    for name, df in files.items():
        if len(df):
            blobs[f"{name}.csv"] = df.to_csv(index=False, lineterminator="\r\n")
    case_json = None
    if case_file and len(ds.targets):
        import json
        case_json = json.dumps(case_package(ds.targets), indent=2, ensure_ascii=False) + "\n"
    if as_zip:
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for n, text in blobs.items():
                z.writestr(n, text.encode("utf-8"))
            if case_json:
                z.writestr(case_file, case_json.encode("utf-8"))
    else:
        out.mkdir(parents=True, exist_ok=True)
        for n, text in blobs.items():
            (out / n).write_bytes(text.encode("utf-8"))
        if case_json:
            (out / case_file).write_text(case_json, encoding="utf-8")
    return out
