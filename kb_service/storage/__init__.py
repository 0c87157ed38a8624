"""Relational storage: the source documents behind the index (SQLite under the data directory)."""
