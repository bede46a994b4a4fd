"""Every statement of the knowledge base as an addressable fact, with its procedure, aspect and sources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from pobyt.answers import fee_line
from pobyt.kb.models import KnowledgeBase, Procedure, Question, Text


@dataclass(frozen=True)
class Fact:
    """One statement: a condition, document, fee, deadline, step, note, office detail or question entry.

    ``id`` is ``<procedure>/<field>/<index>`` or ``question:<id>``; ``texts`` holds the statement per
    language (English always); ``search_texts`` adds what retrieval reads besides it (a question
    entry's question and variants).
    """

    id: str
    procedure: Optional[str]
    aspect: Optional[str]
    kind: str
    texts: Dict[str, str]
    sources: Tuple[str, ...]
    search_texts: Tuple[str, ...] = ()

    def text(self, language: str) -> str:
        """Returns the statement in ``language`` (English when it is missing)."""
        return self.texts.get(language) or self.texts["en"]


def _texts(text: Text) -> Dict[str, str]:
    return {language: value for language in ("en", "uk", "ru") if (value := getattr(text, language))}


#: Procedure fields that hold statements, and the aspect each answers.
_LIST_FIELDS = (
    ("conditions", "eligibility"),
    ("steps", "steps"),
    ("after_grant", "deadlines"),
    ("notes", "overview"),
)
_SINGLE_FIELDS = (
    ("summary", "overview"),
    ("processing_time", "processing_time"),
    ("when_to_apply", "deadlines"),
    ("documents_note", "documents"),
    ("where_note", "where"),
)


def procedure_names(proc: Procedure) -> List[str]:
    """Returns every name of a procedure: titles in the three languages, official name, aliases, purpose words."""
    names = [proc.title.en, proc.title.uk, proc.title.ru, proc.official_name]
    names += [name for _, name in proc.aliases.all()] + [word for _, word in proc.purpose_words.all()]
    return [name for name in names if name]


def procedure_facts(kb: KnowledgeBase, proc: Procedure) -> List[Fact]:
    """Returns the facts a procedure states itself (not the inherited ones)."""
    sources = tuple(dict.fromkeys(ref.source for ref in proc.sources))
    facts: List[Fact] = []

    def add(field: str, index: int, aspect: str, text: Text, kind: str = "") -> None:
        facts.append(Fact(f"{proc.id}/{field}/{index}", proc.id, aspect, kind or field, _texts(text), sources))

    for field, aspect in _SINGLE_FIELDS:
        value = getattr(proc, field)
        if value is not None:
            add(field, 0, aspect, value)
    for field, aspect in _LIST_FIELDS:
        for index, value in enumerate(getattr(proc, field)):
            add(field, index, aspect, value)
    for index, deadline in enumerate(proc.deadlines):
        add("deadlines", index, "deadlines", deadline.text)
    for index, fee in enumerate(proc.fees):
        texts = {lang: fee_line(fee, lang) for lang in ("en", "uk", "ru")}
        facts.append(Fact(f"{proc.id}/fees/{index}", proc.id, "fees", "fees", texts, sources))
    for index, requirement in enumerate(proc.documents):
        document = kb.documents.get(requirement.document)
        if document is None:
            continue
        texts = {}
        for lang in ("en", "uk", "ru"):
            details = requirement.details.get(lang) if requirement.details else ""
            texts[lang] = f"{document.name.get(lang)}: {details}".rstrip(": ")
        facts.append(Fact(f"{proc.id}/documents/{index}", proc.id, "documents", "documents", texts, sources))
    return facts


def question_fact(question: Question) -> Fact:
    """Returns a question entry as a fact: its answer, searched by its question and variants too."""
    search = [*_texts(question.question).values(), *(name for _, name in question.variants.all())]
    aspect = question.aspect.value if question.aspect else None
    sources = tuple(dict.fromkeys(ref.source for ref in question.sources))
    texts = _texts(question.answer)
    return Fact(f"question:{question.id}", question.procedure, aspect, "question", texts, sources, tuple(search))


def all_facts(kb: KnowledgeBase) -> List[Fact]:
    """Returns every fact of the knowledge base: procedures' statements and question entries."""
    facts = [fact for proc in kb.procedures.values() for fact in procedure_facts(kb, proc)]
    return facts + [question_fact(q) for q in kb.questions.values()]
