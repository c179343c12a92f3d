"""Who may see what: a scope for each signed-in person, from the district's own roster.

    scopes = access.scopes(ds, roles=access.load_roles("sample_data/district/roles.toml"))
    scope = access.scope_for("mrivera@district.org", scopes)
    scope.check(ds, classroom="S101-3A")      # raises AccessDenied outside the scope
    mine = scope.restrict(ds)                 # only the rows this person may see

A teacher sees their classrooms; a grade-level lead their grade in their school; a
principal or coach their school; a district role every school; a student their own
profile; a guardian their own children's. The roster gives these (the `staff`,
`guardians` and `enrollments` tables a OneRoster export fills, or, without them, the
teacher named on each classroom and each student's own id). A small roles file adds or
overrides scopes: a coach serving several schools, a substitute for two weeks. A person
with no scope sees nothing and is told whom to ask.

The roles file (TOML, `roles.toml` beside the data):

    contact = "the district data office (data@district.org)"   # shown to unknown people

    [[role]]
    person = "coach@district.org"
    role = "coach"
    schools = ["S101", "S102"]

    [[role]]
    person = "sub.garcia@district.org"
    name = "Mr. García"         # optional: how pages and `coachkit audit` name them
    role = "teacher"
    classrooms = ["S101-3A"]
    until = 2026-03-20          # the scope ends after this day
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from .dataset import Dataset

try:
    import tomllib
except ModuleNotFoundError:   # Python 3.10
    import tomli as tomllib

ROLES = ("district", "principal", "coach", "grade_lead", "teacher", "student", "guardian")
STAFF_ROLE = {"teacher": "teacher", "aide": "teacher", "proctor": "teacher",
              "principal": "principal", "siteAdministrator": "principal",
              "administrator": "principal", "counselor": "coach",
              "districtAdministrator": "district", "systemAdministrator": "district"}
DEFAULT_CONTACT = "your school's instructional coach or principal"


class AccessDenied(PermissionError):
    """What a person asked for lies outside their scope. The message is for that person."""


@dataclass(frozen=True)
class Scope:
    person: str
    role: str | None                                   # None: nobody gave this person a role
    schools: frozenset = frozenset()
    grades: frozenset = frozenset()                    # (school_id, grade) pairs
    classrooms: frozenset = frozenset()
    students: frozenset = frozenset()
    until: dt.date | None = None
    contact: str = DEFAULT_CONTACT
    name: str | None = None                            # how pages and the audit name them

    @property
    def everything(self) -> bool:
        return self.role == "district"

    @property
    def known(self) -> bool:
        return self.role is not None

    def active(self, today: dt.date | None = None) -> bool:
        return self.known and (self.until is None or (today or dt.date.today()) <= self.until)

    # ---------------------------------------------------------------- what is visible
    def visible_classrooms(self, ds: Dataset) -> set[str]:
        rooms = ds.classrooms
        ids = rooms["classroom_id"].astype(str)
        if not self.known or self.role in ("student", "guardian"):
            return set()
        if self.everything:
            return set(ids)
        keep = ids.isin(self.classrooms) | rooms["school_id"].astype(str).isin(self.schools)
        if self.grades:
            keep |= pd.Series([p in self.grades for p in pairs_of(rooms)], index=rooms.index)
        return set(ids[keep])

    def visible_students(self, ds: Dataset) -> set[str]:
        st = ds.students
        if not self.known:
            return set()
        if self.role in ("student", "guardian"):
            return set(st["student_id"].astype(str)) & set(self.students)
        rooms = self.visible_classrooms(ds)
        return set(st.loc[st["classroom_id"].astype(str).isin(rooms), "student_id"].astype(str))

    def visible_schools(self, ds: Dataset) -> set[str]:
        if self.everything:
            return set(ds.schools["school_id"].astype(str))
        rooms = ds.classrooms[ds.classrooms["classroom_id"].astype(str).isin(self.visible_classrooms(ds))]
        if self.role in ("student", "guardian"):
            st = ds.students[ds.students["student_id"].astype(str).isin(self.visible_students(ds))]
            return set(st["school_id"].astype(str))
        return set(rooms["school_id"].astype(str)) | (set(self.schools) if self.known else set())

    def whole_schools(self) -> frozenset:
        """Schools this person sees whole (school dashboards): principals, coaches, district."""
        return self.schools if self.role in ("principal", "coach") else frozenset()

    # ---------------------------------------------------------------- enforcement
    def check(self, ds: Dataset, *, classroom=None, school=None, student=None,
              today: dt.date | None = None) -> None:
        """Raise AccessDenied unless every item asked for lies inside the scope."""
        if not self.active(today):
            raise AccessDenied(self.nobody_message())
        if classroom is not None and str(classroom) not in self.visible_classrooms(ds):
            raise AccessDenied(f"Classroom {classroom} is not one of yours. {self.ask()}")
        if school is not None and not (self.everything or str(school) in self.whole_schools()):
            raise AccessDenied(f"School {school} is not one of yours. {self.ask()}")
        if student is not None and str(student) not in self.visible_students(ds):
            raise AccessDenied(f"That student's page is not one you can open. {self.ask()}")

    def restrict(self, ds: Dataset, today: dt.date | None = None) -> Dataset:
        """The dataset with only the rows this person may see (nothing for nobody)."""
        if not self.active(today):
            return ds.replace(**{n: getattr(ds, n).iloc[:0] for n in PERSONAL_TABLES if hasattr(ds, n)},
                              classrooms=ds.classrooms.iloc[:0], schools=ds.schools.iloc[:0])
        if self.everything:
            return ds
        students = self.visible_students(ds)
        rooms = (self.visible_classrooms(ds) if self.role not in ("student", "guardian") else
                 set(ds.students.loc[ds.students["student_id"].astype(str).isin(students),
                                     "classroom_id"].astype(str)))
        schools = self.visible_schools(ds)
        out = {"classrooms": ds.classrooms[ds.classrooms["classroom_id"].astype(str).isin(rooms)],
               "schools": ds.schools[ds.schools["school_id"].astype(str).isin(schools)]}
        for name in PERSONAL_TABLES:
            table = getattr(ds, name, None)
            if table is not None and "student_id" in table.columns:
                out[name] = table[table["student_id"].astype(str).isin(students)]
        if "survey_responses" in ds.__dataclass_fields__:
            sr = ds.survey_responses
            out["survey_responses"] = sr[sr["school_id"].astype(str).isin(self.whole_schools())] \
                if not self.everything else sr
        return ds.replace(**out)

    def ask(self) -> str:
        return f"If you need it, ask {self.contact}."

    def nobody_message(self) -> str:
        if self.known:
            return (f"Your access as {self.person} ended on {self.until:%B %-d, %Y}. "
                    f"To have it extended, ask {self.contact}.")
        return (f"You are signed in as {self.person}, but coachkit has no school, class or "
                f"student for you yet. To get access, ask {self.contact}.")


PERSONAL_TABLES = ("students", "evidence", "diagnostics", "guardians")


def pairs_of(rooms: pd.DataFrame):
    return zip(rooms["school_id"].astype(str), rooms["grade"].astype(int))


def _text(v) -> str | None:
    return None if v is None or v != v or str(v).strip() == "" else str(v).strip()


def _add(found: dict, keys, scope: Scope) -> None:
    """Merge SCOPE under every sign-in name in KEYS (a person may use id or email)."""
    for key in {k.lower() for k in keys if k}:
        old = found.get(key)
        if old is None:
            found[key] = replace(scope, person=key)
        elif old.role == scope.role:
            found[key] = replace(old, schools=old.schools | scope.schools,
                                 grades=old.grades | scope.grades,
                                 classrooms=old.classrooms | scope.classrooms,
                                 students=old.students | scope.students)
        else:   # two roles for one person: the wider one wins
            if ROLES.index(scope.role) < ROLES.index(old.role):
                found[key] = replace(scope, person=key)


def from_roster(ds: Dataset) -> dict[str, Scope]:
    """Scopes the roster implies, keyed by sign-in name (lower case: id, email, or the
    teacher's name as written on the classroom when the roster has no staff table)."""
    found: dict[str, Scope] = {}
    staff = getattr(ds, "staff", None)
    enroll = getattr(ds, "enrollments", None)
    if staff is not None and len(staff):
        rooms_of = {}
        if enroll is not None and len(enroll):
            e = enroll[enroll["role"].astype(str).isin(("teacher", "aide", "proctor", "administrator"))]
            for pid, g in e.groupby(e["person_id"].astype(str)):
                rooms_of[pid] = frozenset(g["classroom_id"].astype(str))
        for r in staff.to_dict("records"):
            role = STAFF_ROLE.get(str(r["role"]), "teacher")
            sid = str(r["staff_id"])
            school = frozenset({_text(r.get("school_id"))} - {None})
            scope = Scope(person=sid, role=role,
                          classrooms=rooms_of.get(sid, frozenset()) if role == "teacher" else frozenset(),
                          schools=school if role in ("principal", "coach") else frozenset())
            _add(found, [sid, _text(r.get("email"))], scope)
    else:
        rooms = ds.classrooms
        for teacher, g in rooms.groupby(rooms["teacher"].astype(str)):
            _add(found, [teacher], Scope(person=teacher, role="teacher",
                                         classrooms=frozenset(g["classroom_id"].astype(str))))
    for sid in ds.students["student_id"].astype(str):
        _add(found, [sid], Scope(person=sid, role="student", students=frozenset({sid})))
    guardians = getattr(ds, "guardians", None)
    if guardians is not None and len(guardians):
        for gid, g in guardians.groupby(guardians["guardian_id"].astype(str)):
            emails = [_text(x) for x in g.get("email", pd.Series(dtype=str))]
            _add(found, [gid, *emails], Scope(person=gid, role="guardian",
                                              students=frozenset(g["student_id"].astype(str))))
    return found


@dataclass(frozen=True)
class RolesFile:
    contact: str = DEFAULT_CONTACT
    entries: tuple = field(default_factory=tuple)     # Scope per entry, in file order


def load_roles(path) -> RolesFile:
    """Read a roles file; a missing file is no extra roles. Errors name the entry and key."""
    path = Path(path)
    if not path.exists():
        return RolesFile()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: expected a TOML roles file, got unreadable text ({e})") from None
    contact = str(raw.get("contact", DEFAULT_CONTACT))
    entries = []
    for i, r in enumerate(raw.get("role", []), start=1):
        where = f"{path}, role entry {i}"
        person = _text(r.get("person"))
        if not person:
            raise ValueError(f"{where}: expected person = \"<sign-in name>\", got none")
        role = r.get("role")
        if role not in ROLES:
            raise ValueError(f"{where}: role: expected one of {', '.join(ROLES)}, got {role!r}")
        until = r.get("until")
        if until is not None and not isinstance(until, dt.date):
            raise ValueError(f"{where}: until: expected a date like 2026-03-20, got {until!r}")
        grades = frozenset()
        for g in r.get("grades", []):
            try:
                school, grade = str(g).split(":")
                grades |= {(school, 0 if grade.upper() in ("K", "KG") else int(grade))}
            except ValueError:
                raise ValueError(f"{where}: grades: expected \"SCHOOL:GRADE\" like \"S101:4\", "
                                 f"got {g!r}") from None
        name = _text(r.get("name"))
        entries.append(Scope(person=person.lower(), role=role, until=until, contact=contact,
                             name=name,
                             schools=frozenset(map(str, r.get("schools", []))), grades=grades,
                             classrooms=frozenset(map(str, r.get("classrooms", []))),
                             students=frozenset(map(str, r.get("students", [])))))
    return RolesFile(contact=contact, entries=tuple(entries))


def scopes(ds: Dataset, *, roles: RolesFile | None = None,
           today: dt.date | None = None) -> dict[str, Scope]:
    """Every sign-in name's scope: the roster's, with the roles file's entries replacing
    them person by person (an expired entry falls back to the roster's scope)."""
    roles = roles or RolesFile()
    found = {k: replace(v, contact=roles.contact) for k, v in from_roster(ds).items()}
    overridden: dict[str, Scope] = {}
    for entry in roles.entries:
        if not entry.active(today):
            continue
        old = overridden.get(entry.person)
        overridden[entry.person] = entry if old is None else replace(
            old, name=old.name or entry.name,
            schools=old.schools | entry.schools, grades=old.grades | entry.grades,
            classrooms=old.classrooms | entry.classrooms, students=old.students | entry.students)
    found.update(overridden)
    return found


def scope_for(person: str | None, known: dict[str, Scope], *, contact: str = DEFAULT_CONTACT) -> Scope:
    """The scope of PERSON (sign-in names compare case-insensitively); nobody's if unknown."""
    key = (person or "").strip().lower()
    if key in known:
        return known[key]
    any_scope = next(iter(known.values()), None)
    return Scope(person=person or "(not signed in)", role=None,
                 contact=any_scope.contact if any_scope else contact)


def _full(first, last) -> str | None:
    return _text(" ".join(x for x in (_text(first), _text(last)) if x))


def _roster_name(people: pd.DataFrame | None, id_column: str, key: str) -> str | None:
    """The full name of the roster row whose id (or email) is KEY, if any."""
    if people is None or not len(people):
        return None
    hit = people[id_column].astype(str).str.lower() == key
    if "email" in people.columns:
        hit |= people["email"].astype(str).str.lower() == key
    if not hit.any():
        return None
    r = people[hit].iloc[0]
    return _full(r.get("first_name"), r.get("last_name"))


def display_name(ds: Dataset, person: str | None, known: dict[str, Scope] | None = None) -> str:
    """How a page or the audit names PERSON (a sign-in name): the roles file's ``name``,
    else the roster's (staff, student, guardian, or the teacher as the classroom names
    them), else the sign-in name itself."""
    key = (person or "").strip().lower()
    if not key:
        return "(nobody)"
    scope = (known or {}).get(key)
    if scope is not None and scope.name:
        return scope.name
    for table, id_column in (("staff", "staff_id"), ("students", "student_id"),
                             ("guardians", "guardian_id")):
        found = _roster_name(getattr(ds, table, None), id_column, key)
        if found:
            return found
    teachers = ds.classrooms["teacher"].astype(str)
    hit = teachers[teachers.str.lower() == key]
    if len(hit):
        return str(hit.iloc[0])
    return str(person)
