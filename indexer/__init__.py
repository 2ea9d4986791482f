"""Turns the knowledge folder into a searchable index and answers questions from it.

No web code here: editors' commands and benchmarks run without Flask.
"""
from .retrieval import Answer, Candidate, KnowledgeError, Retriever

__all__ = ["Answer", "Candidate", "KnowledgeError", "Retriever"]
