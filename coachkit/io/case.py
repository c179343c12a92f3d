"""CASE 1.0 packages (Competencies and Academic Standards Exchange) <-> the ``targets`` table.

A CASE package is one JSON object: ``CFDocument`` (the framework), ``CFItems`` (its
statements) and ``CFAssociations`` (how items relate). coachkit reads:

=====================  =====================================================================
targets column         from the CASE package
=====================  =====================================================================
target_id              ``CFItem.identifier`` (a UUID); ``id_from="code"`` uses the code instead.
                       A note line ``coachkit.target_id: <id>`` (written by :func:`write_case`
                       for local, non-UUID ids) wins, so coachkit ids survive a round trip.
code                   ``humanCodingScheme``
statement              ``fullStatement``
grade                  ``educationLevel`` (``KG``/``K`` = 0, ``01``…``12``; the lowest listed;
                       inherited from the nearest ancestor when the item has none)
subject                the nearest ancestor item whose ``CFItemType`` is ``Subject``, else
                       ``CFDocument.subject`` (first entry), else the document title
unit                   the parent item's ``fullStatement`` (the document title at top level)
sequence               order of the ``isChildOf`` tree (children by ``sequenceNumber``, then
                       ``listEnumeration``, then code), refined by ``precedes`` associations;
                       numbered 1… within subject and grade, or the items' own
                       ``listEnumeration`` when those are whole numbers that already run in
                       that order
portrait_attribute     a note line ``coachkit.portrait_attribute: <attribute>``
=====================  =====================================================================

Targets are the *leaves* of the ``isChildOf`` tree: items that have no children.
Everything else (grade bands, domains, clusters) is structure: it supplies grade, subject
and unit. Spec source: the IMS CASE 1.0 OpenAPI definition (``CFPackage``,
``CFPckgDocument``, ``CFPckgItem``, ``CFPckgAssociation``, ``LinkGenURI``).
"""
from __future__ import annotations

import heapq
import json
import re
import uuid
import warnings
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from ..dataset import no_problems, raise_first
from ..errors import CoachkitDataError
from ..schema import TABLES, grade_label

__all__ = ["load_case", "write_case", "read_case_package", "case_identifier", "CaseWarning",
           "load_case_details", "loads_json", "unwrap_package", "case_targets", "coerce_targets",
           "normalize_uuid", "parse_grade_code", "case_package", "GRADE_CODES"]

# Namespace for deterministic UUIDs made from coachkit's local ids (uuid5).
COACHKIT_NS = uuid.UUID("6f1d3c8e-2b0a-5c47-9e1f-7a4b8c2d0e13")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
NOTE_RE = re.compile(r"^\s*coachkit\.(target_id|portrait_attribute)\s*:\s*(.*?)\s*$", re.M)
ASSOCIATION_TYPES = ("isChildOf", "isPeerOf", "isPartOf", "exactMatchOf", "precedes",
                     "isRelatedTo", "replacedBy", "exemplar", "hasSkillLevel")
GRADE_CODES = {0: "KG", **{g: f"{g:02d}" for g in range(1, 13)}}
# CFItemTypes that explain a standard rather than state one (compared lower-case, letters only,
# a trailing s ignored): skipped and counted, never rejected.
SUPPORT_ITEM_TYPES = ("example", "exemplar", "task", "sample task", "performance task example",
                      "note", "teacher note", "accessibility", "accessibility note",
                      "clarification", "clarification statement", "boundary", "assessment boundary",
                      "assessment limit", "misconception", "vocabulary", "resource",
                      "essential question", "evidence statement", "comment")


class CaseWarning(UserWarning):
    """A CASE package that departs from the specification but could still be read."""


def normalize_uuid(value) -> str | None:
    """'urn:uuid:ABC…' or 'ABC…' -> 'abc…' when it is a UUID, else None."""
    if value is None:
        return None
    s = str(value).strip()
    if s.lower().startswith("urn:uuid:"):
        s = s[9:]
    return s.lower() if UUID_RE.match(s) else None


