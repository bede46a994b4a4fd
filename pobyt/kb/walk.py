"""Walking the fields of knowledge-base entries, with the path of each field for error messages."""

from __future__ import annotations

from typing import Any, Iterator, List, Tuple

from pydantic import BaseModel

from pobyt.kb.models import KnowledgeBase, Text

_NOTHING = type(None)


def walk(value: Any, path: str = "", stop_at: type = _NOTHING) -> Iterator[Tuple[str, Any]]:
    """Yields ``(field path, value)`` for every leaf of a model, list or dict.

    Values of type ``stop_at`` count as leaves even when they are models themselves.
    """
    if isinstance(value, BaseModel) and not isinstance(value, stop_at):
        for key in value.__fields__:
            yield from walk(getattr(value, key), f"{path}.{key}" if path else key, stop_at)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]", stop_at)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}" if path else str(key), stop_at)
    else:
        yield path, value


def texts(value: Any, path: str = "") -> Iterator[Tuple[str, Text]]:
    """Yields every :class:`Text` inside ``value`` with its field path."""
    return ((p, v) for p, v in walk(value, path, stop_at=Text) if isinstance(v, Text))


def entries(kb: KnowledgeBase) -> List[Tuple[str, str, BaseModel]]:
    """Returns ``(file, field prefix, entry)`` for every entry that holds human-readable text."""
    result: List[Tuple[str, str, BaseModel]] = []
    result += [(kb.files[f"procedures:{i}"], "", p) for i, p in kb.procedures.items()]
    result += [(kb.files[f"questions:{i}"], f"questions[{i}].", q) for i, q in kb.questions.items()]
    for kind, items in (("offices", kb.offices), ("documents", kb.documents), ("topics", kb.topics),
                        ("sources", kb.sources)):  # fmt: skip
        for index, (item_id, item) in enumerate(items.items()):
            result.append((kb.files[f"{kind}:{item_id}"], f"{kind}[{index}].", item))
    return result
