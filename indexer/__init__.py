"""Turns the knowledge folder into a searchable index and answers questions from it.

No web code here: editors' commands and benchmarks run without Flask.

The names below are imported on first use (PEP 562), not with the package:
``import indexer.languages`` (the operators' commands, the API contract) must
not pull in the search engine's numpy, scipy and scikit-learn, which cost
seconds on a loaded machine.
"""
from __future__ import annotations

import importlib

_EXPORTS = {"Answer": "retrieval", "Candidate": "retrieval", "KnowledgeError": "retrieval", "Retriever": "retrieval"}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    """``indexer.Retriever`` and friends, imported from their module the first time one is asked for."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