def case_identifier(target_id) -> str:
    """The CASE identifier for a target id: the id itself when it is a UUID, else a
    deterministic UUID made from it (uuid5 in coachkit's namespace)."""
    return normalize_uuid(target_id) or str(uuid.uuid5(COACHKIT_NS, f"target:{target_id}"))


def parse_grade_code(value) -> int | None:
    s = str(value).strip().upper()
    if s in ("K", "KG", "KINDERGARTEN", "0", "00"):
        return 0
    if s.isdigit() and 0 <= int(s) <= 12:
        return int(s)
    return None


def _natural(s) -> tuple:
    return tuple((0, int(t), "") if t.isdigit() else (1, 0, t.lower())
                 for t in re.findall(r"\d+|\D+", str(s or "")))


def read_case_package(path) -> tuple[dict, str]:
    """The package JSON (a file, a folder holding one, or a zip) -> (package dict, label)."""
    if isinstance(path, dict):
        return path, "CFPackage"
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.is_dir():
        found = sorted(p for p in path.glob("*.json") if _looks_like_case(p))
        if not found:
            raise CoachkitDataError(f"{path}: no CASE package (.json with a CFDocument) in "
                                    f"this folder", file=str(path))
        path = found[0]
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if n.lower().endswith(".json")]
            for n in names:
                data = loads_json(z.read(n), f"{path}/{n}")
                if isinstance(data, dict) and ("CFDocument" in data or "CFPackage" in data):
                    return unwrap_package(data), f"{path}/{n}"
        raise CoachkitDataError(f"{path}: no CASE package (.json with a CFDocument) inside",
                                file=str(path))
    return unwrap_package(loads_json(path.read_bytes(), str(path))), str(path)


def _looks_like_case(p: Path) -> bool:
    try:
        head = p.read_bytes()[:4096].decode("utf-8", "replace")
    except OSError:
        return False
    return "CFDocument" in head or "CFPackage" in head


def loads_json(raw: bytes, label: str):
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CoachkitDataError(f"{label}: not a JSON file ({err}); a CASE package is one JSON "
                                f"object with CFDocument, CFItems and CFAssociations",
                                file=label) from err


def unwrap_package(data) -> dict:
    if isinstance(data, dict) and "CFDocument" not in data and isinstance(data.get("CFPackage"), dict):
        warnings.warn("CASE package wrapped in a 'CFPackage' object; the binding puts "
                      "CFDocument at the top level. Read it anyway.", CaseWarning, stacklevel=3)
        return data["CFPackage"]
    return data


def _problem(file, row, column, value, reason, table="targets") -> dict:
    return {"table": table, "file": file, "row": row, "column": column,
            "value": value, "reason": reason}


def _type_word(item) -> str:
    return re.sub(r"[^a-z]+", " ", str(item.get("CFItemType") or "").lower()).strip()


def is_support_item(item) -> bool:
    """Examples, tasks, notes and the like: items that explain a standard, not standards."""
    word = _type_word(item)
    return bool(word) and (word in SUPPORT_ITEM_TYPES or word.rstrip("s") in SUPPORT_ITEM_TYPES)


