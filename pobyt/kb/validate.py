"""Validation of the knowledge base beyond its schema: references, sources, numbers, coverage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

from pydantic import BaseModel

from pobyt.kb.loader import default_knowledge_dir, load_with_problems
from pobyt.kb.models import LANGUAGES, DocumentType, KnowledgeBase, Names, Office, Procedure, Question, ReviewFlag
from pobyt.kb.numbers import amount_forms, date_numbers, numbers_in_source, numbers_in_text
from pobyt.kb.problems import Problem, Severity
from pobyt.kb.required import REQUIRED_OFFICES, REQUIRED_PROCEDURES
from pobyt.kb.search import normalise
from pobyt.kb.source_coverage import check_source_coverage
from pobyt.kb.translations import check_translations
from pobyt.kb.walk import entries, texts, walk

#: Keys whose values are ids or metadata, not text shown to people: their numbers are not facts.
_NOT_FACTS = {"id", "category", "document", "confirm_with", "where_to_apply", "related", "reason",
              "sources", "last_reviewed", "optional", "working_days", "official_translation",
              "legalisation", "aliases", "choice_label", "part_of", "purpose_words", "variants",
              "procedure", "procedures", "aspect"}  # fmt: skip


@dataclass
class Coverage:
    """How many human-readable fields are filled, per language."""

    total: int = 0
    filled: Dict[str, int] = field(default_factory=lambda: {lang: 0 for lang in LANGUAGES})
    missing: Dict[str, List[Problem]] = field(default_factory=lambda: {lang: [] for lang in LANGUAGES})

    def percent(self, language: str) -> float:
        """Returns the share of filled fields in ``language`` (100.0 when there are none)."""
        return 100.0 * self.filled[language] / self.total if self.total else 100.0


@dataclass
class Report:
    """The result of a validation run."""

    problems: List[Problem]
    coverage: Coverage
    counts: Dict[str, int]
    sources_checked: bool

    @property
    def errors(self) -> List[Problem]:
        """Problems that fail the check."""
        return [p for p in self.problems if p.severity == Severity.error]

    @property
    def warnings(self) -> List[Problem]:
        """Problems that are printed but do not fail the check."""
        return [p for p in self.problems if p.severity == Severity.warning]


def _fact_numbers(item: BaseModel) -> Iterator[Tuple[str, Tuple[str, ...]]]:
    """Yields ``(field path, accepted spellings)`` for each number an entry states as a fact."""
    for path, value in walk(item):
        top = path.split(".")[0].split("[")[0]
        leaf = path.rsplit(".", 1)[-1]
        if top in _NOT_FACTS or leaf in _NOT_FACTS:
            continue
        if isinstance(value, bool) or value is None:
            continue
        if leaf == "amount_eur":
            yield path, tuple(amount_forms(value))
        elif isinstance(value, (int, float)):
            yield path, (str(value),)
        elif isinstance(value, dt.date):
            for number in date_numbers(value):
                yield path, (number,)
        elif isinstance(value, str):
            for number in sorted(numbers_in_text(value)):
                yield path, (number,)


class _SourceTexts:
    """Numbers stated by each source file, read once."""

    def __init__(self, kb: KnowledgeBase, sources_dir: Path) -> None:
        self.numbers: Dict[str, Set[str]] = {}
        for source in kb.sources.values():
            path = sources_dir / source.file
            if path.exists():
                self.numbers[source.id] = numbers_in_source(path.read_text(encoding="utf-8"))


def _check_numbers(
    item: Procedure | Office | DocumentType | Question, file: str, sources: _SourceTexts
) -> Iterator[Problem]:
    cited = [ref.source for ref in item.sources if ref.source in sources.numbers]
    if not cited:
        return
    stated: Set[str] = set().union(*(sources.numbers[s] for s in cited))
    for path, spellings in _fact_numbers(item):
        if not set(spellings) & stated:
            number = spellings[0]
            yield Problem(file, path, f"number {number} appears in none of its cited sources ({', '.join(cited)})")


def _check_review(flag: ReviewFlag, kb: KnowledgeBase, file: str, path: str) -> Iterator[Problem]:
    for office in flag.confirm_with:
        if office not in kb.offices:
            yield Problem(file, f"{path}.confirm_with", f"unknown office '{office}'")


def _check_procedure(proc: Procedure, kb: KnowledgeBase, file: str, today: dt.date) -> Iterator[Problem]:
    if not proc.sources:
        yield Problem(file, "sources", "a procedure must cite at least one source")
    for index, ref in enumerate(proc.sources):
        if ref.source not in kb.sources:
            yield Problem(file, f"sources[{index}].source", f"unknown source '{ref.source}'")
    for index, doc in enumerate(proc.documents):
        if doc.document not in kb.documents:
            yield Problem(file, f"documents[{index}].document", f"unknown document type '{doc.document}'")
    for index, office in enumerate(proc.where_to_apply):
        if office not in kb.offices:
            yield Problem(file, f"where_to_apply[{index}]", f"unknown office '{office}'")
    for index, other in enumerate(proc.related):
        if other not in kb.procedures:
            yield Problem(file, f"related[{index}]", f"unknown procedure '{other}'")
    has_purpose = any(True for _ in proc.purpose_words.all())
    known = proc.part_of in kb.procedures or proc.part_of in kb.topics
    if proc.part_of is not None and (not known or proc.part_of == proc.id):
        yield Problem(file, "part_of", f"unknown procedure or topic '{proc.part_of}'")
    if has_purpose != (proc.part_of is not None):
        yield Problem(file, "purpose_words", "part_of and purpose_words go together: give both or neither")
    for index, fee in enumerate(proc.fees):
        if fee.review is None:
            yield Problem(file, f"fees[{index}].review", "every fee needs a review flag (fees have likely changed)")
        else:
            yield from _check_review(fee.review, kb, file, f"fees[{index}].review")
    for index, flag in enumerate(proc.review):
        yield from _check_review(flag, kb, file, f"review[{index}]")
    if proc.validity and proc.validity.valid_until and proc.validity.valid_until < today:
        yield Problem(file, "validity.valid_until", f"{proc.validity.valid_until} has passed", Severity.warning)


def _check_question(question: Question, kb: KnowledgeBase, file: str) -> Iterator[Problem]:
    prefix = f"questions[{question.id}]"
    for index, ref in enumerate(question.sources):
        if ref.source not in kb.sources:
            yield Problem(file, f"{prefix}.sources[{index}].source", f"unknown source '{ref.source}'")
    named = [("procedure", question.procedure)] if question.procedure else []
    named += [(f"procedures[{i}]", p) for i, p in enumerate(question.procedures)]
    named += [(f"related[{i}]", p) for i, p in enumerate(question.related)]
    for field_path, proc_id in named:
        if proc_id not in kb.procedures:
            yield Problem(file, f"{prefix}.{field_path}", f"unknown procedure '{proc_id}'")
    for index, flag in enumerate(question.review):
        yield from _check_review(flag, kb, file, f"{prefix}.review[{index}]")
    for language in LANGUAGES:
        if not question.variants.get(language):
            yield Problem(file, f"{prefix}.variants.{language}", "no variants in this language")


def _check_office(office: Office, kb: KnowledgeBase, file: str, index: int) -> Iterator[Problem]:
    prefix = f"offices[{index}]"
    for ref_index, ref in enumerate(office.sources):
        if ref.source not in kb.sources:
            yield Problem(file, f"{prefix}.sources[{ref_index}].source", f"unknown source '{ref.source}'")
    for flag_index, flag in enumerate(office.review):
        yield from _check_review(flag, kb, file, f"{prefix}.review[{flag_index}]")
    for loc_index, location in enumerate(office.locations):
        if location.review:
            yield from _check_review(location.review, kb, file, f"{prefix}.locations[{loc_index}].review")


def _alias_owners(kb: KnowledgeBase) -> Iterator[Tuple[str, str, Names, str]]:
    """Yields ``(kind, id, names, file)`` for every entry that carries aliases."""
    for proc in kb.procedures.values():
        yield "procedure", proc.id, proc.aliases, kb.files.get(f"procedures:{proc.id}", "")
    for topic in kb.topics.values():
        yield "topic", topic.id, topic.aliases, kb.files.get(f"topics:{topic.id}", "")
    for office in kb.offices.values():
        yield "office", office.id, office.aliases, kb.files.get(f"offices:{office.id}", "")


def _check_aliases(kb: KnowledgeBase) -> Iterator[Problem]:
    seen: Dict[Tuple[str, str], str] = {}
    for kind, item_id, names, file in _alias_owners(kb):
        for language, alias in names.all():
            key = (language, normalise(alias))
            owner = f"{kind} {item_id}"
            if key in seen and seen[key] != owner:
                yield Problem(file, f"aliases.{language}", f"alias '{alias}' is also used by {seen[key]}")
            seen.setdefault(key, owner)


def _check_topics(kb: KnowledgeBase) -> Iterator[Problem]:
    for topic in kb.topics.values():
        file = kb.files.get(f"topics:{topic.id}", "knowledge/topics.yml")
        for index, proc_id in enumerate(topic.procedures):
            proc = kb.procedures.get(proc_id)
            if proc is None:
                yield Problem(file, f"{topic.id}.procedures[{index}]", f"unknown procedure '{proc_id}'")
            elif proc.choice_label is None:
                yield Problem(kb.files[f"procedures:{proc_id}"], "choice_label", f"needed by topic '{topic.id}'")


def _coverage(kb: KnowledgeBase) -> Coverage:
    coverage = Coverage()
    for file, prefix, entry in entries(kb):
        for path, text in texts(entry):
            coverage.total += 1
            for language in LANGUAGES:
                if getattr(text, language).strip():
                    coverage.filled[language] += 1
                else:
                    coverage.missing[language].append(Problem(file, prefix + path, f"missing {language} text"))
    return coverage


def validate(
    knowledge_dir: Optional[Path] = None,
    sources_dir: Optional[Path] = None,
    today: Optional[dt.date] = None,
    required_procedures: Sequence[str] = REQUIRED_PROCEDURES,
    required_offices: Sequence[str] = REQUIRED_OFFICES,
    require_translations: bool = True,
    require_source_coverage: bool = True,
) -> Report:
    """Validates the knowledge base and returns every problem found.

    Args:
        knowledge_dir: the ``knowledge/`` folder (default: the repository's).
        sources_dir: folder of the source texts; when it exists, numbers are checked against it.
        today: the date ``valid_until`` is compared with (default: today).
        required_procedures: procedure ids that must exist.
        required_offices: office ids that must exist.
        require_translations: a missing Ukrainian or Russian text (or alias list) is an error;
            otherwise it only lowers the coverage.
        require_source_coverage: every fact-bearing paragraph of the sources must be covered by an
            entry or left out with a reason (``knowledge/coverage/``; checked when the sources exist).

    Returns:
        A :class:`Report` with problems (errors and warnings), coverage and counts.
    """
    today = today or dt.date.today()
    kb, problems = load_with_problems(knowledge_dir)
    if kb is None:
        return Report(problems, Coverage(), {}, False)
    sources_checked = bool(sources_dir and Path(sources_dir).is_dir())
    texts = _SourceTexts(kb, Path(sources_dir)) if sources_checked else None

    for proc_id in required_procedures:
        if proc_id not in kb.procedures:
            problems.append(Problem("knowledge/procedures", proc_id, "required procedure is missing"))
    for office_id in required_offices:
        if office_id not in kb.offices:
            problems.append(Problem("knowledge/offices.yml", office_id, "required office is missing"))

    for proc in kb.procedures.values():
        file = kb.files[f"procedures:{proc.id}"]
        problems += _check_procedure(proc, kb, file, today)
        if texts:
            problems += _check_numbers(proc, file, texts)
    for index, office in enumerate(kb.offices.values()):
        file = kb.files[f"offices:{office.id}"]
        problems += _check_office(office, kb, file, index)
        if texts:
            problems += (
                Problem(p.file, f"offices[{index}].{p.field}", p.message) for p in _check_numbers(office, file, texts)
            )
    for index, doc in enumerate(kb.documents.values()):
        if texts:
            file = kb.files[f"documents:{doc.id}"]
            problems += (
                Problem(p.file, f"documents[{index}].{p.field}", p.message) for p in _check_numbers(doc, file, texts)
            )
        for ref_index, ref in enumerate(doc.sources):
            if ref.source not in kb.sources:
                file = kb.files[f"documents:{doc.id}"]
                problems.append(
                    Problem(file, f"documents[{index}].sources[{ref_index}]", f"unknown source '{ref.source}'")
                )
    for question in kb.questions.values():
        file = kb.files[f"questions:{question.id}"]
        problems += _check_question(question, kb, file)
        if texts:
            problems += (
                Problem(p.file, f"questions[{question.id}].{p.field}", p.message)
                for p in _check_numbers(question, file, texts)
            )
    problems += _check_aliases(kb)
    problems += _check_topics(kb)
    if sources_checked:
        files = {s.file for s in kb.sources.values()}
        for path in sorted(Path(sources_dir).glob("*.txt")):
            if path.name not in files:
                problems.append(Problem("knowledge/sources.yml", "", f"no record for source file {path.name}"))
        for source in kb.sources.values():
            if not (Path(sources_dir) / source.file).exists():
                problems.append(Problem(kb.files[f"sources:{source.id}"], source.id, f"file {source.file} not found"))
        if require_source_coverage:
            problems += check_source_coverage(kb, Path(knowledge_dir or default_knowledge_dir()), Path(sources_dir))

    problems += check_translations(kb, require_aliases=require_translations)
    coverage = _coverage(kb)
    if require_translations:
        problems += coverage.missing["uk"] + coverage.missing["ru"]

    counts = {
        "procedures": len(kb.procedures),
        "offices": len(kb.offices),
        "documents": len(kb.documents),
        "topics": len(kb.topics),
        "questions": len(kb.questions),
        "sources": len(kb.sources),
        "glossary terms": len(kb.glossary),
    }
    return Report(problems, coverage, counts, sources_checked)
