"""Getting data in and out: files, OneRoster, CASE, SQL. Everything lands on the canonical tables."""
from .files import load_dataset, load_table, read_table, save_dataset, detect_encoding

__all__ = ["load_dataset", "load_table", "read_table", "save_dataset", "detect_encoding"]