def case_targets(package, *, id_from: str = "identifier", label: str = "CFPackage",
                 grade=None, grades: dict | None = None, skipped: list | None = None):
    """Package dict -> (raw targets DataFrame indexed by CFItems position, problems, identifier map,
    document dict). Support items (examples, tasks, notes …) go to ``skipped`` when given."""
    levels = {str(k).strip().lower(): v for k, v in (grades or {}).items()}
    default_grade = grade
    if not isinstance(package, dict) or not isinstance(package.get("CFDocument"), dict):
        raise CoachkitDataError(f"{label}: no CFDocument object; a CASE package is "
                                f'{{"CFDocument": {{…}}, "CFItems": […], "CFAssociations": […]}}',
                                file=label, column="CFDocument")
    doc = package["CFDocument"]
    items = package.get("CFItems") or []
    assocs = package.get("CFAssociations") or []
    items_file, assoc_file = f"{label}#CFItems", f"{label}#CFAssociations"
    problems: list[dict] = []
    doc_id = str(doc.get("identifier") or "").strip().lower()
    by_id: dict[str, int] = {}
    support: set[str] = set()
    for pos, it in enumerate(items, start=1):
        ident = str(it.get("identifier") or "").strip().lower()
        if not ident:
            problems.append(_problem(items_file, pos, "identifier", None,
                                     "empty cell; every CFItem needs an identifier (a UUID)"))
            continue
        if ident in by_id:
            problems.append(_problem(items_file, pos, "identifier", ident,
                                     f"duplicate identifier; already on CFItems item {by_id[ident]}"))
            continue
        if is_support_item(it):
            support.add(ident)
            if skipped is not None:
                skipped.append(_problem(f"{label}#CFItems", pos, "CFItemType", it.get("CFItemType"),
                                        "not a standard (an example, task or note that explains "
                                        "one); skipped"))
            continue
        if not UUID_RE.match(ident):
            warnings.warn(f"{items_file} item {pos}: identifier {ident!r} is not a UUID as CASE "
                          f"requires; read it anyway", CaseWarning, stacklevel=3)
        by_id[ident] = pos
    parent: dict[str, tuple[str, float]] = {}
    precedes: list[tuple[str, str]] = []
    for pos, a in enumerate(assocs, start=1):
        kind = a.get("associationType")
        if kind not in ("isChildOf", "precedes"):
            if kind not in ASSOCIATION_TYPES:
                problems.append(_problem(assoc_file, pos, "associationType", kind,
                                         "unknown value; expected one of " + ", ".join(ASSOCIATION_TYPES)))
            continue
        origin = str((a.get("originNodeURI") or {}).get("identifier") or "").strip().lower()
        dest = str((a.get("destinationNodeURI") or {}).get("identifier") or "").strip().lower()
        if origin in support or dest in support:
            continue      # an example or note hanging off a standard (or the reverse)
        if origin not in by_id:
            problems.append(_problem(assoc_file, pos, "originNodeURI.identifier", origin or None,
                                     "bad reference: not the identifier of a CFItem in this package"))
            continue
        if kind == "isChildOf":
            if dest != doc_id and dest not in by_id:
                problems.append(_problem(assoc_file, pos, "destinationNodeURI.identifier",
                                         dest or None, "bad reference: not the identifier of a "
                                         "CFItem or the CFDocument in this package"))
                continue
            seq = a.get("sequenceNumber")
            parent.setdefault(origin, (dest, float(seq) if isinstance(seq, (int, float)) else np.inf))
        elif dest in by_id:
            precedes.append((origin, dest))
    # the tree: children of each node, sorted
    children: dict[str, list[str]] = {}
    for ident in by_id:
        p = parent.get(ident, (doc_id, np.inf))[0]
        children.setdefault(p, []).append(ident)
    orphans = [i for i in by_id if i not in parent]
    if orphans and parent:
        warnings.warn(f"{label}: {len(orphans)} CFItems have no isChildOf association; read them "
                      f"as top-level items of the document", CaseWarning, stacklevel=3)

    def sort_key(ident):
        it = items[by_id[ident] - 1]
        return (parent.get(ident, (None, np.inf))[1], _natural(it.get("listEnumeration")),
                _natural(it.get("humanCodingScheme")), by_id[ident])

    order, seen, stack = [], set(), [doc_id]
    for node in [doc_id] + orphans:          # DFS; cycles and unreachable items handled below
        stack = [node]
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            if n != doc_id:
                order.append(n)
            stack.extend(reversed(sorted(children.get(n, []), key=sort_key)))
    for ident in by_id:
        if ident not in seen:                # part of an isChildOf cycle
            problems.append(_problem(items_file, by_id[ident], "identifier", ident,
                                     "isChildOf associations form a cycle through this item"))
    leaves = [i for i in order if not children.get(i)]
    rank = {i: k for k, i in enumerate(leaves)}
    leaves = _apply_precedes(leaves, rank, precedes, label)

    doc_subjects = doc.get("subject") or []
    if isinstance(doc_subjects, str):
        doc_subjects = [s.strip() for s in doc_subjects.split(",") if s.strip()]
    rows, ident_of = [], {}
    for ident in leaves:
        pos = by_id[ident]
        it = items[pos - 1]
        chain, p = [], parent.get(ident, (doc_id,))[0]
        while p in by_id and p not in chain:
            chain.append(p)
            p = parent.get(p, (doc_id,))[0]
        ancestors = [items[by_id[c] - 1] for c in chain]
        grade = _grade_of(it, ancestors, levels)
        if grade is None and default_grade is not None:
            grade = str(default_grade)
        subject = next((items[by_id[c] - 1].get("fullStatement") for c in chain
                        if str(items[by_id[c] - 1].get("CFItemType") or "").lower() == "subject"),
                       None) or (doc_subjects[0] if doc_subjects else doc.get("title"))
        unit = items[by_id[chain[0]] - 1].get("fullStatement") if chain else doc.get("title")
        notes = dict(NOTE_RE.findall(str(it.get("notes") or "")))
        code = it.get("humanCodingScheme") or generated_code(it, ancestors, ident)
        if id_from in ("code", "humanCodingScheme"):
            target_id = code
        elif id_from == "identifier":
            target_id = notes.get("target_id") or ident
        else:
            raise ValueError(f"id_from must be 'identifier' or 'code'; got {id_from!r}")
        ident_of[str(target_id)] = ident
        rows.append({"_pos": pos, "target_id": target_id, "subject": subject, "grade": grade,
                     "unit": unit, "code": code, "statement": it.get("fullStatement"),
                     "portrait_attribute": notes.get("portrait_attribute"),
                     "_enum": it.get("listEnumeration")})
    raw = pd.DataFrame(rows, columns=["_pos", "target_id", "subject", "grade", "unit", "code",
                                      "statement", "portrait_attribute", "_enum"])
    raw["sequence"] = _sequences(raw)
    raw = raw.set_index("_pos").drop(columns="_enum")
    return raw, problems, ident_of, doc


