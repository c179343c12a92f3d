"""Privacy by default: keyed pseudonyms, small-cell suppression with an LP audit, and a
leak scanner for generated artifacts. See docs/privacy.md.

    import coachkit as ck
    anon = ck.privacy.pseudonymize(ds, key=secret, shift_dates=True)
    shown = ck.privacy.suppress(counts, min_n=10)          # suppressed cells are <NA>
    ck.privacy.audit(shown, counts).ok                      # True: nothing recoverable
    groups = ck.privacy.suppress_groups(students, families=["ell", "iep", "home_language"],
                                        levels=[("school_id",), ("school_id", "grade")])
    ck.privacy.audit_groups(students, groups).ok            # the SET of pages, together
    findings = ck.privacy.scan("showcase/", ds)             # empty: no leaks
"""
from __future__ import annotations

from .pseudonyms import fold_name, pseudonym_table, pseudonymize
from .scanner import FINDING_COLUMNS, png_text, scan
from .auditing import AuditReport, DisclosureError, audit, margins
from .suppression import format_percent, percent_table, suppress, suppression_status
from .minimum import DEFAULT_MIN_N, minimum_n
from .groups import (HIDDEN, PUBLISHED_LEVELS, STUDENT_FAMILIES, UNKNOWN, audit_groups,
                     below_minimum, group_counts, protection_for, shown_groups,
                     student_groups, suppress_family, suppress_groups, classroom_groups,
                     CLASSROOM_LEVEL)

__all__ = ["pseudonymize", "pseudonym_table", "suppress", "suppression_status", "audit",
           "AuditReport", "DisclosureError", "margins", "percent_table", "format_percent",
           "scan", "png_text", "FINDING_COLUMNS", "fold_name", "minimum_n", "DEFAULT_MIN_N",
           "suppress_groups", "suppress_family", "audit_groups", "group_counts",
           "shown_groups", "protection_for", "below_minimum", "student_groups", "HIDDEN",
           "UNKNOWN", "STUDENT_FAMILIES", "PUBLISHED_LEVELS", "classroom_groups",
           "CLASSROOM_LEVEL"]
