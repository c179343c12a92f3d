"""Keyed pseudonyms: the same student gets the same pseudonym in every table and every
run with the same key, and nobody without the key can link a pseudonym to a student.

Everything is derived from one HMAC-SHA256 digest per distinct id,
``HMAC(key, "coachkit/student/v1" NUL id)``:

* bytes 0-6 -> the pseudonymous id, ``P-`` + 10 base32 characters (50 bits);
* bytes 8-11 -> the first name, bytes 12-15 -> the last name (from ``names.py``);
* bytes 16-19 -> the date shift in days, in ``[-max_shift_days, -1] U [1, max_shift_days]``.

Only the distinct ids are hashed (60,000 HMACs take well under a second); tables are then
mapped through their categories (or ``pd.factorize`` codes), so millions of evidence rows
cost one ``take`` each.
"""
from __future__ import annotations

import base64
import hmac
import unicodedata

import numpy as np
import pandas as pd

from ..dataset import Dataset, no_problems
from .names import FIRST_NAMES, LAST_NAMES

MIN_KEY_BYTES = 16
ID_PREFIX = "P-"
RESPONDENT_PREFIX = "R-"
ID_CHARS = 10
DEFAULT_MAX_SHIFT_DAYS = 14
_DOMAIN_STUDENT = b"coachkit/student/v1\x00"
_DOMAIN_RESPONDENT = b"coachkit/respondent/v1\x00"
_DOMAIN_RETRY = b"coachkit/retry/v1\x00"
_DOMAIN_NAME = b"coachkit/name/v1\x00"


def _key_bytes(key) -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, (bytes, bytearray)):
        raise TypeError(f"key must be str or bytes; got {type(key).__name__}")
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"key is {len(key)} bytes; use at least {MIN_KEY_BYTES} bytes of secret "
            f"(e.g. secrets.token_hex(16)) so the pseudonyms can't be reversed by guessing it")
    return bytes(key)


def _digest(key: bytes, domain: bytes, value: str, counter: int = 0) -> bytes:
    msg = domain + value.encode("utf-8")
    if counter:
        msg += b"\x00" + str(counter).encode()
    return hmac.digest(key, msg, "sha256")


def _b32(raw: bytes, n: int) -> str:
    return base64.b32encode(raw).decode("ascii")[:n]