def _grade_of(item, ancestors, levels: dict):
    """The item's grade: its (or the nearest ancestor's) educationLevel, read as a grade or
    through ``levels`` (level name -> grade); else a level named by an ancestor's statement
    or code (level-based frameworks put levels in the tree)."""
    for node in [item, *ancestors]:
        found = node.get("educationLevel")
        if not found:
            continue
        if isinstance(found, str):
            found = [s for s in re.split(r"[,\s]+", found) if s] if not levels else [found]
        mapped = [levels.get(str(x).strip().lower()) for x in found]
        grades = [g for g in (parse_grade_code(x if m is None else m) for x, m in zip(found, mapped))
                  if g is not None]
        return str(min(grades)) if grades else str(found[0])
    for node in [item, *ancestors]:
        for field in ("fullStatement", "humanCodingScheme", "abbreviatedStatement"):
            key = str(node.get(field) or "").strip().lower()
            if key in levels:
                return str(levels[key])
    return None


def generated_code(item, ancestors, ident: str) -> str:
    """A stable code for an item without humanCodingScheme: the nearest coded ancestor's code
    and the item's listEnumeration, else the first 8 characters of its identifier."""
    base = next((a.get("humanCodingScheme") for a in ancestors if a.get("humanCodingScheme")), "")
    enum = str(item.get("listEnumeration") or "").strip()
    tail = enum if enum else ident[:8].upper()
    return f"{base}.{tail}" if base else f"item-{tail}" if enum else f"CASE-{tail}"


