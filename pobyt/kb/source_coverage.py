"""Source coverage: every fact-bearing paragraph of every source is covered by an entry or left out on purpose.

A paragraph is one non-empty line of a source text, with its white space collapsed; repeated lines
(the guide repeats its contact blocks) count once. Lines shorter than :data:`MIN_LENGTH` characters
without a digit are headings and carry no facts. Each paragraph is named by the first 8 hex digits of
the SHA-1 of its text, so the coverage files survive reordering.

``knowledge/coverage/<source id>.yml`` (a long source may be split into ``<source id>.<part>.yml`` files)::

    source: legal_stay_guide
    paragraphs:
      - id: 1f0c2a9e
        text: "Asylum is an international protection provided by the state..."   # opening words, for readers
        covered_by: [asylum, question:asylum_one_country_only, office:human_rights_league]
      - id: 77b01d4c
        text: "The Norwegian Directorate of Immigration..."
        left_out: "about Norway, not Slovakia (see the sources README)"

``covered_by`` names procedures (bare ids), ``question:``, ``office:``, ``document:``, ``topic:`` or
``glossary:`` entries. Usage: ``python -m pobyt.kb.source_coverage skeleton <source id>`` prints the
paragraphs a coverage file does not list yet, ready to classify; ``status`` prints the counts.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import yaml

from pobyt.kb.models import KnowledgeBase
from pobyt.kb.problems import Problem

#: Lines shorter than this, without a digit, are headings or navigation.
MIN_LENGTH = 40
#: How many characters of a paragraph a coverage file quotes.
QUOTE_LENGTH = 90
_SPACE = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Paragraph:
    """One fact-bearing paragraph of a source text."""

    id: str
    text: str


def paragraph_id(text: str) -> str:
    """Returns the paragraph's id: 8 hex digits of the SHA-1 of its collapsed text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]  # noqa: S324 (a name, not a security hash)


def source_paragraphs(text: str) -> List[Paragraph]:
    """Splits a source text into its fact-bearing paragraphs, each once, in reading order."""
    seen: Dict[str, Paragraph] = {}
    for line in text.splitlines():
        collapsed = _SPACE.sub(" ", line).strip()
        if not collapsed or (len(collapsed) < MIN_LENGTH and not _DIGIT.search(collapsed)):
            continue
        paragraph = Paragraph(paragraph_id(collapsed), collapsed)
        seen.setdefault(paragraph.id, paragraph)
    return list(seen.values())


def _reference_exists(reference: str, kb: KnowledgeBase) -> bool:
    kind, _, item_id = reference.partition(":") if ":" in reference else ("procedure", "", reference)
    catalogue = {
        "procedure": kb.procedures,
        "question": kb.questions,
        "office": kb.offices,
        "document": kb.documents,
        "topic": kb.topics,
        "glossary": kb.glossary,
    }.get(kind)
    return catalogue is not None and item_id in catalogue


def _read(path: Path) -> Optional[dict]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def _coverage_entries(knowledge_dir: Path, source_id: str) -> Optional[List[tuple]]:
    """Returns ``(file, index, entry)`` of the source's coverage files (None: no file, or one is unreadable)."""
    folder = knowledge_dir / "coverage"
    paths = sorted({*folder.glob(f"{source_id}.yml"), *folder.glob(f"{source_id}.*.yml")})
    found: List[tuple] = []
    for path in paths:
        data = _read(path)
        if data is None or data.get("source") != source_id:
            return None
        found += [(f"knowledge/coverage/{path.name}", i, e) for i, e in enumerate(data.get("paragraphs") or [])]
    return found if paths else None


def check_source_coverage(kb: KnowledgeBase, knowledge_dir: Path, sources_dir: Path) -> Iterator[Problem]:
    """Yields a problem for each paragraph neither covered nor left out, and for each bad coverage entry."""
    for source in kb.sources.values():
        source_path = sources_dir / source.file
        if not source_path.exists():
            continue
        file = f"knowledge/coverage/{source.id}.yml"
        paragraphs = {p.id: p for p in source_paragraphs(source_path.read_text(encoding="utf-8"))}
        found = _coverage_entries(knowledge_dir, source.id)
        if found is None:
            yield Problem(file, "", f"missing or unreadable ('source: {source.id}' at the top?): "
                                    f"{len(paragraphs)} paragraphs of {source.file} to classify")  # fmt: skip
            continue
        listed = set()
        for entry_file, index, entry in found:
            file, where = entry_file, f"paragraphs[{index}]"
            if not isinstance(entry, dict) or "id" not in entry:
                yield Problem(file, where, "each paragraph needs an id")
                continue
            para_id = str(entry["id"])
            if para_id not in paragraphs:
                yield Problem(file, where, f"paragraph {para_id} is not in {source.file} (changed or removed?)")
            if para_id in listed:
                yield Problem(file, where, f"paragraph {para_id} is listed twice")
            listed.add(para_id)
            covered, left_out = entry.get("covered_by") or [], str(entry.get("left_out") or "").strip()
            if bool(covered) == bool(left_out):
                yield Problem(file, where, "give either covered_by (entries) or left_out (why), not both or neither")
            for reference in covered:
                if not _reference_exists(str(reference), kb):
                    yield Problem(file, f"{where}.covered_by", f"unknown entry '{reference}'")
        for para_id, paragraph in paragraphs.items():
            if para_id not in listed:
                message = f"paragraph {para_id} is neither covered nor left out: {paragraph.text[:80]!r}"
                yield Problem(f"knowledge/coverage/{source.id}.yml", "", message)


def skeleton(kb: KnowledgeBase, knowledge_dir: Path, sources_dir: Path, source_id: str) -> str:
    """Returns YAML entries for the paragraphs of ``source_id`` its coverage file does not list yet."""
    source = kb.sources[source_id]
    found = _coverage_entries(knowledge_dir, source_id) or []
    listed = {str(e.get("id")) for _, _, e in found if isinstance(e, dict)}
    missing = [p for p in source_paragraphs((sources_dir / source.file).read_text(encoding="utf-8"))
               if p.id not in listed]  # fmt: skip
    entries = [{"id": p.id, "text": p.text[:QUOTE_LENGTH], "covered_by": []} for p in missing]
    header = "" if found else f"source: {source_id}\nparagraphs:\n"
    body = yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=200) if entries else ""
    return header + "".join(f"  {line}\n" for line in body.splitlines())


def main(argv: Optional[List[str]] = None) -> int:
    """``skeleton <source id>`` or ``status``."""
    from pobyt.kb.check import default_sources_dir
    from pobyt.kb.loader import default_knowledge_dir, load

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["skeleton", "status"])
    parser.add_argument("source", nargs="?")
    args = parser.parse_args(argv)
    kb, knowledge_dir, sources_dir = load(), default_knowledge_dir(), default_sources_dir()
    if args.command == "skeleton":
        print(skeleton(kb, knowledge_dir, sources_dir, args.source), end="")
        return 0
    problems = list(check_source_coverage(kb, knowledge_dir, sources_dir))
    for source in kb.sources.values():
        path = sources_dir / source.file
        total = len(source_paragraphs(path.read_text(encoding="utf-8"))) if path.exists() else 0
        open_count = sum(1 for p in problems if p.file.split("/")[-1].split(".")[0] == source.id)
        print(f"{source.id}: {total} paragraphs, {open_count} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
