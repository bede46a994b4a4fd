"""Answers built from the knowledge base: one aspect of one procedure, in one language.

Pure functions: they take the knowledge base, ids, a language and today's date, and return text
and buttons. Channels decide how to show them (and escape them).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from pobyt.kb.models import (
    Aspect,
    DocumentRequirement,
    Fee,
    KnowledgeBase,
    Office,
    Procedure,
    ReviewFlag,
    ReviewReason,
    SourceRef,
)
from pobyt.messages import format_date, plural, say

#: What a person can ask about a procedure; each has an intent ``ask_<aspect>``.
ASPECTS = tuple(aspect.value for aspect in Aspect)
#: Offices whose contacts are given whenever a person should talk to a human: the IOM MIC
#: helpline first, then the legal-aid NGOs.
HUMAN_HELP_OFFICES = ("iom_mic", "human_rights_league", "marginal")
#: Cities with branches, and the stems by which a message names them (Latin and Cyrillic).
CITIES = {"Bratislava": ("bratislav", "братислав"), "Košice": ("kosic", "košic", "кошиц")}
BULLET = "• "
MAX_RELATED_BUTTONS = 3
#: The guided check (actions/checks.py) that tells which of these procedures applies to the person:
#: their overview and "who can apply" answers offer it as a button.
CHECK_OF_PROCEDURE = {
    "temporary_residence_family_reunion": "family",
    "permanent_residence_5_years": "family",
    "temporary_protection": "after_protection",
    "temporary_protection_transition": "after_protection",
    "permanent_residence": "permanent",
    "permanent_residence_unlimited": "permanent",
    "long_term_residence": "permanent",
    "citizenship_naturalization": "permanent",
}


@dataclass(frozen=True)
class Button:
    """A button: the text shown and the payload sent back when pressed."""

    title: str
    payload: str


@dataclass
class Answer:
    """A reply: text, optional buttons, and what it was built from.

    ``data`` is the machine-readable part sent with the message (channels and the staff console
    use it): the knowledge-base ids (``procedure``, ``office``), the ``aspect``, the ``sources``
    ids and the ``language``.
    """

    text: str
    buttons: List[Button] = field(default_factory=list)
    data: Dict[str, Any] = field(default_factory=dict)


def aspect_payload(aspect: str, procedure_id: str) -> str:
    """Returns the payload that asks ``aspect`` of ``procedure_id`` (a Rasa intent with an entity)."""
    return f"/ask_{aspect}{json.dumps({'procedure': procedure_id})}"


def overview_button(kb: KnowledgeBase, procedure_id: str, language: str) -> Button:
    """Returns the button that asks for a procedure's overview, titled with its name."""
    return Button(kb.procedures[procedure_id].title.get(language), aspect_payload("overview", procedure_id))


def human_button(language: str) -> Button:
    """Returns the "talk to a person" button."""
    return Button(say("button.human", language), "/ask_human")