def _apply_precedes(leaves, rank, precedes, label):
    """Topological order of the leaves under `precedes`, ties broken by tree order."""
    edges = [(a, b) for a, b in precedes if a in rank and b in rank and a != b]
    if not edges:
        return leaves
    succ, indeg = {i: [] for i in leaves}, {i: 0 for i in leaves}
    for a, b in edges:
        succ[a].append(b)
        indeg[b] += 1
    heap = [(rank[i], i) for i in leaves if indeg[i] == 0]
    heapq.heapify(heap)
    out = []
    while heap:
        _, n = heapq.heappop(heap)
        out.append(n)
        for m in succ[n]:
            indeg[m] -= 1
            if indeg[m] == 0:
                heapq.heappush(heap, (rank[m], m))
    if len(out) < len(leaves):
        warnings.warn(f"{label}: the precedes associations form a cycle; ordered by the "
                      f"isChildOf tree instead", CaseWarning, stacklevel=4)
        return leaves
    return out


def _sequences(raw: pd.DataFrame) -> pd.Series:
    """1… in order within (subject, grade), or the items' own listEnumeration numbers when
    they are whole, unique and already increasing in that order."""
    seq = pd.Series(0, index=raw.index, dtype="int64")
    for _, g in raw.groupby(["subject", "grade"], sort=False, dropna=False):
        enum = pd.to_numeric(g["_enum"], errors="coerce")
        if enum.notna().all() and (enum == enum.round()).all() and enum.is_monotonic_increasing \
                and enum.is_unique and (enum >= 0).all():
            seq[g.index] = enum.astype("int64")
        else:
            seq[g.index] = np.arange(1, len(g) + 1)
    return seq


def coerce_targets(raw: pd.DataFrame, file: str):
    """Raw targets (index = CFItems position) -> (typed, problems with CFItems positions)."""
    from .pipeline import coerce_table
    text = raw.astype(object).where(raw.notna(), "").astype(str)
    df, problems = coerce_table(text.reset_index(drop=True), "targets", file=file, first_row=0)
    positions = raw.index.to_numpy()
    df.index = positions
    if len(problems):
        problems["row"] = problems["row"].map(lambda r: positions[r] if r is not None and r == r else r)
        no_grade = (problems["column"] == "grade") & problems["value"].isna()
        problems.loc[no_grade, "reason"] = (
            "empty cell; no educationLevel on the item or its ancestors: say which grade with "
            "load_case(..., grade=3), or map the framework's levels with grades={'Level 1': 3, …}")
        problems["column"] = problems["column"].map(CASE_FIELD.get).fillna(problems["column"])
    return df, problems


CASE_FIELD = {"target_id": "identifier", "code": "humanCodingScheme", "statement": "fullStatement",
              "grade": "educationLevel", "sequence": "listEnumeration", "unit": "fullStatement",
              "subject": "subject"}


def load_case(path, *, id_from: str = "identifier", errors: str = "raise", grade=None,
              grades: dict | None = None) -> pd.DataFrame:
    """Read a CASE 1.0 package (JSON file, folder or zip) into the ``targets`` table.

    errors="raise" stops at the first problem with a CoachkitDataError naming the file,
    the item (its position in CFItems or CFAssociations), the field and the fix;
    errors="report" keeps every good target and puts the rest in ``df.attrs["rejected"]``.
    ``df.attrs["case_document"]`` keeps the CFDocument so :func:`write_case` can write it back.

    Frameworks without ``educationLevel`` (proficiency levels, portrait of a graduate, SEL):
    ``grade=`` is the grade of every target that has none; ``grades=`` maps level names
    (an ``educationLevel`` value, or the statement or code of an ancestor item such as
    "Level 2") onto grades. Items without ``humanCodingScheme`` get a stable generated code
    (:func:`generated_code`). Support items (``CFItemType`` Example, Task, Note … see
    ``SUPPORT_ITEM_TYPES``) are not targets: they are listed in ``df.attrs["skipped"]``,
    not rejected. CFItems in = targets + rejected + skipped + structure (non-leaf items).
    """
    targets, rejected, _ = load_case_details(path, id_from=id_from, errors=errors, grade=grade,
                                             grades=grades)
    return targets


