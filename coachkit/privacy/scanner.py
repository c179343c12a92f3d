"""The leak scanner: find real student names, ids, birth dates and small groups in the
artifacts coachkit produces (HTML, notebooks, CSV, JSON, PNG metadata, ...).

What it reports (``kind`` column of the findings):

``name``        a real full name, "First Last" or "Last, First" (case and accents ignored:
                "MARIA GARCIA" and "Mar&iacute;a Garc\\u00eda" are found too);
``last_name`` / ``first_name``
                a real last or first name standing alone, only when it is *distinctive*:
                written with a capital, at least 4 letters, not a common English/Spanish
                word, not a name in the pseudonym pools, and not a word the dataset uses
                elsewhere (school and teacher names, target statements, survey items);
``student_id``  a real student id as a whole token (ids shorter than 4 characters are
                not scanned: too many false hits);
``birth_date``  a real birth date written 2014-03-09, 3/9/2014, 03/09/2014,
                March 9, 2014, or as a pandas epoch in milliseconds;
``small_group`` an aggregate showing a group of 1 to min_n - 1: a value in a count
                column (header n, count, students, n_students, student_count,
                num_students, number_of_students, group_size, size) of a CSV file, an
                HTML table or a JSON record, or a "(n=7)" annotation in text;
``unscanned``   a file the scanner can't read (e.g. PDF): look at it yourself.

Plotly.js bundles embedded in HTML are skipped (their figures' data are scanned).
"""
from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import io
import json
import re
import struct
import unicodedata
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from ..dataset import Dataset
from .names import FIRST_NAMES, LAST_NAMES

FINDING_COLUMNS = ["path", "kind", "value", "count", "context"]
MIN_ID_CHARS = 4
MIN_SINGLE_NAME_LETTERS = 4
COUNT_HEADERS = {"n", "count", "students", "n_students", "student_count", "num_students",
                 "number_of_students", "group_size", "size"}
CONTEXT = 40

# Common words that are also first or last names (English and Spanish): a capitalized
# one alone is not reported. Names in full ("First Last") are always reported.
COMMON_WORDS = set("""
grace hope faith joy rose ruby victoria mason hunter young hill baker clark wright allen
walker miller smith will may june april august summer autumn dawn eve mark bill frank
grant rich sky river stone wood brown white green black gray grey king long lane little
rice page price love dean major best hall ward cook bell carter turner parker cooper
fisher porter summers winter spring story reading learning student students teacher
school grade class group math english spanish science art music history
flores campos torres rios ramos luna vega paz luz sol rosa pena blanca dulce abril angel
cruz reyes santos leon lucero moreno tapia robles mora lobo rey real salas duran olivo
nieves milagros pilar rocio mercedes dolores soledad consuelo amparo esperanza
enero febrero marzo mayo junio julio agosto septiembre octubre noviembre diciembre
january february march july september october november december
monday tuesday wednesday thursday friday saturday sunday lunes martes jueves viernes
north south east west norte sur este oeste mesa vista verde sierra monte valle
""".split())

_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"], start=1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# between the words of one name ("María José Ruiz-Peña"), and between "Last, First"
_SEP = re.compile(r"[ \t\xa0\-]{1,3}")
_COMMA = re.compile(r"[ \t\xa0]*,[ \t\xa0]*")
_ISO = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?!\d)")
_US = re.compile(r"(?<![\d/.])(\d{1,2})/(\d{1,2})/(\d{4})(?![\d/])")
_LONG = re.compile(r"\b((?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6})\.?"
                   r"\s+(\d{1,2}),?\s+(\d{4})\b", re.I)
_EPOCH_MS = re.compile(r"(?<![\d.])(-?\d{11,13})(?![\d.])")
_N_EQ = re.compile(r"(?<![\w.])\(\s*[nN]\s*=\s*(\d{1,7})\s*\)")
_UESC = re.compile(r"\\u([0-9a-fA-F]{4})")
_TAG = re.compile(r"<[^>]*>")
_BLOCK_TAG = re.compile(r"</?(?:td|th|tr|table|thead|tbody|div|p|li|ul|ol|br|h[1-6]|option|"
                        r"section|article|header|footer|pre|caption|dt|dd|hr|script|style)\b"
                        r"[^>]*>", re.I)
_DATA_PNG = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=\s]+)")


