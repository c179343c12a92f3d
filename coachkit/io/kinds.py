"""Gradebook category titles -> evidence kinds (formative, summative, retake, observation, self).

Gradebooks name their categories freely: "Summative Assessments", "Unit Tests",
"Tests & Quizzes", "Summative(SA)", "Reassessment", "Self-Assessment". A title is read
case- and punctuation-insensitively as words (plurals folded: "Tests" is "test"), and the
first kind in :data:`KIND_ORDER` with a word in the title wins, so "Unit Test Retake" is a
retake and "Tests & Quizzes" is summative. A title with none of the words is formative (and
said so). A district mapping file overrides the words, title by title.

The default word map (:data:`KIND_WORDS`), in the order it is tried:

===========  =====================================================================
retake       retake, reassess, reassessment, redo, recovery, reattempt, second chance
self         self assessment (self-assessment, selfassessment), self reflection,
             reflection, self evaluation, self
observation  observation, anecdotal, conference, conferring, checklist
summative    summative, test, exam, unit, final, midterm, benchmark, performance task,
             end of unit, eou, sa, mastery, cumulative
formative    formative, quiz, check, practice, homework, classwork, exit ticket,
             daily, warm up, do now, fa, checkpoint, drill
===========  =====================================================================

A district mapping file is a CSV with the columns ``category,kind`` (or a YAML/TOML file
holding ``{category: kind}``); titles are matched the same way (case and punctuation
ignored), and a title it lists wins over the word map.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import CoachkitDataError
from ..schema import EVIDENCE_KINDS

__all__ = ["KIND_WORDS", "KIND_ORDER", "CategoryKinds", "read_kind_map", "title_words"]

KIND_ORDER = ("retake", "self", "observation", "summative", "formative")
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "retake": ("retake", "reassess", "reassessment", "redo", "recovery", "reattempt",
               "second chance"),
    "self": ("self assessment", "selfassessment", "self reflection", "reflection",
             "self evaluation", "self"),
    "observation": ("observation", "anecdotal", "conference", "conferring", "checklist"),
    "summative": ("summative", "test", "exam", "unit", "final", "midterm", "benchmark",
                  "performance task", "end of unit", "eou", "sa", "mastery", "cumulative"),
    "formative": ("formative", "quiz", "check", "practice", "homework", "classwork",
                  "exit ticket", "daily", "warm up", "do now", "fa", "checkpoint", "drill"),
}
assert set(KIND_ORDER) == set(KIND_WORDS) <= set(EVIDENCE_KINDS)
DEFAULT_KIND = "formative"


def _fold(word: str) -> str:
    """Plurals folded: tests -> test, quizzes -> quiz, reassessments -> reassessment."""
    if word.endswith("zzes"):
        return word[:-3]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def title_words(title) -> str:
    """'Tests & Quizzes' -> 'test quiz'; 'Summative(SA)' -> 'summative sa'."""
    words = re.sub(r"[^0-9a-z]+", " ", str(title or "").lower()).split()
    return " ".join(_fold(w) for w in words)


def _has(words: str, phrase: str) -> bool:
    return re.search(rf"(^| ){re.escape(phrase)}( |$)", words) is not None


def read_kind_map(path) -> dict[str, str]:
    """A district's category -> kind file (CSV category,kind; or YAML/TOML) as {folded title: kind}."""
    if isinstance(path, dict):
        pairs, label = list(path.items()), "category kinds"
    else:
        path = Path(path)
        label = str(path)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file")
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            pairs = list(data.items())
        elif path.suffix.lower() == ".toml":
            import tomllib
            pairs = list(tomllib.loads(path.read_text(encoding="utf-8")).items())
        else:
            import pandas as pd
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
            cols = {c.strip().lower(): c for c in df.columns}
            if "category" not in cols or "kind" not in cols:
                raise CoachkitDataError(
                    f"{label}, row 1 (the header): expected the columns category,kind, got "
                    f"{','.join(df.columns)}", file=label, row=1, column="category")
            pairs = list(zip(df[cols["category"]], df[cols["kind"]]))
    out = {}
    for i, (title, kind) in enumerate(pairs, start=2):
        k = str(kind).strip().lower()
        if k not in EVIDENCE_KINDS:
            raise CoachkitDataError(
                f"{label}, row {i}, column 'kind': expected one of {', '.join(EVIDENCE_KINDS)}, "
                f"got {kind!r} (for category {title!r})", file=label, row=i, column="kind")
        out[title_words(title)] = k
    return out


class CategoryKinds:
    """Reads category titles as evidence kinds and remembers how each title was read."""

    def __init__(self, district: dict[str, str] | None = None, *, source: str | None = None):
        self.district = district or {}
        self.source = source
        self.seen: dict[str, tuple[str, str]] = {}

    def kind(self, title) -> str:
        title = str(title or "")
        if title in self.seen:
            return self.seen[title][0]
        words = title_words(title)
        if words in self.district:
            found = (self.district[words], f"district map{f' ({self.source})' if self.source else ''}")
        else:
            found = None
            for kind in KIND_ORDER:
                hit = next((w for w in KIND_WORDS[kind] if _has(words, w)), None)
                if hit:
                    found = (kind, f"word {hit!r}")
                    break
            if found is None:
                found = (DEFAULT_KIND, "no kind word in the title; read as formative")
        self.seen[title] = found
        return found[0]

    def describe(self) -> str:
        """'Unit Tests' -> summative (word 'unit'); … for the titles read so far."""
        return "; ".join(f"{t or '(no category)'!r} -> {k} ({why})"
                         for t, (k, why) in self.seen.items())