def _join_or(items: Sequence[str], language: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {say('word.or', language)} {items[-1]}"


def office_contact(office: Office, language: str) -> str:
    """Returns an office's name with its first phone and e-mail: "IOM MIC (0850 211 478, mic@iom.int)"."""
    details = [*office.phones[:1], *office.emails[:1]]
    name = office.name.get(language)
    return f"{name} ({', '.join(details)})" if details else name


def named_city(text: str) -> Optional[str]:
    """Returns "Bratislava" or "Košice" when ``text`` names the city (any case, inflected)."""
    lowered = text.lower()
    return next((city for city, stems in CITIES.items() if any(stem in lowered for stem in stems)), None)


def human_contacts(kb: KnowledgeBase, language: str, text: str = "") -> str:
    """Returns the contacts of the people who can help (the IOM MIC helpline first).

    When ``text`` names Bratislava or Košice, each organisation's branch there is added.
    """
    city = named_city(text)
    contacts = []
    for office in (kb.offices[o] for o in HUMAN_HELP_OFFICES if o in kb.offices):
        contact = office_contact(office, language)
        branch = next((loc for loc in office.locations if city and loc.city == city), None)
        if branch is not None:
            contact += f", {branch.address or branch.city}"
        contacts.append(contact)
    return "; ".join(contacts)


def human_line(kb: KnowledgeBase, language: str, text: str = "") -> str:
    """Returns the "A person can help you: ..." line (with the branches in a city ``text`` names)."""
    return say("human", language, contacts=human_contacts(kb, language, text))


def after_title(text: str, lines: Sequence[str]) -> str:
    """Returns an answer's ``text`` with ``lines`` right after its first line (the procedure's title)."""
    head, *rest = text.split("\n")
    return "\n".join([head, *lines, *rest])


def review_lines(flags: Iterable[ReviewFlag], kb: KnowledgeBase, language: str) -> List[str]:
    """Returns one warning line per review flag (fact likely changed, or sources disagree), each once."""
    lines: List[str] = []
    for flag in flags:
        contacts = _join_or(
            [office_contact(kb.offices[o], language) for o in flag.confirm_with if o in kb.offices], language
        )
        key = "review.disagree" if flag.reason == ReviewReason.sources_disagree else "review.warning"
        line = say(key, language, note=flag.note.get(language), contacts=contacts)
        if line not in lines:
            lines.append(line)
    return lines


def source_line(kb: KnowledgeBase, refs: Sequence[SourceRef], language: str, reviewed: Optional[dt.date]) -> str:
    """Returns the "Source: ... (as of ...). Checked on ..." line for ``refs``."""
    parts = []
    for ref in refs:
        source = kb.sources.get(ref.source)
        if source is None or any(source.title.get(language) in p for p in parts):
            continue
        title = source.title.get(language)
        if source.date is None:
            parts.append(say("source.undated", language, title=title))
        else:
            date = source.date
            if len(date) == 10:
                date = format_date(dt.date.fromisoformat(date), language)
            parts.append(say("source.as_of", language, title=title, date=date))
    if reviewed is None:
        return say("source.only", language, sources="; ".join(parts))
    return say("source.line", language, sources="; ".join(parts), reviewed=format_date(reviewed, language))


def _document_line(kb: KnowledgeBase, req: DocumentRequirement, language: str) -> str:
    doc = kb.documents[req.document]
    name = doc.name.get(language)
    if req.count:
        name = f"{say('document.count', language, count=req.count)} {name}"
    rules = []
    if req.details:
        rules.append(req.details.get(language).rstrip("."))
    if req.max_age_days:
        rules.append(say("document.max_age", language, days=plural("days", req.max_age_days, language)))
    if req.legalisation:
        rules.append(say(f"document.legalisation.{req.legalisation.value}", language))
    if req.official_translation:
        rules.append(say("document.translation", language))
    rules += [e.get(language).rstrip(".") for e in req.exemptions]
    if req.optional:
        rules.append(say("document.optional", language))
    return BULLET + name + (f": {'; '.join(rules)}" if rules else "")


def format_amount(amount: float, language: str) -> str:
    """Returns an amount of euros as people write it: "700", "132.50" in English, "132,50" in uk/ru."""
    text = f"{amount:.0f}" if float(amount).is_integer() else f"{amount:.2f}"
    return text if language == "en" else text.replace(".", ",")


def fee_line(fee: Fee, language: str) -> str:
    """Returns one fee as "EUR 132.50: purpose" / "132,50 євро: призначення"."""
    return say("fee.line", language, amount=format_amount(fee.amount_eur, language), purpose=fee.purpose.get(language))


def validity_lines(proc: Procedure, language: str, today: dt.date) -> List[str]:
    """Returns the date-bound facts of a procedure, computed against ``today``."""
    lines: List[str] = []
    validity = proc.validity
    if validity is None:
        return lines
    if validity.valid_from:
        date = format_date(validity.valid_from, language)
        delta = (validity.valid_from - today).days
        if delta > 0:
            lines.append(say("validity.from_future", language, date=date, days=plural("days", delta, language)))
        else:
            lines.append(say("validity.from_past", language, date=date))
    if validity.valid_until:
        date = format_date(validity.valid_until, language)
        delta = (validity.valid_until - today).days
        if delta > 0:
            lines.append(say("validity.until_future", language, date=date, days=plural("days", delta, language)))
        elif delta == 0:
            lines.append(say("validity.until_today", language, date=date))
        else:
            lines.append(say("validity.until_past", language, date=date))
        if validity.extension_years:
            until = validity.valid_until
            extended = until.replace(year=until.year + validity.extension_years)
            eve = format_date(until - dt.timedelta(days=1), language)
            years = plural("years_more", validity.extension_years, language)
            lines.append(say("validity.extended", language, eve=eve, years=years, date=format_date(extended, language)))
    if validity.note:
        lines.append(validity.note.get(language))
    return lines


def _bullets(texts: Iterable[str]) -> List[str]:
    return [BULLET + t for t in texts]


def _aspect_body(kb: KnowledgeBase, proc: Procedure, aspect: str, language: str, today: dt.date) -> List[str]:
    """Returns the lines answering ``aspect``; an empty list means the sources say nothing."""
    lang = language
    if aspect == "overview":
        return [proc.summary.get(lang), *validity_lines(proc, lang, today)]
    if aspect == "documents":
        if not proc.documents:
            return []
        lines = [say("heading.documents", lang), *(_document_line(kb, d, lang) for d in proc.documents)]
        return lines + ([proc.documents_note.get(lang)] if proc.documents_note else [])
    if aspect == "fees":
        lines = []
        for fee in proc.fees:
            lines.append(BULLET + fee_line(fee, lang))
            lines += [f"  {e.get(lang)}" for e in fee.exemptions]
        return [say("heading.fees", lang), *lines] if lines else []
    if aspect in ("where", "contacts"):
        offices = [kb.offices[o] for o in proc.where_to_apply if o in kb.offices]
        if aspect == "contacts":
            offices += [kb.offices[o] for o in HUMAN_HELP_OFFICES if o in kb.offices and kb.offices[o] not in offices]
        if not offices:
            return []
        heading = say(f"heading.{aspect}", lang)
        lines = [heading, *_bullets(_office_summary(o, lang) for o in offices)]
        return lines + ([proc.where_note.get(lang)] if proc.where_note and aspect == "where" else [])
    if aspect == "steps":
        if not proc.steps:
            return []
        # Steps hold only under the procedure's conditions ("nothing to apply for" is true only for a
        # child with a Slovak parent): say them first, so nobody acts on steps that do not apply.
        conditions = [say("heading.applies_if", lang), *_bullets(c.get(lang) for c in proc.conditions)]
        steps = [say("heading.steps", lang), *(f"{i}. {s.get(lang)}" for i, s in enumerate(proc.steps, 1))]
        # "What must I do" includes by when: the deadlines follow the steps.
        deadlines = [say("heading.deadlines", lang), *_bullets(d.text.get(lang) for d in proc.deadlines)]
        return (conditions if proc.conditions else []) + steps + (deadlines if proc.deadlines else [])
    if aspect == "eligibility":
        return (
            [say("heading.eligibility", lang), *_bullets(c.get(lang) for c in proc.conditions)]
            if proc.conditions
            else []
        )
    if aspect == "processing_time":
        return [say("heading.processing_time", lang), proc.processing_time.get(lang)] if proc.processing_time else []
    if aspect == "deadlines":
        lines = [proc.when_to_apply.get(lang)] if proc.when_to_apply else []
        lines += _bullets(d.text.get(lang) for d in proc.deadlines)
        lines += validity_lines(proc, lang, today)
        if proc.after_grant:
            lines += [say("heading.after_grant", lang), *_bullets(a.get(lang) for a in proc.after_grant)]
        return [say("heading.deadlines", lang), *lines] if lines else []
    raise ValueError(f"unknown aspect {aspect!r}")


def city_branches(kb: KnowledgeBase, office_ids: Sequence[str], city: str, language: str) -> List[str]:
    """Returns the lines naming each office's branch in ``city`` (address, hours, phones), if any."""
    lines = []
    for office in (kb.offices[o] for o in office_ids if o in kb.offices):
        for location in office.locations:
            if location.city == city:
                details = ", ".join(x for x in (location.address, *location.phones, *location.emails) if x)
                hours = f" ({location.hours.get(language)})" if location.hours else ""
                lines.append(f"{BULLET}{office.name.get(language)}, {city}: {details}{hours}")
    return lines


def _office_summary(office: Office, language: str) -> str:
    parts = [office.name.get(language)]
    for location in office.locations[:2]:
        where = ", ".join(x for x in (location.address or location.city, *location.phones[:1]) if x)
        parts.append(where)
    parts += office.phones[:1] + office.websites[:1]
    return " — ".join([parts[0], "; ".join(parts[1:])]) if len(parts) > 1 else parts[0]


def _aspect_flags(kb: KnowledgeBase, proc: Procedure, aspect: str) -> List[ReviewFlag]:
    flags = [flag for flag in proc.review if not flag.aspects or aspect in flag.aspects]
    if aspect == "fees":
        flags = [f.review for f in proc.fees if f.review] + flags
    if aspect in ("where", "contacts"):
        for office_id in proc.where_to_apply:
            office = kb.offices.get(office_id)
            if office:
                flags += office.review + [loc.review for loc in office.locations if loc.review]
    return flags


def render_aspect(kb: KnowledgeBase, procedure_id: str, aspect: str, language: str, today: dt.date) -> Answer:
    """Answers one aspect of one procedure: title, the facts, review warnings, sources.

    Args:
        kb: the knowledge base.
        procedure_id: id of the procedure.
        aspect: one of :data:`ASPECTS`.
        language: ``en``, ``uk`` or ``ru``.
        today: the date date-bound facts are computed against.

    Returns:
        The answer; when the sources say nothing about the aspect, an honest "no information"
        with the human contacts.
    """
    proc = kb.procedures[procedure_id]
    title = proc.title.get(language)
    header = f"{title} ({proc.official_name})" if proc.official_name else title
    body, source_proc = aspect_body_inherited(kb, proc, aspect, language, today)
    data = {"procedure": proc.id, "aspect": aspect, "language": language, "sources": []}
    if not body:
        text = "\n".join(
            [
                header,
                say("no_information", language, title=title),
                human_line(kb, language),
            ]
        )
        return Answer(text, data={**data, "offices": list(HUMAN_HELP_OFFICES)})
    lines = [
        header,
        *body,
        *review_lines(_aspect_flags(kb, source_proc, aspect), kb, language),
        source_line(kb, source_proc.sources, language, source_proc.last_reviewed),
    ]
    offices = proc.where_to_apply if aspect in ("where", "contacts") else []
    # An overview offers the related procedures (after temporary protection: the transition).
    buttons = [
        overview_button(kb, other, language)
        for other in proc.related[:MAX_RELATED_BUTTONS]
        if aspect == "overview" and other in kb.procedures
    ]
    if aspect in ("overview", "eligibility") and proc.id in CHECK_OF_PROCEDURE:
        buttons.append(Button(say("button.check", language), f"/check_{CHECK_OF_PROCEDURE[proc.id]}"))
    if source_proc is not proc:
        data["inherited_from"] = source_proc.id
    return Answer(
        "\n".join(lines), buttons, data={**data, "sources": _source_ids(source_proc.sources), "offices": list(offices)}
    )


#: Aspects a general procedure without its own answer gives per kind ("fees of temporary residence":
#: EUR 132.50 for family reunion, EUR 165.50 for the Blue Card...): short, and what the person wants.
BY_KIND_ASPECTS = ("fees", "processing_time")


def _kinds_bodies(kb: KnowledgeBase, proc: Procedure, aspect: str, language: str, today: dt.date) -> List[str]:
    """Returns, for each kind of ``proc`` (``part_of``) that answers ``aspect``, its title and answer."""
    lines: List[str] = []
    flags: List[ReviewFlag] = []
    for kind in (p for p in kb.procedures.values() if p.part_of == proc.id):
        body = _aspect_body(kb, kind, aspect, language, today)
        if body:
            # The kind's title replaces the aspect's heading ("Fees:"), which the reply already has.
            lines.append(f"{kind.title.get(language)}:")
            lines += [f"  {line}" for line in body[1:] or body]
            flags += _aspect_flags(kb, kind, aspect)
    # Each kind's warnings (a fee likely changed since the source) once, after the amounts.
    return lines + review_lines(flags, kb, language) if lines else []


def aspect_body_inherited(
    kb: KnowledgeBase, proc: Procedure, aspect: str, language: str, today: dt.date
) -> Tuple[List[str], Procedure]:
    """Returns the lines answering ``aspect`` and the procedure they come from.

    A kind of a general procedure (``part_of``) that says nothing about the aspect inherits the
    general procedure's answer, labelled as the general rule ("For temporary residence in
    general:"), so "how long does family reunion take" gets the 30 to 90 days of temporary residence.
    """
    body = _aspect_body(kb, proc, aspect, language, today)
    parent = kb.procedures.get(proc.part_of or "")
    if not body and aspect in BY_KIND_ASPECTS:
        by_kind = _kinds_bodies(kb, proc, aspect, language, today)
        if by_kind:
            return [say("depends_on_kind", language), *by_kind], proc
    if body or parent is None or aspect == "overview":
        return body, proc
    inherited = _aspect_body(kb, parent, aspect, language, today)
    if not inherited:
        return body, proc
    return [say("general_rule", language, title=parent.title.get(language)), *inherited], parent


def _source_ids(refs: Sequence[SourceRef]) -> List[str]:
    return list(dict.fromkeys(ref.source for ref in refs))


def render_office(kb: KnowledgeBase, office_id: str, language: str) -> Answer:
    """Answers a question about an office: what it does, branches, hours, phones, e-mail, web."""
    office = kb.offices[office_id]
    name = office.name.get(language)
    lines = [f"{name} ({office.official_name})" if office.official_name else name, office.description.get(language)]
    for location in office.locations:
        lines.append(BULLET + ", ".join(x for x in (location.city if location.city not in location.address else "",
                                                    location.address) if x))  # fmt: skip
        if location.hours:
            lines.append(f"  {location.hours.get(language)}")
        if location.phones or location.emails:
            lines.append(f"  {', '.join(location.phones + location.emails)}")
    contacts = office.phones + office.emails + office.websites
    if contacts:
        lines.append(", ".join(contacts))
    flags = office.review + [loc.review for loc in office.locations if loc.review]
    lines += review_lines(flags, kb, language)
    lines.append(source_line(kb, office.sources, language, None))
    data = {"office": office.id, "aspect": "contacts", "language": language, "sources": _source_ids(office.sources)}
    return Answer("\n".join(lines), data=data)


def render_choice(
    kb: KnowledgeBase, procedure_ids: Sequence[str], question: Optional[str], aspect: str, language: str
) -> Answer:
    """Asks which of several procedures is meant, with one button per procedure."""
    buttons = []
    for proc_id in procedure_ids:
        proc = kb.procedures[proc_id]
        label = proc.choice_label or proc.title
        buttons.append(Button(label.get(language), aspect_payload(aspect, proc_id)))
    data = {"choices": list(procedure_ids), "aspect": aspect, "language": language}
    return Answer(question or say("did_you_mean", language), buttons, data)