def _build_fold() -> dict:
    table = {}
    for cp in range(0x00C0, 0x0250):
        c = chr(cp)
        base = "".join(x for x in unicodedata.normalize("NFKD", c) if not unicodedata.combining(x))
        base = base.lower()
        if len(base) == 1 and base != c:
            table[cp] = base
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = chr(cp + 32)
    table[0x2019] = "'"
    return table


_FOLD = _build_fold()


def fold(text: str) -> str:
    """Lower case without accents, same length as ``text`` (so positions carry over)."""
    if text.isascii():
        return text.lower()
    return text.translate(_FOLD)


def _words(text: str) -> tuple:
    return tuple(_WORD.findall(fold(text)))


def _unescape_json(text: str) -> str:
    if "\\u" not in text:
        return text
    return _UESC.sub(lambda m: chr(int(m.group(1), 16)), text)


# ------------------------------------------------------------------------ the matcher

class _Matcher:
    """Everything to look for, built once from the dataset."""

    def __init__(self, dataset: Dataset, single_names: bool):
        st = dataset.students
        # first word -> [(words, split, display)]: split > 0 for "First Last" (words
        # before the last name), < 0 for "Last, First" (minus the words of the last name)
        self.first_index: dict[str, list] = {}
        self.pairs: dict[str, dict] = {}      # "first" -> {"last": display}, for table rows
        self.single: dict[str, tuple[str, str]] = {}
        if len(st):
            firsts = st["first_name"].astype("object").fillna("").astype(str).to_numpy()
            lasts = st["last_name"].astype("object").fillna("").astype(str).to_numpy()
            pairs = pd.unique(pd.Series([f"{a}\x00{b}" for a, b in zip(firsts, lasts)]))
            for p in pairs:
                first, last = p.split("\x00")
                fw, lw = _words(first), _words(last)
                if not fw or not lw:
                    continue
                display = f"{first} {last}"
                self.first_index.setdefault(fw[0], []).append((fw + lw, len(fw), display))
                self.first_index.setdefault(lw[0], []).append((lw + fw, -len(lw), display))
                self.pairs.setdefault(" ".join(fw), {})[" ".join(lw)] = display
            if single_names:
                ignore = {w for n in FIRST_NAMES + LAST_NAMES for w in _words(n)}
                ignore |= COMMON_WORDS | _vocabulary(dataset)
                for col, kind in (("first_name", "first_name"), ("last_name", "last_name")):
                    for name in pd.unique(st[col].astype("object").dropna().astype(str)):
                        for w in _words(name):
                            if len(w) >= MIN_SINGLE_NAME_LETTERS and w not in ignore:
                                # a last name wins over a first name of the same spelling
                                if kind == "last_name" or w not in self.single:
                                    orig = _original_word(name, w)
                                    # alone, a name must be spelled as in the roster
                                    # (accents included), capitalized or in capitals
                                    exact = {orig[:1].upper() + orig[1:], orig.upper()}
                                    self.single[w] = (kind, orig, exact)
        ids = pd.unique(st["student_id"].astype("object").dropna().astype(str)) if len(st) \
            else np.array([], dtype=object)
        self.ids = {i for i in ids if len(i) >= MIN_ID_CHARS}
        extras = sorted({c for i in self.ids for c in i if not (c.isalnum() or c == "_")})
        ex = re.escape("".join(extras)) if extras else ""
        self.id_token = re.compile(rf"[\w{ex}]{{{MIN_ID_CHARS},}}")
        self.id_extras = "".join(extras)
        self.id_bound = ex
        self.birth = set()
        if "birth_date" in st.columns and len(st):
            b = pd.to_datetime(st["birth_date"], errors="coerce").dropna()
            self.birth = {d.date() for d in pd.DatetimeIndex(b.unique()).normalize()}
        self.birth_ms = {int(pd.Timestamp(d).value // 10**6) for d in self.birth}
        self.birth_years = sorted({str(d.year) for d in self.birth})
        self.first_keys = set(self.first_index)

    # -- scanning one text --------------------------------------------------------
    def scan_text(self, text: str, found: "_Findings"):
        if not text:
            return
        text = _unescape_json(text)
        self._names(text, found)
        self._ids(text, found)
        self._dates(text, found)

    def _names(self, text, found):
        if not self.first_index and not self.single:
            return
        folded = fold(text)
        words = _WORD.findall(folded)
        if not words:
            return
        names = set()
        if self.first_keys.intersection(words):
            keys = self.first_keys
            for k in [k for k, w in enumerate(words) if w in keys]:
                for seq, split, display in self.first_index[words[k]]:
                    if tuple(words[k:k + len(seq)]) == seq:
                        names.add((seq, split, display))
        covered = []
        for seq, split, display in sorted(names, key=lambda x: x[2]):
            for m in _name_regex(seq, split).finditer(folded):
                found.add("name", display, text, m.start(), m.end())
                covered.append((m.start(), m.end()))
        if self.single:
            hits = self.single.keys() & set(words)
            for w in sorted(hits):
                kind, display, exact = self.single[w]
                for m in re.finditer(rf"(?<![^\W\d_]){re.escape(w)}(?![^\W\d_])", folded):
                    word = text[m.start():m.end()]
                    if word not in exact or any(a <= m.start() < b for a, b in covered):
                        continue
                    found.add(kind, display, text, m.start(), m.end())

    def scan_rows(self, rows: list, found: "_Findings"):
        """A first name and the same student's last name in two cells of one table row."""
        if not self.pairs:
            return
        for row in rows:
            cells = [" ".join(_words(str(c))) for c in row]
            firsts = [c for c in cells if c in self.pairs]
            for f in firsts:
                for c in cells:
                    display = self.pairs[f].get(c)
                    if display:
                        found.add_plain("name", display, " | ".join(map(str, row)))

    def _ids(self, text, found):
        if not self.ids:
            return
        tokens = set(self.id_token.findall(text))
        if self.id_extras:
            tokens |= {t.strip(self.id_extras) for t in tokens}
        hits = tokens & self.ids
        for i in sorted(hits):
            b = self.id_bound
            dot = r"(?<!\.)" if i[:1].isdigit() else r"(?<!\d\.)"
            pat = re.compile(rf"(?<![\w{b}]){dot}{re.escape(i)}(?![\w{b}])(?!\.\d)")
            for m in pat.finditer(text):
                found.add("student_id", i, text, m.start(), m.end())

    def _dates(self, text, found):
        if not self.birth:
            return
        for m in _EPOCH_MS.finditer(text):
            if int(m[1]) in self.birth_ms:
                d = pd.Timestamp(int(m[1]), unit="ms").date()
                found.add("birth_date", d.isoformat(), text, m.start(), m.end())
        if not any(y in text for y in self.birth_years):
            return
        for m in _ISO.finditer(text):
            self._date_hit(m, int(m[1]), int(m[2]), int(m[3]), text, found)
        for m in _US.finditer(text):
            self._date_hit(m, int(m[3]), int(m[1]), int(m[2]), text, found)
        for m in _LONG.finditer(text):
            mon = _MONTHS.get(m[1].lower())
            if mon:
                self._date_hit(m, int(m[3]), mon, int(m[2]), text, found)

    def _date_hit(self, m, y, mo, d, text, found):
        try:
            day = dt.date(y, mo, d)
        except ValueError:
            return
        if day in self.birth:
            found.add("birth_date", day.isoformat(), text, m.start(), m.end())


_NAME_RE_CACHE: dict = {}


def _name_regex(seq: tuple, split: int) -> re.Pattern:
    """The folded words of a name with the separators allowed between them."""
    key = (seq, split)
    if key not in _NAME_RE_CACHE:
        comma = -split - 1 if split < 0 else None
        parts = [re.escape(seq[0])]
        for q in range(1, len(seq)):
            parts.append((_COMMA if q - 1 == comma else _SEP).pattern)
            parts.append(re.escape(seq[q]))
        _NAME_RE_CACHE[key] = re.compile(r"(?<![^\W\d_])" + "".join(parts) + r"(?![^\W\d_])")
    return _NAME_RE_CACHE[key]


def _original_word(name: str, folded_word: str) -> str:
    for m in _WORD.finditer(name):
        if fold(m.group()) == folded_word:
            return m.group()
    return folded_word


def _vocabulary(ds: Dataset) -> set:
    """Words the dataset uses for things other than students (schools, teachers, targets,
    survey items, ...): a student's name that is also one of these is ambiguous alone."""
    words = set()
    for table, cols in (("schools", ["name"]), ("classrooms", ["teacher", "subject"]),
                        ("targets", ["subject", "unit", "statement", "code"]),
                        ("survey_items", ["construct", "text"]),
                        ("conditions", ["condition", "note"]),
                        ("students", ["home_language"])):
        df = getattr(ds, table)
        for c in cols:
            if c in df.columns and len(df):
                for v in pd.unique(df[c].astype("object").dropna().astype(str)):
                    words.update(_words(v))
    return words


# ------------------------------------------------------------------------ findings

class _Findings:
    def __init__(self):
        self.rows: dict[tuple, list] = {}
        self.path = ""

    def add(self, kind, value, text, start, end):
        key = (self.path, kind, str(value))
        if key in self.rows:
            self.rows[key][0] += 1
            return
        a, b = max(0, start - CONTEXT), min(len(text), end + CONTEXT)
        ctx = " ".join(text[a:b].split())
        self.rows[key] = [1, ctx]

    def add_plain(self, kind, value, context):
        key = (self.path, kind, str(value))
        if key in self.rows:
            self.rows[key][0] += 1
        else:
            self.rows[key] = [1, " ".join(str(context).split())[:2 * CONTEXT + 40]]

    def frame(self) -> pd.DataFrame:
        if not self.rows:
            return pd.DataFrame({"path": pd.Series([], dtype="str"),
                                 "kind": pd.Series([], dtype="str"),
                                 "value": pd.Series([], dtype="str"),
                                 "count": pd.Series([], dtype="int64"),
                                 "context": pd.Series([], dtype="str")})
        out = pd.DataFrame([(*k, *v) for k, v in self.rows.items()], columns=FINDING_COLUMNS)
        return out.sort_values(["path", "kind", "value"], ignore_index=True)


# --------------------------------------------------------------------- small groups

def _is_count_header(h) -> bool:
    h = re.sub(r"[^0-9a-z]+", "_", fold(str(h)).strip()).strip("_")
    return h in COUNT_HEADERS


def _small_int(v, min_n):
    try:
        x = float(str(v).strip().replace(",", ""))
    except ValueError:
        return None
    if x == int(x) and 1 <= x < min_n:
        return int(x)
    return None


def _tables_small(rows: list, min_n: int, found: _Findings):
    """A table as a list of rows (first row with a count header is the header)."""
    header_at, cols = None, []
    for r, row in enumerate(rows[:5]):
        cols = [k for k, h in enumerate(row) if _is_count_header(h)]
        if cols:
            header_at = r
            break
    if header_at is None:
        return
    header = rows[header_at]
    for row in rows[header_at + 1:]:
        for k in cols:
            if k < len(row):
                v = _small_int(row[k], min_n)
                if v is not None:
                    found.add_plain("small_group", f"{header[k]}={v}",
                                    " | ".join(str(x) for x in row))


def _json_small(obj, min_n: int, found: _Findings):
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, dict):
            for k, v in o.items():
                if isinstance(v, (int, float, str)) and not isinstance(v, bool) \
                        and _is_count_header(k):
                    s = _small_int(v, min_n)
                    if s is not None:
                        found.add_plain("small_group", f"{k}={s}", json.dumps(
                            {a: b for a, b in o.items() if isinstance(b, (str, int, float))},
                            ensure_ascii=False)[:200])
                elif isinstance(v, (dict, list)):
                    stack.append(v)
        elif isinstance(o, list):
            stack.extend(x for x in o if isinstance(x, (dict, list)))


def _text_small(text: str, min_n: int, found: _Findings):
    for m in _N_EQ.finditer(text):
        v = int(m[1])
        if 1 <= v < min_n:
            found.add("small_group", f"n={v}", text, m.start(), m.end())


# ------------------------------------------------------------------------- readers

def _json_text(obj) -> str:
    """Every string (and dict key) of a JSON document, one per line; the string values
    of one object also on one line together (so first_name/last_name fields meet)."""
    out = []
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, dict):
            vals = []
            for k, v in o.items():
                out.append(str(k))
                if isinstance(v, (dict, list)):
                    stack.append(v)
                elif v is not None and not isinstance(v, bool):
                    vals.append(str(v))
            if vals:
                out.append(" ".join(vals))
        elif isinstance(o, list):
            scalars = [str(x) for x in o if x is not None and not isinstance(x, (dict, list, bool))]
            out.extend(scalars)
            stack.extend(x for x in o if isinstance(x, (dict, list)))
        elif o is not None and not isinstance(o, bool):
            out.append(str(o))
    return "\n".join(out)


