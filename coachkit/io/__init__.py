"""Getting data in and out: files, OneRoster, CASE, SQL. Everything lands on the canonical tables."""
from .case import load_case, write_case
from .dask import read_evidence_dask, write_evidence_partitioned
from .diagnostics import load_diagnostics, mapping_names, read_mapping
from .gradebooks import load_gradebook
from .files import load_dataset, load_table, read_table, save_dataset, detect_encoding
from .oneroster import OneRosterNotice, OneRosterWarning, load_oneroster, write_oneroster
from .sql import load_sql, save_sql

__all__ = ["load_dataset", "load_table", "read_table", "save_dataset", "detect_encoding",
           "load_oneroster", "write_oneroster", "load_gradebook", "OneRosterWarning", "OneRosterNotice", "load_case", "write_case",
           "load_diagnostics", "read_mapping", "mapping_names", "load_sql", "save_sql",
           "read_evidence_dask", "write_evidence_partitioned"]