def load_case_details(path, *, id_from="identifier", errors="raise", grade=None, grades=None):
    from .pipeline import check_errors, one_row_each
    check_errors(errors)
    package, label = read_case_package(path)
    skipped: list[dict] = []
    raw, found, ident_of, doc = case_targets(package, id_from=id_from, label=label, grade=grade,
                                             grades=grades, skipped=skipped)
    structural = pd.DataFrame(found) if found else no_problems()
    if errors == "raise":
        raise_first(structural, "CASE package")
    df, problems = coerce_targets(raw, f"{label}#CFItems")
    if errors == "raise":
        raise_first(problems, "CASE package")
    if len(problems):
        df = df.drop(index=problems["row"].unique())
    rejected = pd.concat([p for p in (structural, problems) if len(p)] or [no_problems()],
                         ignore_index=True)
    rejected = one_row_each(rejected)
    df = df.reset_index(drop=True)
    df.attrs["rejected"] = rejected
    df.attrs["case_document"] = {k: v for k, v in doc.items() if k != "CFPackageURI"}
    df.attrs["case_identifiers"] = ident_of
    df.attrs["skipped"] = pd.DataFrame(skipped) if skipped else no_problems()
    return df, rejected, ident_of


def _link(title, ident, base_uri, kind):
    return {"title": str(title)[:255], "identifier": ident, "uri": f"{base_uri}/{kind}/{ident}"}