def fold_name(text) -> str:
    """Case- and accent-insensitive form of a name: 'María  José' -> 'maria jose'."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


def _unique_ids(digests: dict, key: bytes, domain: bytes, prefix: str, n_chars: int,
                forbidden: set) -> dict:
    """id -> pseudonymous id, collision-free and never equal to a real id.

    Collisions are resolved deterministically: among ids that truncate to the same
    pseudonym, the one with the smallest full digest keeps it; the others are re-hashed
    with a counter until they land on a free pseudonym.
    """
    space = 32 ** n_chars
    if len(digests) > space // 4:
        raise ValueError(f"{len(digests)} ids do not fit {n_chars} characters of pseudonym")
    first = {i: prefix + _b32(d[:8], n_chars) for i, d in digests.items()}
    out, taken = {}, set()
    # ids in order of their full digest: the winner of a collision does not depend on
    # input order, only on the key and on which ids collide.
    for i in sorted(first, key=lambda i: digests[i]):
        p, counter = first[i], 0
        while p in taken or p in forbidden:
            counter += 1
            p = prefix + _b32(_digest(key, _DOMAIN_RETRY + domain, i, counter)[:8], n_chars)
        taken.add(p)
        out[i] = p
    return out


def pseudonym_table(student_ids, key, *, max_shift_days: int = DEFAULT_MAX_SHIFT_DAYS,
                    real_names=None, real_ids=(), _id_chars: int = ID_CHARS) -> pd.DataFrame:
    """The pseudonym of every distinct student id, for the holder of the key.

    Returns one row per distinct id: ``student_id``, ``pseudonym_id``, ``first_name``,
    ``last_name``, ``shift_days``. ``real_names`` (a DataFrame with student_id,
    first_name, last_name) makes sure no pseudonymous full name equals a real student's
    full name (compared without case and accents); ``real_ids`` are ids a pseudonym must
    never equal.
    """
    key = _key_bytes(key)
    if max_shift_days < 1:
        raise ValueError(f"max_shift_days must be at least 1; got {max_shift_days}")
    ids = pd.unique(pd.Series(student_ids, dtype="object").dropna().astype(str))
    digests = {i: _digest(key, _DOMAIN_STUDENT, i) for i in ids}
    forbidden = set(map(str, real_ids)) | set(ids)
    pid = _unique_ids(digests, key, _DOMAIN_STUDENT, ID_PREFIX, _id_chars, forbidden)

    nf, nl = len(FIRST_NAMES), len(LAST_NAMES)
    raw = np.frombuffer(b"".join(digests[i] for i in ids), dtype=np.uint8).reshape(-1, 32)
    word = lambda a: (raw[:, a:a + 4].astype(np.uint64) * np.array(
        [1 << 24, 1 << 16, 1 << 8, 1], dtype=np.uint64)).sum(axis=1)
    fi = (word(8) % nf).astype(np.int64)
    li = (word(12) % nl).astype(np.int64)
    span = 2 * max_shift_days
    s = (word(16) % span).astype(np.int64)
    shift = np.where(s < max_shift_days, s - max_shift_days, s - max_shift_days + 1)

    # Display names: never a real full name (of this student or of any student).
    if real_names is not None and len(real_names):
        folded_real = set(fold_name(f"{a} {b}") for a, b in zip(
            real_names["first_name"].astype(str), real_names["last_name"].astype(str)))
        folded_first = [fold_name(x) for x in FIRST_NAMES]
        folded_last = [fold_name(x) for x in LAST_NAMES]
        bad = [k for k in range(len(ids))
               if f"{folded_first[fi[k]]} {folded_last[li[k]]}" in folded_real]
        for k in bad:
            counter = 0
            while f"{folded_first[fi[k]]} {folded_last[li[k]]}" in folded_real:
                counter += 1
                d = _digest(key, _DOMAIN_NAME, ids[k], counter)
                fi[k] = int.from_bytes(d[0:4], "big") % nf
                li[k] = int.from_bytes(d[4:8], "big") % nl
    return pd.DataFrame({
        "student_id": pd.array(ids, dtype="str"),
        "pseudonym_id": pd.array([pid[i] for i in ids], dtype="str"),
        "first_name": pd.array(np.asarray(FIRST_NAMES, dtype=object)[fi], dtype="str"),
        "last_name": pd.array(np.asarray(LAST_NAMES, dtype=object)[li], dtype="str"),
        "shift_days": shift.astype(np.int32),
    })


def _map_column(s: pd.Series, mapping: dict) -> pd.Series:
    """Map every value of an id column through ``mapping``, done once per distinct value."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = [str(c) for c in s.cat.categories]
        return s.cat.rename_categories([mapping[c] for c in cats])
    codes, uniques = pd.factorize(s.astype("object"))
    new = np.asarray([mapping[str(u)] for u in uniques] + [None], dtype=object)
    return pd.Series(new[codes], index=s.index, dtype=s.dtype, name=s.name)


