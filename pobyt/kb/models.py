"""Typed models of the knowledge base.

Every human-readable field is a :class:`Text` (one string per language) or a
:class:`Names` (several strings per language). English is required; Ukrainian and
Russian may be empty until they are translated, and the validator reports coverage.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Dict, Iterator, List, Optional, Tuple

from pydantic import BaseModel, Extra, Field, validator

LANGUAGES: Tuple[str, ...] = ("en", "uk", "ru")
ID_PATTERN = r"^[a-z][a-z0-9_]*$"


class StrictModel(BaseModel):
    """Base model: unknown fields are errors, so typos in YAML keys are caught."""

    class Config:
        extra = Extra.forbid
        allow_mutation = False


class Text(StrictModel):
    """A human-readable text in the three languages."""

    en: str = Field(..., min_length=1)
    uk: str = ""
    ru: str = ""

    def get(self, language: str) -> str:
        """Returns the text in ``language``, falling back to English when missing."""
        value = getattr(self, language, "") if language in LANGUAGES else ""
        return value or self.en


class Names(StrictModel):
    """Several names for one thing, per language (aliases people use)."""

    en: List[str] = Field(default_factory=list)
    uk: List[str] = Field(default_factory=list)
    ru: List[str] = Field(default_factory=list)

    def get(self, language: str) -> List[str]:
        """Returns the names in ``language`` (no fallback: aliases are language-bound)."""
        return list(getattr(self, language, []) if language in LANGUAGES else [])

    def all(self) -> Iterator[Tuple[str, str]]:
        """Yields ``(language, name)`` for every name."""
        for language in LANGUAGES:
            for name in getattr(self, language):
                yield language, name


class ReviewReason(str, Enum):
    """Why a fact is flagged for review (see ``../shared/sources/README.md``)."""

    sources_disagree = "sources_disagree"
    likely_changed = "likely_changed"


class Aspect(str, Enum):
    """What a person can ask about a procedure; each has an intent ``ask_<aspect>``."""

    overview = "overview"
    documents = "documents"
    fees = "fees"
    where = "where"
    steps = "steps"
    eligibility = "eligibility"
    processing_time = "processing_time"
    deadlines = "deadlines"
    contacts = "contacts"


class ReviewFlag(StrictModel):
    """Marks a fact that must not be presented as certainly current."""

    reason: ReviewReason
    note: Text
    confirm_with: List[str] = Field(..., min_items=1, description="office ids")
    aspects: List[Aspect] = Field(
        default_factory=list, description="answers the flag is shown with (empty: every answer)"
    )


class SourceRef(StrictModel):
    """A citation: a source id from ``sources.yml`` and the section used."""

    source: str
    section: str = ""


class Legalisation(str, Enum):
    """How a document issued abroad must be verified."""

    apostille_or_superlegalisation = "apostille_or_superlegalisation"
    apostille = "apostille"
    superlegalisation = "superlegalisation"
    none = "none"


class DocumentRequirement(StrictModel):
    """A document a procedure needs: a catalogue reference plus per-procedure rules."""

    document: str
    count: Optional[int] = Field(None, ge=1)
    details: Optional[Text] = None
    max_age_days: Optional[int] = Field(None, ge=1)
    legalisation: Optional[Legalisation] = None
    official_translation: Optional[bool] = None
    exemptions: List[Text] = Field(default_factory=list)
    optional: bool = False


class Fee(StrictModel):
    """An administrative fee."""

    amount_eur: float = Field(..., ge=0)
    purpose: Text
    exemptions: List[Text] = Field(default_factory=list)
    review: Optional[ReviewFlag] = None


class Deadline(StrictModel):
    """A time limit the person must keep."""

    text: Text
    days: Optional[int] = Field(None, ge=0)
    working_days: bool = False


class Validity(StrictModel):
    """Dates the law gives to a procedure (e.g. temporary protection's end)."""

    valid_from: Optional[dt.date] = None
    valid_until: Optional[dt.date] = None
    #: The law keeps the status this many years beyond ``valid_until`` for those who hold it on its
    #: eve (temporary protection: one more year); the assistant computes and says the end date.
    extension_years: Optional[int] = Field(None, ge=1)
    note: Optional[Text] = None


class Category(str, Enum):
    """Top-level topics, as shown in menus."""

    protection = "protection"
    work = "work"
    temporary_residence = "temporary_residence"
    permanent_residence = "permanent_residence"
    citizenship = "citizenship"
    visas = "visas"
    documents = "documents"


class Procedure(StrictModel):
    """One procedure: what it is, who can apply, what is needed, where and when."""

    id: str = Field(..., regex=ID_PATTERN)
    category: Category
    title: Text
    official_name: str = ""
    aliases: Names = Field(default_factory=Names)
    choice_label: Optional[Text] = None
    summary: Text
    conditions: List[Text] = Field(default_factory=list)
    steps: List[Text] = Field(default_factory=list)
    documents: List[DocumentRequirement] = Field(default_factory=list)
    documents_note: Optional[Text] = None
    fees: List[Fee] = Field(default_factory=list)
    processing_time: Optional[Text] = None
    when_to_apply: Optional[Text] = None
    deadlines: List[Deadline] = Field(default_factory=list)
    where_to_apply: List[str] = Field(default_factory=list, description="office ids")
    where_note: Optional[Text] = None
    after_grant: List[Text] = Field(default_factory=list)
    notes: List[Text] = Field(default_factory=list)
    validity: Optional[Validity] = None
    review: List[ReviewFlag] = Field(default_factory=list)
    sources: List[SourceRef] = Field(default_factory=list)
    last_reviewed: dt.date
    related: List[str] = Field(default_factory=list)
    #: The general procedure this one is a kind of ("temporary residence" for the study permit)...
    part_of: Optional[str] = Field(None, description="procedure or topic id")
    #: ...and the words that, said with one of its names, name this one ("trp for study").
    purpose_words: Names = Field(default_factory=Names)


class Location(StrictModel):
    """One branch of an office: address, hours and contacts."""

    city: str
    address: str = ""
    hours: Optional[Text] = None
    phones: List[str] = Field(default_factory=list)
    emails: List[str] = Field(default_factory=list)
    review: Optional[ReviewFlag] = None


class OfficeKind(str, Enum):
    """Whether an office is a public authority or a helping organisation."""

    authority = "authority"
    organisation = "organisation"


class Office(StrictModel):
    """An authority or organisation people deal with or get help from."""

    id: str = Field(..., regex=ID_PATTERN)
    kind: OfficeKind
    name: Text
    official_name: str = ""
    aliases: Names = Field(default_factory=Names)
    description: Text
    locations: List[Location] = Field(default_factory=list)
    phones: List[str] = Field(default_factory=list)
    emails: List[str] = Field(default_factory=list)
    websites: List[str] = Field(default_factory=list)
    review: List[ReviewFlag] = Field(default_factory=list)
    sources: List[SourceRef] = Field(..., min_items=1)


class DocumentType(StrictModel):
    """A kind of document, as listed in the document catalogue."""

    id: str = Field(..., regex=ID_PATTERN)
    name: Text
    official_name: str = ""
    description: Optional[Text] = None
    sources: List[SourceRef] = Field(..., min_items=1)


class Reliability(str, Enum):
    """How far a source can be trusted (from the sources README)."""

    low = "low"
    medium = "medium"
    high = "high"


class Source(StrictModel):
    """One file in ``../shared/sources/``."""

    id: str = Field(..., regex=ID_PATTERN)
    file: str
    title: Text
    date: Optional[str] = Field(None, description="ISO date, year or 'YYYY-YYYY'")
    reliability: Reliability
    notes: Optional[Text] = None

    @validator("date")
    def _date_shape(cls, value: Optional[str]) -> Optional[str]:  # noqa: N805
        if value is None:
            return value
        import re

        if not re.fullmatch(r"\d{4}(-\d{2}-\d{2})?|\d{4}-\d{4}", value):
            raise ValueError("date must be YYYY, YYYY-MM-DD or YYYY-YYYY")
        return value


class Topic(StrictModel):
    """A name people use for several procedures at once ("family reunion").

    When a message names a topic, the assistant asks which of its procedures is meant,
    with one button per procedure (its ``choice_label``).
    """

    id: str = Field(..., regex=ID_PATTERN)
    title: Text
    aliases: Names
    question: Text
    procedures: List[str] = Field(..., min_items=2)


class GlossaryTerm(StrictModel):
    """A term used consistently in all three languages, with its official Slovak form."""

    id: str = Field(..., regex=ID_PATTERN)
    en: str = Field(..., min_length=1)
    uk: str = Field(..., min_length=1)
    ru: str = Field(..., min_length=1)
    sk: str = Field(..., min_length=1)
    procedures: List[str] = Field(default_factory=list, description="procedures whose title uses the term")


class Question(StrictModel):
    """A recurring specific question with its short, cited answer ("can I work on temporary protection?").

    The answer leads the reply; it states the conditions it rests on. ``variants`` are other ways
    people ask it (retrieval reads them with the question and the answer, so they are examples,
    not a closed list).
    """

    id: str = Field(..., regex=ID_PATTERN)
    procedure: Optional[str] = Field(None, description="the procedure the question is about, if one")
    procedures: List[str] = Field(default_factory=list, description="other procedures it also answers for")
    aspect: Optional[Aspect] = None
    question: Text
    variants: Names = Field(default_factory=Names)
    answer: Text
    not_in_sources: bool = Field(
        False, description="the sources do not answer the point: the answer says so, and the reply names a person"
    )
    review: List[ReviewFlag] = Field(default_factory=list)
    sources: List[SourceRef] = Field(..., min_items=1)
    last_reviewed: dt.date
    related: List[str] = Field(default_factory=list, description="procedure ids offered as next questions")


class SituationMessage(StrictModel):
    """One message as a person writes it, and the aspect it mainly asks about."""

    text: str = Field(..., min_length=1)
    aspect: Optional[Aspect] = None


#: The label of situation messages that ask about nothing the sources cover (tax, rent, pensions...).
OUT_OF_SCOPE = "out_of_scope"


class Situation(StrictModel):
    """How people write about one procedure, often without naming it: examples for the router.

    ``procedure`` may also be :data:`OUT_OF_SCOPE`: messages about everyday matters outside legal stay.

    Not facts and never shown: :mod:`pobyt.engine.router` learns from them which procedure a
    message describes ("my company in Poland sends me to Bratislava for four months").
    """

    procedure: str
    messages: Dict[str, List[SituationMessage]] = Field(default_factory=dict, description="language -> messages")

    def texts(self) -> Iterator[Tuple[str, str]]:
        """Yields ``(language, text)`` for every message."""
        for language, messages in self.messages.items():
            for message in messages:
                yield language, message.text


class KnowledgeBase(StrictModel):
    """The whole knowledge base, indexed by id."""

    procedures: Dict[str, Procedure]
    questions: Dict[str, Question] = Field(default_factory=dict)
    situations: List[Situation] = Field(default_factory=list)
    topics: Dict[str, Topic] = Field(default_factory=dict)
    glossary: Dict[str, GlossaryTerm] = Field(default_factory=dict)
    offices: Dict[str, Office]
    documents: Dict[str, DocumentType]
    sources: Dict[str, Source]
    files: Dict[str, str] = Field(default_factory=dict, description="'kind:id' -> file it was loaded from")
