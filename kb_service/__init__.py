"""Support knowledge-base service: multilingual retrieval over help-centre articles and resolved tickets."""

__version__ = "0.1.0"
