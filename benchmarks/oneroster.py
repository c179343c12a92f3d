"""How fast the OneRoster reader turns results into evidence.

    PYTHONPATH=. python benchmarks/oneroster.py --results 1000000

Writes a OneRoster 1.2 bulk export (one school, 40 classes, 25 students each, 200 line
items each tied to a learning objective, N results) into a temporary folder, loads it with
``load_oneroster`` and prints results per second. The target: 1 million results in under
10 s (the row-by-row reader managed about 7,000 a second).
"""
from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

META = {"status": "", "dateLastModified": ""}


def write_export(folder: Path, n_results: int, *, classes: int = 40, per_class: int = 25,
                 items: int = 200, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)

    def csv(name, df):
        df.to_csv(folder / f"{name}.csv", index=False)

    csv("orgs", pd.DataFrame([{"sourcedId": "sch1", **META, "name": "Bench School", "type": "school",
                               "identifier": "", "parentSourcedId": ""}]))
    csv("academicSessions", pd.DataFrame([{"sourcedId": "sy2026", **META, "title": "2025-26",
                                           "type": "schoolYear", "startDate": "2025-07-01",
                                           "endDate": "2026-07-01", "parentSourcedId": "",
                                           "schoolYear": "2026"}]))
    csv("courses", pd.DataFrame([{"sourcedId": "crs1", **META, "schoolYearSourcedId": "sy2026",
                                  "title": "Grade 5 math", "courseCode": "", "grades": "05",
                                  "orgSourcedId": "sch1", "subjects": "math", "subjectCodes": ""}]))
    cls = [f"cls{i:03d}" for i in range(classes)]
    csv("classes", pd.DataFrame({"sourcedId": cls, **META, "title": cls, "grades": "05",
                                 "courseSourcedId": "crs1", "classCode": "", "classType": "homeroom",
                                 "location": "", "schoolSourcedId": "sch1", "termSourcedIds": "sy2026",
                                 "subjects": "math", "subjectCodes": "", "periods": ""}))
    n_students = classes * per_class
    st = [f"s{i:05d}" for i in range(n_students)]
    teachers = [f"t{i:03d}" for i in range(classes)]
    users = pd.DataFrame({"sourcedId": st + teachers, **META, "enabledUser": "true",
                          "username": st + teachers, "userIds": "", "givenName": "Ana",
                          "familyName": [f"F{i}" for i in range(n_students + classes)],
                          "middleName": "", "identifier": "", "email": "", "sms": "", "phone": "",
                          "agentSourcedIds": "", "grades": "05", "password": "",
                          "userMasterIdentifier": "", "resourceSourcedIds": "",
                          "preferredGivenName": "", "preferredMiddleName": "",
                          "preferredFamilyName": "", "primaryOrgSourcedId": "sch1", "pronouns": ""})
    csv("users", users)
    csv("roles", pd.DataFrame({"sourcedId": [f"r-{u}" for u in st + teachers], **META,
                               "userSourcedId": st + teachers, "roleType": "primary",
                               "role": ["student"] * n_students + ["teacher"] * classes,
                               "beginDate": "", "endDate": "", "orgSourcedId": "sch1",
                               "userProfileSourcedId": ""}))
    klass = [cls[i // per_class] for i in range(n_students)]
    csv("enrollments", pd.DataFrame({
        "sourcedId": [f"e-{u}" for u in st + teachers], **META, "classSourcedId": klass + cls,
        "schoolSourcedId": "sch1", "userSourcedId": st + teachers,
        "role": ["student"] * n_students + ["teacher"] * classes,
        "primary": ["false"] * n_students + ["true"] * classes, "beginDate": "", "endDate": ""}))
    csv("categories", pd.DataFrame({"sourcedId": ["c1", "c2"], **META,
                                    "title": ["Unit Tests", "Homework & Practice"], "weight": ""}))
    n_items = classes * items
    li = [f"li{i:06d}" for i in range(n_items)]
    csv("lineItems", pd.DataFrame({
        "sourcedId": li, **META, "title": [f"Target {i % items}" for i in range(n_items)],
        "description": "", "assignDate": "2025-10-01", "dueDate": "2025-10-01",
        "classSourcedId": [cls[i // items] for i in range(n_items)],
        "categorySourcedId": np.where(np.arange(n_items) % 3 == 0, "c1", "c2"),
        "academicSessionSourcedId": "sy2026", "resultValueMin": "1", "resultValueMax": "4",
        "schoolSourcedId": "sch1"}))
    csv("lineItemLearningObjectiveIds", pd.DataFrame({
        "sourcedId": [f"lo-{x}" for x in li], **META, "lineItemSourcedId": li, "source": "unknown",
        "learningObjectiveId": [f"T{i % items:03d}" for i in range(n_items)]}))
    item_of = rng.integers(0, n_items, n_results)
    student = (item_of // items) * per_class + rng.integers(0, per_class, n_results)
    days = pd.to_datetime("2025-09-01") + pd.to_timedelta(rng.integers(0, 200, n_results), unit="D")
    pd.DataFrame({
        "sourcedId": np.char.add("res", np.arange(n_results).astype(str)), **META,
        "lineItemSourcedId": np.array(li, dtype=object)[item_of],
        "studentSourcedId": np.array(st, dtype=object)[student], "scoreStatus": "fully graded",
        "score": rng.choice(["1", "2", "2.5", "3", "3.5", "4"], n_results),
        "scoreDate": days.strftime("%Y-%m-%d"), "comment": "", "textScore": "",
        "classSourcedId": "", "inProgress": "", "incomplete": "", "late": "", "missing": "",
    }).to_csv(folder / "results.csv", index=False)
    files = ["academicSessions", "categories", "classes", "courses", "enrollments",
             "lineItemLearningObjectiveIds", "lineItems", "orgs", "results", "roles", "users"]
    from coachkit.io.oneroster import ONEROSTER_FILES
    rows = [("manifest.version", "1.0"), ("oneroster.version", "1.2")] + \
        [(f"file.{n}", "bulk" if n in files else "absent") for n in ONEROSTER_FILES]
    pd.DataFrame(rows, columns=["propertyName", "value"]).to_csv(folder / "manifest.csv", index=False)
    return folder


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    from coachkit.io import load_oneroster
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        folder = write_export(Path(tmp) / "export", args.results)
        t1, c1 = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = load_oneroster(folder, errors="report")
        t2, c2 = time.perf_counter(), time.process_time()
    print(f"wrote {args.results:,} results in {t1 - t0:.1f} s")
    print(f"load_oneroster: {t2 - t1:.2f} s for {args.results:,} results -> "
          f"{len(ds.evidence):,} evidence rows, {len(ds.rejected)} rejected "
          f"({args.results / (t2 - t1):,.0f} results/s); CPU time {c2 - c1:.2f} s "
          f"(wall time counts other programs sharing the cores)")
    return ds


if __name__ == "__main__":
    main()