def png_text(data: bytes) -> str:
    """The text chunks (tEXt, zTXt, iTXt) of a PNG file, as 'keyword: text' lines."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return ""
    out, pos = [], 8
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        try:
            if ctype == b"tEXt":
                k, _, v = body.partition(b"\x00")
                out.append(f"{k.decode('latin-1')}: {v.decode('latin-1')}")
            elif ctype == b"zTXt":
                k, _, v = body.partition(b"\x00")
                out.append(f"{k.decode('latin-1')}: {zlib.decompress(v[1:]).decode('latin-1')}")
            elif ctype == b"iTXt":
                k, _, rest = body.partition(b"\x00")
                flag, _method, rest = rest[0], rest[1], rest[2:]
                lang, _, rest = rest.partition(b"\x00")
                tkey, _, v = rest.partition(b"\x00")
                v = zlib.decompress(v) if flag else v
                out.append(f"{k.decode('latin-1')}: {tkey.decode('utf-8', 'replace')} "
                           f"{v.decode('utf-8', 'replace')}")
            elif ctype == b"IEND":
                break
        except (zlib.error, IndexError, UnicodeDecodeError):
            out.append(body.decode("latin-1"))
    return "\n".join(out)


def _strip_bundles(raw: str) -> str:
    """Drop <script> blocks that are library bundles (plotly.js, require.js, MathJax),
    keeping every other script (figure data lives in those)."""
    out, pos = [], 0
    low = raw.lower() if len(raw) < 50_000_000 else raw
    while True:
        a = low.find("<script", pos)
        if a < 0:
            break
        b = low.find("</script>", a)
        if b < 0:
            break
        head = raw[a:a + 1500]
        if b - a > 100_000 and re.search(r"plotly\.js v|Plotly, Inc\.|require\.js|MathJax",
                                         head):
            out.append(raw[pos:a])
            pos = b + len("</script>")
        else:
            out.append(raw[pos:b + 9])
            pos = b + 9
    out.append(raw[pos:])
    return "".join(out)


_TABLE = re.compile(r"<table\b.*?</table>", re.S | re.I)
_TR = re.compile(r"<tr\b.*?</tr>", re.S | re.I)
_TD = re.compile(r"<t[hd]\b[^>]*>(.*?)</t[hd]>", re.S | re.I)


def _html(raw: str, doc: "_Doc"):
    raw = _strip_bundles(raw)
    for k, m in enumerate(_DATA_PNG.finditer(raw)):
        try:
            doc.texts.append(png_text(base64.b64decode(re.sub(r"\s", "", m[1]))))
        except ValueError:
            pass
    raw = _DATA_PNG.sub("data:image/png;base64,", raw)
    for t in _TABLE.finditer(raw):
        rows = [[html.unescape(_TAG.sub(" ", c)).strip() for c in _TD.findall(tr)]
                for tr in _TR.findall(t.group())]
        doc.tables.append(rows)
    text = html.unescape(_TAG.sub(" ", _BLOCK_TAG.sub("\n", raw)))
    doc.texts.append(text)
    doc.prose.append(text)


class _Doc:
    def __init__(self):
        self.texts: list[str] = []      # scanned for names, ids, dates
        self.prose: list[str] = []      # also scanned for "(n=7)"
        self.tables: list[list] = []    # scanned for count columns
        self.json: list = []            # scanned for count keys


def _ipynb(nb: dict, doc: _Doc):
    for cell in nb.get("cells", []):
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        doc.texts.append(src)
        if cell.get("cell_type") == "markdown":
            doc.prose.append(src)
        for out in cell.get("outputs", []) or []:
            if "text" in out:
                t = out["text"]
                doc.texts.append("".join(t) if isinstance(t, list) else str(t))
            for mime, v in (out.get("data") or {}).items():
                v = "".join(v) if isinstance(v, list) else v
                if mime == "text/html":
                    _html(str(v), doc)
                elif mime == "image/png":
                    try:
                        doc.texts.append(png_text(base64.b64decode(v)))
                    except ValueError:
                        pass
                elif mime.startswith("image/") and mime != "image/svg+xml":
                    continue
                elif isinstance(v, (dict, list)):
                    doc.texts.append(_json_text(v))
                    doc.json.append(v)
                else:
                    doc.texts.append(str(v))
                    if mime in ("text/plain", "text/markdown"):
                        doc.prose.append(str(v))
            for key in ("ename", "evalue"):
                if key in out:
                    doc.texts.append(str(out[key]))
            if "traceback" in out:
                doc.texts.append("\n".join(map(str, out["traceback"])))
        doc.texts.append(_json_text(cell.get("metadata", {})))
    doc.texts.append(_json_text(nb.get("metadata", {})))


def _csv(text: str, doc: _Doc, delimiter=None):
    doc.texts.append(text)
    doc.prose.append(text)
    sample = text[:5000]
    if delimiter is None:
        counts = {d: sample.count(d) for d in ",;\t|"}
        delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error:
        return
    doc.tables.append(rows)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read(name: str, data: bytes, doc: _Doc) -> bool:
    """Fill ``doc`` from one file's bytes; False when the format can't be read."""
    ext = Path(name).suffix.lower()
    if ext in (".html", ".htm", ".xhtml", ".svg", ".xml"):
        _html(_decode(data), doc)
    elif ext == ".ipynb":
        try:
            _ipynb(json.loads(_decode(data)), doc)
        except (json.JSONDecodeError, AttributeError, TypeError):
            doc.texts.append(_decode(data))
    elif ext in (".csv", ".tsv"):
        _csv(_decode(data), doc, "\t" if ext == ".tsv" else None)
    elif ext in (".json", ".geojson", ".jsonl", ".ndjson"):
        text = _decode(data)
        try:
            objs = [json.loads(text)] if ext not in (".jsonl", ".ndjson") else \
                [json.loads(line) for line in text.splitlines() if line.strip()]
            for o in objs:
                doc.texts.append(_json_text(o))
                doc.json.append(o)
        except json.JSONDecodeError:
            doc.texts.append(text)
    elif ext == ".png":
        doc.texts.append(png_text(data))
    elif ext == ".parquet":
        try:
            df = pd.read_parquet(io.BytesIO(data))
        except Exception:      # noqa: BLE001 - unreadable -> reported as unscanned
            return False
        _csv(df.to_csv(index=False), doc, ",")
    elif ext == ".pdf":
        return False
    elif data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for member in z.namelist():
                    if not member.endswith("/"):
                        doc.texts.append(_decode(z.read(member)))
        except zipfile.BadZipFile:
            return False
    else:
        # markdown, text, JS, unknown: scan as text (binary decodes as latin-1 noise)
        text = _decode(data)
        doc.texts.append(text)
        doc.prose.append(text)
    return True


# ---------------------------------------------------------------------------- scan

def _files(paths) -> list[Path]:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.is_file()))
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"nothing to scan at {p}: no such file or directory")
    return out


def scan(paths, dataset: Dataset, *, min_n: int = 10, single_names: bool = True,
         small_groups: bool = True) -> pd.DataFrame:
    """Look for the dataset's real students in generated artifacts.

    ``paths``: a file, a directory (scanned recursively) or a list of them.
    ``dataset``: the *real* dataset (its students table: names, ids, birth dates).
    Returns one row per (path, kind, value): ``path``, ``kind`` (name, first_name,
    last_name, student_id, birth_date, small_group, unscanned), ``value``, ``count``
    (occurrences in that file) and ``context`` (the text around the first one).
    An empty frame means nothing was found. See the module docstring for the rules.
    """
    matcher = _Matcher(dataset, single_names)
    found = _Findings()
    for path in _files(paths):
        found.path = str(path)
        doc = _Doc()
        if not _read(path.name, path.read_bytes(), doc):
            found.add_plain("unscanned", path.suffix.lower() or path.name,
                            "format not readable by the scanner; check it by hand")
            continue
        for text in doc.texts:
            matcher.scan_text(text, found)
        for rows in doc.tables:
            matcher.scan_rows(rows, found)
        if small_groups:
            for rows in doc.tables:
                _tables_small(rows, min_n, found)
            for obj in doc.json:
                _json_small(obj, min_n, found)
            for text in doc.prose:
                _text_small(text, min_n, found)
    return found.frame()
