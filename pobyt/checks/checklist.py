"""The personal checklist, built from the knowledge base for the procedure a check arrived at."""

from __future__ import annotations

import datetime as dt
from typing import Dict, List, Mapping, Optional, Sequence

from pobyt.answers import format_amount
from pobyt.checks.models import Checklist, ChecklistItem, Count, Fact, Outcome, Phrase, Renderable, Result
from pobyt.kb.models import DocumentRequirement, KnowledgeBase, Procedure, ReviewFlag, ReviewReason

#: Office contacts named in review warnings: the first phone and e-mail are enough there.
MAX_CONTACT_DETAILS = 2


def document_rules(req: DocumentRequirement) -> List[Renderable]:
    """Returns a document's rules: details, age limit, verification, translation, exemptions."""
    rules: List[Renderable] = []
    if req.details:
        rules.append(req.details)
    if req.max_age_days:
        rules.append(Phrase.of("document.max_age", days=Count("days", req.max_age_days)))
    if req.legalisation:
        rules.append(Phrase.of(f"document.legalisation.{req.legalisation.value}"))
    if req.official_translation:
        rules.append(Phrase.of("document.translation"))
    rules += list(req.exemptions)
    if req.optional:
        rules.append(Phrase.of("document.optional"))
    return rules


def _document_name(kb: KnowledgeBase, req: DocumentRequirement) -> Renderable:
    name = kb.documents[req.document].name
    return Phrase.of("checklist.document_count", count=req.count, name=name) if req.count else name


def _office_item(kb: KnowledgeBase, office_id: str) -> ChecklistItem:
    office = kb.offices[office_id]
    details = [office.official_name] if office.official_name else []
    details += [x for loc in office.locations[:2] for x in (loc.address or loc.city, *loc.phones[:1]) if x]
    details += office.phones[:1] + office.websites[:1]
    return ChecklistItem(office.name, ["; ".join(details)] if details else [])


def _warning(kb: KnowledgeBase, flag: ReviewFlag) -> Phrase:
    contacts = []
    for office_id in flag.confirm_with:
        office = kb.offices.get(office_id)
        if office is not None:
            details = [*office.phones[:1], *office.emails[:1]][:MAX_CONTACT_DETAILS]
            contacts.append(
                Phrase.of("checklist.contact", name=office.name, details=", ".join(details)) if details else office.name
            )
    key = "review.disagree" if flag.reason == ReviewReason.sources_disagree else "review.warning"
    return Phrase.of(key, note=flag.note, contacts=tuple(contacts))


def build_checklist(
    kb: KnowledgeBase,
    procedure_id: str,
    *,
    documents: Optional[Sequence[str]] = None,
    extra_rules: Optional[Mapping[str, Sequence[Renderable]]] = None,
    fee_rules: Optional[Mapping[int, Sequence[Renderable]]] = None,
    where: Optional[Sequence[str]] = None,
    where_rules: Optional[Sequence[Renderable]] = None,
    when: Sequence[Renderable] = (),
    kb_deadlines: bool = True,
) -> Checklist:
    """Builds the checklist for one procedure from the knowledge base.

    Args:
        kb: the knowledge base.
        procedure_id: the procedure the check arrived at.
        documents: the document ids that apply to the person (``None``: all of the procedure's).
        extra_rules: rules the answers add to a document (document id -> rules).
        fee_rules: rules the answers add to a fee (index in the procedure's fees -> rules), e.g. an
            exemption that applies to the person.
        where: the office ids that apply to the person (``None``: all where one can apply).
        where_rules: sentences about where to apply that follow from the answers.
        when: dated sentences about when to apply, computed by the check against today's date.
        kb_deadlines: whether to add the procedure's deadlines from the knowledge base (off when the
            check computes them itself, or when they repeat the duties after the grant).

    Returns:
        The checklist: documents, fees, offices, when, processing time, duties after the grant and
        the review warnings that apply to these facts.
    """
    proc: Procedure = kb.procedures[procedure_id]
    extra = extra_rules or {}
    chosen = [req for req in proc.documents if documents is None or req.document in documents]
    checklist = Checklist(
        documents=[
            ChecklistItem(_document_name(kb, r), [*document_rules(r), *extra.get(r.document, ())]) for r in chosen
        ],
        documents_note=proc.documents_note,
    )
    for index, fee in enumerate(proc.fees):
        rules: List[Renderable] = [*fee.exemptions, *(fee_rules or {}).get(index, ())]
        line = Phrase.of("fee.line", amount=format_amount(fee.amount_eur, "en"), purpose=fee.purpose)
        checklist.fees.append(ChecklistItem(line, rules))
    if not proc.fees:
        checklist.fees.append(ChecklistItem(Phrase.of("checklist.no_fee")))
    offices = [o for o in (where if where is not None else proc.where_to_apply) if o in kb.offices]
    checklist.where = [_office_item(kb, o) for o in offices]
    if where_rules:
        checklist.where[:0] = [ChecklistItem(rule) for rule in where_rules]
    elif proc.where_note:
        checklist.where.append(ChecklistItem(proc.where_note))
    checklist.when = [*when, *([proc.when_to_apply] if proc.when_to_apply else [])]
    if kb_deadlines:
        checklist.when += [d.text for d in proc.deadlines]
    checklist.processing_time = proc.processing_time
    checklist.after_grant = list(proc.after_grant)
    flags = [f.review for f in proc.fees if f.review] + list(proc.review)
    warnings: Dict[str, Phrase] = {}
    for flag in flags:
        warnings.setdefault(flag.note.en, _warning(kb, flag))
    checklist.warnings = list(warnings.values())
    return checklist


def new_result(
    kb: KnowledgeBase, check_id: str, outcome: Outcome, procedure_id: Optional[str], today: dt.date
) -> Result:
    """Starts a result about ``procedure_id``: its title and the sources it cites."""
    result = Result(check=check_id, outcome=outcome, procedure=procedure_id, today=today)
    if procedure_id is not None:
        proc = kb.procedures[procedure_id]
        result.title, result.official_name = proc.title, proc.official_name
        cite(kb, result, *(ref.source for ref in proc.sources))
    return result


def cite(kb: KnowledgeBase, result: Result, *source_ids: str) -> None:
    """Adds sources to the result's "Sources:" line (in the order first cited)."""
    for source_id in source_ids:
        if source_id in kb.sources:
            result.sources.setdefault(source_id, kb.sources[source_id].title)


def add_fact(kb: KnowledgeBase, result: Result, text: Renderable, *source_ids: str) -> None:
    """Adds a fact the decision rests on, citing its sources."""
    result.facts.append(Fact(text, tuple(source_ids)))
    cite(kb, result, *source_ids)
