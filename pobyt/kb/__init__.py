"""The knowledge base: typed models, one loader, one search, one validator."""

from pobyt.kb.loader import KnowledgeBaseError, default_knowledge_dir, get_knowledge_base, load
from pobyt.kb.models import LANGUAGES, KnowledgeBase, Office, Procedure, Source, Text

__all__ = [
    "LANGUAGES",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Office",
    "Procedure",
    "Source",
    "Text",
    "default_knowledge_dir",
    "get_knowledge_base",
    "load",
]
