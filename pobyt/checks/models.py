"""What a guided check is made of: questions with fixed options, decision rows, and the result.

Everything here is language-independent. Sentences are message keys of ``pobyt/checks/messages.yml``
(or texts of the knowledge base) rendered only by :mod:`pobyt.checks.render`, so the same result can
be shown in English, Ukrainian or Russian, on any channel and in the staff console.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

from pobyt.kb.models import Text

#: The answers given so far: question id (``check_...``) -> option id, or a number of months/years.
Answers = Mapping[str, Any]


class Outcome(str, Enum):
    """What the check concludes."""

    eligible = "eligible"
    not_yet = "not_yet"
    not_eligible = "not_eligible"
    other_procedure = "other_procedure"


class AnswerKind(str, Enum):
    """How a question is answered: one of fixed options, or a typed number."""

    choice = "choice"
    months = "months"
    years = "years"


@dataclass(frozen=True)
class Count:
    """A number shown with its unit in the right plural form ("6 months", "6 місяців")."""

    unit: str  # a plural key of the catalogue: days, months, years
    n: int


@dataclass(frozen=True)
class Label:
    """The label of an answer option, shown in the reader's language ("a Slovak citizen")."""

    question: str
    option: str


@dataclass(frozen=True)
class Phrase:
    """A sentence of the catalogue with its values; values may be dates, counts, labels or texts."""

    key: str
    values: Tuple[Tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, key: str, **values: Any) -> Phrase:
        """Builds a phrase from keyword values (kept as a tuple so the phrase stays hashable)."""
        return cls(key, tuple(sorted(values.items())))


#: Something that can be rendered in a language: a phrase, a knowledge-base text, or neutral text
#: (addresses, phone numbers).
Renderable = Union[Phrase, Text, str]


def always(_: Answers) -> bool:
    """The condition of a question that is always asked."""
    return True


@dataclass(frozen=True)
class Question:
    """One question of a check.

    Attributes:
        id: the slot name (``check_...``); its text is ``question.<id>`` in the catalogue.
        options: the option ids for a choice; each label is ``option.<id>.<option>``.
        kind: a choice, or a typed number of months or years.
        asked_when: whether the question is needed, given the earlier answers.
    """

    id: str
    options: Tuple[str, ...] = ()
    kind: AnswerKind = AnswerKind.choice
    asked_when: Callable[[Answers], bool] = always


@dataclass(frozen=True)
class Fact:
    """A fact the decision rests on, with the knowledge-base source ids it comes from."""

    text: Renderable
    sources: Tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """One row of a decision table: when the answers match, this is the outcome.

    ``match`` maps a question id to the option ids it must have; ``reason`` is the catalogue key of
    the sentence explaining the rule; ``source`` names the source file and section the row is taken
    from (for curators and the tests); ``cites`` are the knowledge-base source ids shown to the person.
    """

    match: Mapping[str, Tuple[str, ...]]
    outcome: Outcome
    procedure: Optional[str]
    reason: str
    source: str
    cites: Tuple[str, ...] = ()

    def matches(self, answers: Answers) -> bool:
        """True when every answer named in ``match`` is one of the listed options."""
        return all(answers.get(question) in options for question, options in self.match.items())


@dataclass
class ChecklistItem:
    """One line of the checklist (a document, a fee, an office) with its rules underneath."""

    text: Renderable
    rules: List[Renderable] = field(default_factory=list)


@dataclass
class Checklist:
    """The personal checklist for the procedure the check arrived at."""

    documents: List[ChecklistItem] = field(default_factory=list)
    documents_note: Optional[Renderable] = None
    fees: List[ChecklistItem] = field(default_factory=list)
    where: List[ChecklistItem] = field(default_factory=list)
    when: List[Renderable] = field(default_factory=list)
    processing_time: Optional[Renderable] = None
    after_grant: List[Renderable] = field(default_factory=list)
    warnings: List[Renderable] = field(default_factory=list)


@dataclass
class Result:
    """The decision of a check: outcome, reasons, the facts with sources, and the checklist.

    Attributes:
        check: the check's id.
        outcome: eligible, not yet, not eligible, or another procedure fits.
        procedure: the knowledge-base id of the procedure the decision is about.
        title: that procedure's title (with ``official_name`` for the heading).
        told: the answers the decision used ("you told me: ..."), as option labels or counts.
        reasons: plain-language sentences explaining the rule behind the decision.
        facts: the facts the decision rests on, each with its source ids.
        checklist: what to prepare, pay, where and when; ``None`` when nothing can be applied for.
        sources: titles of the sources cited, keyed by source id (for the "Sources:" line).
        earliest: the earliest date the person can apply, when the check computed one.
        today: the date everything was computed against.
    """

    check: str
    outcome: Outcome
    procedure: Optional[str]
    title: Optional[Text] = None
    official_name: str = ""
    told: List[Union[Label, Phrase]] = field(default_factory=list)
    reasons: List[Renderable] = field(default_factory=list)
    facts: List[Fact] = field(default_factory=list)
    checklist: Optional[Checklist] = None
    sources: Dict[str, Text] = field(default_factory=dict)
    earliest: Optional[dt.date] = None
    today: Optional[dt.date] = None

    def data(self) -> Dict[str, Any]:
        """The machine-readable part for ``custom.pobyt`` and the staff console."""
        return {
            "check": self.check,
            "outcome": self.outcome.value,
            "procedure": self.procedure,
            "sources": list(self.sources),
            "earliest": self.earliest.isoformat() if self.earliest else None,
        }


@dataclass(frozen=True)
class Check:
    """A guided check: its questions in order and the function that decides."""

    id: str
    questions: Tuple[Question, ...]
    decide: Callable[..., Result]


def option_ids(*ids: str) -> Tuple[str, ...]:
    """Spells a tuple of option ids (reads better in the tables than bare tuples)."""
    return tuple(ids)


def first_match(rules: List[Rule], answers: Answers) -> Optional[Rule]:
    """Returns the first row of a decision table that matches the answers."""
    return next((rule for rule in rules if rule.matches(answers)), None)
