"""External engines, each behind a small interface: embedder, vector index, language detector, generator."""
