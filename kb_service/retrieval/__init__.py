"""Retrieval: the search pipeline and answer composition with abstention."""