def case_package(targets: pd.DataFrame, *, document: dict | None = None,
                 title: str = "coachkit continuum", creator: str = "coachkit",
                 base_uri: str = "https://coachkit.invalid/ims/case/v1p0",
                 last_change: str | None = None) -> dict:
    """The targets table as a CASE 1.0 CFPackage dict (see :func:`write_case`)."""
    missing = [c for c in TABLES["targets"].required if c not in targets.columns]
    if missing:
        raise CoachkitDataError(f"targets table: missing column {missing[0]!r}; write_case needs "
                                f"{', '.join(TABLES['targets'].required)}", table="targets",
                                column=missing[0])
    document = dict(document if document is not None else targets.attrs.get("case_document") or {})
    now = last_change or document.get("lastChangeDateTime") or \
        datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    doc_id = normalize_uuid(document.get("identifier")) or \
        str(uuid.uuid5(COACHKIT_NS, f"document:{document.get('title') or title}"))
    subjects = list(dict.fromkeys(targets["subject"].astype(str)))
    document.setdefault("title", title)
    document.setdefault("creator", creator)
    document.update(identifier=doc_id, uri=document.get("uri") or f"{base_uri}/CFDocuments/{doc_id}",
                    lastChangeDateTime=now, subject=document.get("subject") or subjects)
    doc_link = _link(document["title"], doc_id, base_uri, "CFDocuments")
    t = targets.copy()
    t["subject"] = t["subject"].astype(str)
    t["_subject"] = t["subject"].map({v: k for k, v in enumerate(subjects)})
    t["_order"] = np.arange(len(t))
    t = t.sort_values(["_subject", "grade", "sequence", "_order"], kind="stable")
    multi = len(subjects) > 1
    items, assocs = [], []

    def add_item(ident, statement, kind, *, code=None, grade=None, enum=None, notes=None):
        it = {"identifier": ident, "uri": f"{base_uri}/CFItems/{ident}",
              "fullStatement": str(statement), "CFItemType": kind}
        if code is not None:
            it["humanCodingScheme"] = str(code)
        if enum is not None:
            it["listEnumeration"] = str(enum)
        if grade is not None:
            it["educationLevel"] = [GRADE_CODES.get(int(grade), str(grade))]
        if notes:
            it["notes"] = notes
        it["lastChangeDateTime"] = now
        items.append(it)
        return _link(code or statement, ident, base_uri, "CFItems")

    def add_assoc(kind, origin, dest, seq=None):
        ident = str(uuid.uuid5(COACHKIT_NS, f"assoc:{kind}:{origin['identifier']}:{dest['identifier']}"))
        a = {"identifier": ident, "associationType": kind, "uri": f"{base_uri}/CFAssociations/{ident}",
             "originNodeURI": origin, "destinationNodeURI": dest}
        if seq is not None:
            a["sequenceNumber"] = int(seq)
        a["lastChangeDateTime"] = now
        assocs.append(a)

    positions: dict[str, int] = {}

    def child_of(child, parent_link):
        positions[parent_link["identifier"]] = positions.get(parent_link["identifier"], 0) + 1
        add_assoc("isChildOf", child, parent_link, positions[parent_link["identifier"]])

    for subject, sg in t.groupby("subject", sort=False):
        top = doc_link
        if multi:
            top = add_item(str(uuid.uuid5(COACHKIT_NS, f"subject:{doc_id}:{subject}")), subject, "Subject")
            child_of(top, doc_link)
        for grade, gg in sg.groupby("grade", sort=False):
            label = f"{subject}, grade {grade_label(grade)}"
            glink = add_item(str(uuid.uuid5(COACHKIT_NS, f"grade:{doc_id}:{subject}:{grade}")),
                             label, "Grade Level", grade=grade)
            child_of(glink, top)
            units: dict[str, dict] = {}
            previous = None
            for row in gg.itertuples(index=False):
                unit = str(row.unit)
                if unit not in units:
                    units[unit] = add_item(str(uuid.uuid5(COACHKIT_NS, f"unit:{doc_id}:{subject}:{grade}:{unit}")),
                                           unit, "Unit", grade=grade)
                    child_of(units[unit], glink)
                ident = case_identifier(row.target_id)
                notes = []
                if normalize_uuid(row.target_id) is None:
                    notes.append(f"coachkit.target_id: {row.target_id}")
                pa = getattr(row, "portrait_attribute", None)
                if pa is not None and pa == pa and str(pa):
                    notes.append(f"coachkit.portrait_attribute: {pa}")
                link = add_item(ident, row.statement, "Standard", code=row.code, grade=grade,
                                enum=int(row.sequence), notes="\n".join(notes) or None)
                child_of(link, units[unit])
                if previous is not None:
                    add_assoc("precedes", previous, link)
                previous = link
    document = {k: document[k] for k in ["identifier", "uri", "creator", "title", "lastChangeDateTime",
                                         *[k for k in document if k not in ("identifier", "uri", "creator",
                                                                               "title", "lastChangeDateTime")]]}
    return {"CFDocument": document, "CFItems": items, "CFAssociations": assocs}


def write_case(targets: pd.DataFrame, path, *, document: dict | None = None,
               title: str = "coachkit continuum", creator: str = "coachkit",
               base_uri: str = "https://coachkit.invalid/ims/case/v1p0",
               last_change: str | None = None) -> Path:
    """Write the targets table as one CASE 1.0 package (JSON) and return its path.

    Structure: CFDocument → (a ``Subject`` item per subject when there are several) →
    a ``Grade Level`` item per subject and grade → a ``Unit`` item per unit → one
    ``Standard`` item per target (``humanCodingScheme`` = code, ``fullStatement`` =
    statement, ``educationLevel`` = [grade as KG, 01 … 12], ``listEnumeration`` = sequence).
    ``isChildOf`` associations carry ``sequenceNumber``; consecutive targets of a subject and
    grade are chained with ``precedes``. Targets whose id is not a UUID get a deterministic
    UUID and a note ``coachkit.target_id: <id>``. ``document`` (default: the CFDocument that
    :func:`load_case` kept in ``targets.attrs``) keeps the framework's identifier and title.
    """
    package = case_package(targets, document=document, title=title, creator=creator,
                           base_uri=base_uri, last_change=last_change)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
