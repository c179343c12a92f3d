"""Scopes from the roster and the roles file: each person sees exactly their own."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from coachkit import access
from coachkit.access import AccessDenied



@pytest.fixture(scope="module")
def roster(ds):
    """The sample district with a OneRoster-like staff, enrollments and guardians table."""
    rooms = ds.classrooms
    staff = pd.DataFrame({
        "staff_id": ["t1", "p1", "d1"], "first_name": ["Ana", "Luis", "Rosa"],
        "last_name": ["Rivera", "Ortiz", "Díaz"],
        "role": ["teacher", "principal", "districtAdministrator"],
        "school_id": ["S101", "S101", None],
        "email": ["arivera@district.org", "lortiz@district.org", "rdiaz@district.org"]})
    enroll = pd.DataFrame({"classroom_id": ["S101-3A", "S101-4A"], "person_id": ["t1", "t1"],
                           "role": ["teacher", "teacher"], "primary": [True, False]})
    kids = ds.students[ds.students["classroom_id"] == "S101-3A"]["student_id"].astype(str).head(2)
    guardians = pd.DataFrame({"guardian_id": ["g1", "g1"], "student_id": list(kids),
                              "first_name": ["María", "María"], "last_name": ["López", "López"],
                              "relationship": ["parent", "parent"],
                              "email": ["maria@example.org", "maria@example.org"]})
    return ds.replace(staff=staff, enrollments=enroll, guardians=guardians), list(kids)


def test_each_role_sees_exactly_its_scope(roster):
    ds, kids = roster
    known = access.scopes(ds)
    teacher = access.scope_for("ARivera@district.org", known)          # case-insensitive
    assert teacher.role == "teacher"
    assert teacher.visible_classrooms(ds) == {"S101-3A", "S101-4A"}
    rooms = ds.students["classroom_id"].isin(["S101-3A", "S101-4A"])
    assert teacher.visible_students(ds) == set(ds.students.loc[rooms, "student_id"].astype(str))
    principal = access.scope_for("lortiz@district.org", known)
    assert principal.visible_classrooms(ds) == set(
        ds.classrooms.loc[ds.classrooms["school_id"] == "S101", "classroom_id"])
    district = access.scope_for("d1", known)
    assert district.visible_schools(ds) == set(ds.schools["school_id"])
    guardian = access.scope_for("maria@example.org", known)
    assert guardian.visible_students(ds) == set(kids) and guardian.visible_classrooms(ds) == set()
    student = access.scope_for(kids[0], known)
    assert student.visible_students(ds) == {kids[0]}


def test_restrict_keeps_only_the_scope(roster):
    ds, kids = roster
    known = access.scopes(ds)
    mine = access.scope_for("maria@example.org", known).restrict(ds)
    assert set(mine.students["student_id"].astype(str)) == set(kids)
    assert set(mine.evidence["student_id"].astype(str)) == set(kids)
    assert len(mine.survey_responses) == 0
    teacher = access.scope_for("t1", known).restrict(ds)
    assert set(teacher.classrooms["classroom_id"]) == {"S101-3A", "S101-4A"}
    assert set(teacher.evidence["student_id"].astype(str)) <= set(teacher.students["student_id"].astype(str))
    nobody = access.scope_for("stranger@example.org", known).restrict(ds)
    assert len(nobody.students) == len(nobody.evidence) == len(nobody.classrooms) == 0


def test_check_refuses_what_lies_outside(roster):
    ds, kids = roster
    known = access.scopes(ds)
    teacher = access.scope_for("t1", known)
    teacher.check(ds, classroom="S101-3A")
    with pytest.raises(AccessDenied, match="Classroom S102-7A is not one of yours"):
        teacher.check(ds, classroom="S102-7A")
    with pytest.raises(AccessDenied, match="School S101 is not one of yours"):
        teacher.check(ds, school="S101")            # a teacher has no school dashboard
    guardian = access.scope_for("maria@example.org", known)
    guardian.check(ds, student=kids[1])
    other = ds.students.loc[~ds.students["student_id"].astype(str).isin(kids), "student_id"].iloc[0]
    with pytest.raises(AccessDenied, match="not one you can open"):
        guardian.check(ds, student=other)


def test_unknown_person_is_told_whom_to_ask(ds, tmp_path):
    f = tmp_path / "roles.toml"
    f.write_text('contact = "the district data office (data@district.org)"\n')
    known = access.scopes(ds, roles=access.load_roles(f))
    nobody = access.scope_for("stranger@example.org", known)
    assert not nobody.known and nobody.visible_students(ds) == set()
    with pytest.raises(AccessDenied, match=r"no school, class or student for you yet\. "
                                           r"To get access, ask the district data office"):
        nobody.check(ds, classroom="S101-3A")


def test_roles_file_adds_and_overrides_with_end_dates(ds, tmp_path):
    f = tmp_path / "roles.toml"
    f.write_text('''
[[role]]
person = "coach@district.org"
role = "coach"
schools = ["S101", "S102"]

[[role]]
person = "lead@district.org"
role = "grade_lead"
grades = ["S101:4", "S101:K"]

[[role]]
person = "sub@district.org"
role = "teacher"
classrooms = ["S101-3A"]
until = 2026-03-20

[[role]]
person = "Mrs. Allen"
role = "principal"
schools = ["S101"]
''')
    roles = access.load_roles(f)
    known = access.scopes(ds, roles=roles, today=dt.date(2026, 3, 10))
    coach = access.scope_for("coach@district.org", known)
    assert coach.visible_schools(ds) == {"S101", "S102"}
    lead = access.scope_for("lead@district.org", known)
    expect = ds.classrooms[(ds.classrooms["school_id"] == "S101") & ds.classrooms["grade"].isin([0, 4])]
    assert lead.visible_classrooms(ds) == set(expect["classroom_id"])
    assert access.scope_for("sub@district.org", known).visible_classrooms(ds) == {"S101-3A"}
    later = access.scopes(ds, roles=roles, today=dt.date(2026, 3, 21))
    assert not access.scope_for("sub@district.org", later).known       # the two weeks are over
    # an entry replaces the roster's scope for that person (a teacher made principal)
    assert access.scope_for("mrs. allen", known).role == "principal"
    # from the canonical tables alone a teacher is the name written on the classroom
    plain = access.scopes(ds)
    assert access.scope_for("Mrs. Allen", plain).visible_classrooms(ds) == set(
        ds.classrooms.loc[ds.classrooms["teacher"] == "Mrs. Allen", "classroom_id"])


@pytest.mark.parametrize("text, message", [
    ('[[role]]\nrole = "coach"\n', "expected person"),
    ('[[role]]\nperson = "x"\nrole = "king"\n', "role: expected one of district"),
    ('[[role]]\nperson = "x"\nrole = "grade_lead"\ngrades = ["S101-4"]\n', 'expected "SCHOOL:GRADE"'),
    ('[[role]]\nperson = "x"\nrole = "teacher"\nuntil = "soon"\n', "until: expected a date"),
    ("not toml = = =", "expected a TOML roles file"),
])
def test_roles_file_errors_name_entry_and_key(tmp_path, text, message):
    f = tmp_path / "roles.toml"
    f.write_text(text)
    with pytest.raises(ValueError, match=message):
        access.load_roles(f)


def test_display_name_from_roles_file_then_roster_then_sign_in(roster):
    roster, _ = roster
    sid = str(roster.students["student_id"].iloc[0])
    st = roster.students.iloc[0]
    assert access.display_name(roster, "ARivera@district.org") == "Ana Rivera"   # staff, by email
    assert access.display_name(roster, "p1") == "Luis Ortiz"                       # staff, by id
    assert access.display_name(roster, sid) == f"{st['first_name']} {st['last_name']}"
    assert access.display_name(roster, "maria@example.org") == "María López"     # guardian
    assert access.display_name(roster, "someone@else.org") == "someone@else.org"
    assert access.display_name(roster, "  ") == "(nobody)"
    named = access.Scope(person="p1", role="principal", name="Dr. Ortiz")
    assert access.display_name(roster, "p1", {"p1": named}) == "Dr. Ortiz"