def _row_values(s: pd.Series, per_id: dict, default=0) -> np.ndarray:
    """A per-id number spread over the rows of an id column (categories or factorize)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy()
        vals = np.asarray([per_id.get(str(c), default) for c in s.cat.categories] + [default])
    else:
        codes, uniques = pd.factorize(s.astype("object"))
        vals = np.asarray([per_id.get(str(u), default) for u in uniques] + [default])
    return vals[codes]   # code -1 (missing) takes the trailing default


def _shift(df: pd.DataFrame, days: dict) -> pd.DataFrame:
    if not len(df) or "date" not in df.columns:
        return df
    offsets = _row_values(df["student_id"], days).astype("int64")
    df = df.copy()
    df["date"] = df["date"] + pd.to_timedelta(offsets, unit="D")
    return df


def pseudonymize(dataset: Dataset, key, *, shift_dates: bool = False,
                 max_shift_days: int = DEFAULT_MAX_SHIFT_DAYS) -> Dataset:
    """The dataset with every student replaced by a keyed pseudonym.

    - ``student_id`` becomes ``P-`` + 10 base32 characters in every table that has it
      (students, evidence, diagnostics); ``survey_responses.respondent_id`` of student
      respondents gets the same pseudonym when it is a student id, and an ``R-`` pseudonym
      otherwise (staff respondent ids are left as they are).
    - ``first_name``/``last_name`` become display names drawn by keyed hash from built-in
      Spanish and English pools; no display name equals any real student's full name.
      Display names may repeat (about 8,000 combinations); the pseudonymous id is unique.
    - ``birth_date`` is emptied (the column stays, all missing).
    - ``shift_dates=True`` moves every evidence and diagnostics date of a student by that
      student's keyed offset (1 to ``max_shift_days`` days, earlier or later), so the
      intervals between one student's dates are kept. Cycles are not shifted.
    - ``rejected`` (raw rows the loader turned away) is emptied; students are sorted by
      pseudonymous id so the row order does not carry the real alphabetical order.

    The same key gives the same pseudonyms in every run; a different key gives unrelated
    ones. Keep the key secret: with it, anyone holding the real roster can re-link.
    """
    key = _key_bytes(key)
    students = dataset.students
    tables = {"students": students, "evidence": dataset.evidence,
              "diagnostics": dataset.diagnostics}
    ids = pd.unique(pd.concat(
        [pd.Series(_categories_or_unique(df["student_id"]), dtype="object")
         for df in tables.values() if "student_id" in df.columns and len(df)]
        or [pd.Series([], dtype="object")]))
    responses = dataset.survey_responses
    student_rows = np.zeros(len(responses), dtype=bool)
    if len(responses) and "respondent_id" in responses.columns:
        student_rows = (responses["respondent"].astype("object") == "student").to_numpy()
    real_ids = set(map(str, ids))
    other_ids = set()
    if student_rows.any():
        other_ids = set(map(str, responses["respondent_id"][student_rows].dropna().unique()))
    table = pseudonym_table(ids, key, max_shift_days=max_shift_days,
                            real_names=students if len(students) else None,
                            real_ids=other_ids)
    mapping = dict(zip(table["student_id"], table["pseudonym_id"]))

    out = {}
    if len(students):
        st = students.copy()
        names = table.set_index("student_id")
        sid = st["student_id"].astype(str)
        st["first_name"] = pd.array(names["first_name"].reindex(sid).to_numpy(), dtype="str")
        st["last_name"] = pd.array(names["last_name"].reindex(sid).to_numpy(), dtype="str")
        st["student_id"] = _map_column(st["student_id"], mapping)
        if "birth_date" in st.columns:
            st["birth_date"] = pd.Series(pd.NaT, index=st.index, dtype=st["birth_date"].dtype
                                         if pd.api.types.is_datetime64_any_dtype(st["birth_date"])
                                         else "datetime64[ns]")
        out["students"] = st.sort_values("student_id", kind="stable", ignore_index=True)
    days = dict(zip(table["student_id"], table["shift_days"])) if shift_dates else None
    for name in ("evidence", "diagnostics"):
        df = tables[name]
        if not len(df):
            continue
        if days:
            df = _shift(df, days)
        df = df.copy() if df is tables[name] else df
        df["student_id"] = _map_column(df["student_id"], mapping)
        out[name] = df
    if student_rows.any():
        resp = responses.copy()
        rid = resp["respondent_id"]
        others = sorted(other_ids - real_ids)
        rmap = dict(mapping)
        if others:
            dig = {i: _digest(key, _DOMAIN_RESPONDENT, i) for i in others}
            rmap.update(_unique_ids(dig, key, _DOMAIN_RESPONDENT, RESPONDENT_PREFIX, ID_CHARS,
                                    set(mapping.values()) | real_ids | other_ids))
        new = rid.astype("object").copy()
        new[student_rows] = _map_column(new[student_rows], rmap).to_numpy()
        categorical = isinstance(rid.dtype, pd.CategoricalDtype)
        resp["respondent_id"] = new.astype("category" if categorical else rid.dtype)
        out["survey_responses"] = resp
    return dataset.replace(**out, rejected=no_problems(), source=None)


def _categories_or_unique(s: pd.Series):
    if isinstance(s.dtype, pd.CategoricalDtype):
        return [str(c) for c in s.cat.categories]
    return [str(v) for v in pd.unique(s.dropna())]
