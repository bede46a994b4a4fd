"""The one loader of the knowledge base (YAML files under ``knowledge/``)."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from pobyt.kb.models import (
    OUT_OF_SCOPE,
    DocumentType,
    GlossaryTerm,
    KnowledgeBase,
    Office,
    Procedure,
    Question,
    Situation,
    Source,
    Topic,
)
from pobyt.kb.problems import Problem

ModelT = TypeVar("ModelT", bound=BaseModel)

#: Catalogue files: file name -> (top-level key, model).
CATALOGUES: Dict[str, Tuple[str, Type[BaseModel]]] = {
    "sources.yml": ("sources", Source),
    "offices.yml": ("offices", Office),
    "documents.yml": ("documents", DocumentType),
    "topics.yml": ("topics", Topic),
    "glossary.yml": ("terms", GlossaryTerm),
}


class KnowledgeBaseError(Exception):
    """The knowledge base could not be loaded; ``problems`` says where and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def default_knowledge_dir() -> Path:
    """Returns ``$POBYT_KNOWLEDGE_DIR`` or the repository's ``knowledge/`` folder."""
    configured = os.environ.get("POBYT_KNOWLEDGE_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "knowledge"


def _field_path(loc: Sequence[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _parse(model: Type[ModelT], data: Any, file: str, prefix: str) -> Tuple[Optional[ModelT], List[Problem]]:
    if not isinstance(data, dict):
        return None, [Problem(file, prefix, f"expected a mapping, found {type(data).__name__}")]
    try:
        return model.parse_obj(data), []
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = _field_path(item["loc"])
            full = f"{prefix}.{field}" if prefix and field else (prefix or field)
            problems.append(Problem(file, full, item["msg"]))
        return None, problems


#: libyaml's safe loader when PyYAML was built with it: the same documents, read about ten times faster
#: (the knowledge base with its situation messages took 7 s to parse in pure Python, longer than a
#: channel waits for the first answer of a freshly started action server).
LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))


def _read_yaml(path: Path, root: Path) -> Tuple[Any, List[Problem]]:
    rel = str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)
    try:
        with path.open(encoding="utf-8") as handle:
            return (yaml.load(handle, Loader=yaml.CSafeLoader) if LIBYAML else yaml.safe_load(handle)), []
    except (OSError, yaml.YAMLError) as error:
        return None, [Problem(rel, "", f"cannot read YAML: {error}")]


def load_with_problems(knowledge_dir: Optional[Path] = None) -> Tuple[Optional[KnowledgeBase], List[Problem]]:
    """Loads the knowledge base and returns it with every structural problem found.

    Args:
        knowledge_dir: folder holding ``sources.yml``, ``offices.yml``, ``documents.yml``
            and ``procedures/*.yml``; defaults to :func:`default_knowledge_dir`.

    Returns:
        The knowledge base (None when a problem prevents building it) and the problems:
        unreadable YAML, schema violations, duplicate ids, missing files.
    """
    root = Path(knowledge_dir or default_knowledge_dir())
    problems: List[Problem] = []
    items: Dict[str, Dict[str, BaseModel]] = {
        "sources": {},
        "offices": {},
        "documents": {},
        "topics": {},
        "terms": {},
        "procedures": {},
        "questions": {},
    }
    files: Dict[str, str] = {}

    def rel(path: Path) -> str:
        return str(path.relative_to(root.parent))

    def add(kind: str, item: BaseModel, file: str, field: str) -> None:
        item_id = item.id
        if item_id in items[kind]:
            first = files[f"{kind}:{item_id}"]
            problems.append(Problem(file, f"{field}.id", f"duplicate id '{item_id}' (first in {first})"))
            return
        items[kind][item_id] = item
        files[f"{kind}:{item_id}"] = file

    for file_name, (key, model) in CATALOGUES.items():
        path = root / file_name
        if not path.exists():
            problems.append(Problem(rel(path), "", "file is missing"))
            continue
        data, read_problems = _read_yaml(path, root)
        problems += read_problems
        if read_problems:
            continue
        entries = data.get(key) if isinstance(data, dict) else None
        if not isinstance(entries, list):
            problems.append(Problem(rel(path), key, f"expected a list under '{key}'"))
            continue
        for index, entry in enumerate(entries):
            parsed, parse_problems = _parse(model, entry, rel(path), f"{key}[{index}]")
            problems += parse_problems
            if parsed is not None:
                add(key, parsed, rel(path), f"{key}[{index}]")

    procedure_files = sorted((root / "procedures").glob("*.yml"))
    if not procedure_files:
        problems.append(Problem(rel(root / "procedures"), "", "no procedure files"))
    for path in procedure_files:
        data, read_problems = _read_yaml(path, root)
        problems += read_problems
        if read_problems:
            continue
        parsed, parse_problems = _parse(Procedure, data, rel(path), "")
        problems += parse_problems
        if parsed is not None:
            if parsed.id != path.stem:
                problems.append(Problem(rel(path), "id", f"id '{parsed.id}' does not match the file name"))
            add("procedures", parsed, rel(path), "")

    # Question entries: any number of files under questions/, each a list under "questions".
    for path in sorted((root / "questions").glob("*.yml")):
        data, read_problems = _read_yaml(path, root)
        problems += read_problems
        if read_problems:
            continue
        entries = data.get("questions") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            problems.append(Problem(rel(path), "questions", "expected a list under 'questions'"))
            continue
        for index, entry in enumerate(entries):
            parsed, parse_problems = _parse(Question, entry, rel(path), f"questions[{index}]")
            problems += parse_problems
            if parsed is not None:
                add("questions", parsed, rel(path), f"questions[{index}]")

    # Situation messages (router training examples): one file per procedure under situations/.
    situations: List[Situation] = []
    for path in sorted((root / "situations").glob("*.yml")):
        data, read_problems = _read_yaml(path, root)
        problems += read_problems
        if not read_problems:
            parsed, parse_problems = _parse(Situation, data, rel(path), "")
            problems += parse_problems
            if parsed is not None:
                if parsed.procedure not in items["procedures"] and parsed.procedure != OUT_OF_SCOPE:
                    problems.append(Problem(rel(path), "procedure", f"unknown procedure '{parsed.procedure}'"))
                situations.append(parsed)

    if not items["procedures"] or not items["sources"]:
        return None, problems
    kb = KnowledgeBase(
        procedures=items["procedures"],
        questions=items["questions"],
        situations=situations,
        topics=items["topics"],
        glossary=items["terms"],
        offices=items["offices"],
        documents=items["documents"],
        sources=items["sources"],
        files=files,
    )
    return kb, problems


def load(knowledge_dir: Optional[Path] = None) -> KnowledgeBase:
    """Loads the knowledge base, raising :class:`KnowledgeBaseError` on any structural problem."""
    kb, problems = load_with_problems(knowledge_dir)
    errors = [p for p in problems if p.severity == "error"]
    if kb is None or errors:
        raise KnowledgeBaseError(errors or problems)
    return kb


@functools.lru_cache(maxsize=4)
def _cached(knowledge_dir: str) -> KnowledgeBase:
    return load(Path(knowledge_dir))


def get_knowledge_base(knowledge_dir: Optional[Path] = None) -> KnowledgeBase:
    """Returns the knowledge base, loaded once per process and folder (on first use, not import)."""
    return _cached(str(Path(knowledge_dir or default_knowledge_dir()).resolve()))
