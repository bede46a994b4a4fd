"""What the console shows, as JSON-ready dicts: pure functions of the knowledge base and the parse.

Every text is returned as plain text; the pages put it into the DOM with ``textContent``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from pobyt.answers import ASPECTS, Answer, render_aspect, render_office
from pobyt.checks import (
    CHECKS,
    AnswerKind,
    decide,
    next_question,
    parse_answer,
    question_options,
    question_text,
    relevant_answers,
    render_result,
)
from pobyt.checks.text import say as check_say
from pobyt.conversation import answer_question, conversation_language, fallback
from pobyt.kb.models import LANGUAGES, Category, KnowledgeBase
from pobyt.kb.search import normalise
from pobyt.language import detect_language
from pobyt.messages import format_date, say
from pobyt.recognition import search_index
from pobyt.staff.unanswered import FALLBACK_INTENTS

#: The staff member's language: the second column of every side-by-side view.
STAFF_LANGUAGE = "en"
#: The console's own (English) names of the aspects of a procedure.
ASPECT_LABELS = {
    "overview": "Overview",
    "eligibility": "Who can apply",
    "documents": "Documents",
    "fees": "Fees",
    "where": "Where to apply",
    "steps": "Steps",
    "processing_time": "Processing time",
    "deadlines": "Deadlines",
    "contacts": "Contacts",
}
MAX_TEXT = 2_000
MAX_MONTHS = 1_200


def client_language(value: Any, default: str = "uk") -> str:
    """Returns ``value`` when it is en, uk or ru, else ``default``."""
    return value if value in LANGUAGES else default


def _titles(kb: KnowledgeBase, kind: str, item_id: str) -> Dict[str, str]:
    if kind == "procedure" and item_id in kb.procedures:
        text = kb.procedures[item_id].title
    elif kind == "office" and item_id in kb.offices:
        text = kb.offices[item_id].name
    elif kind == "topic" and item_id in kb.topics:
        text = kb.topics[item_id].title
    else:
        return {language: item_id for language in LANGUAGES}
    return {language: text.get(language) for language in LANGUAGES}


def _sources(kb: KnowledgeBase, source_ids: Sequence[str], language: str) -> List[Dict[str, Any]]:
    found = []
    for source_id in dict.fromkeys(source_ids):
        source = kb.sources.get(source_id)
        if source is not None:
            found.append({"id": source_id, "title": source.title.get(language), "date": source.date})
    return found


def _draft(kb: KnowledgeBase, answers: Sequence[Answer], language: str) -> Dict[str, Any]:
    """One column of the analysis: the reply's text, its buttons, sources and dates."""
    data: Dict[str, Any] = {}
    for answer in answers:
        data.update({k: v for k, v in answer.data.items() if v})
    procedure = kb.procedures.get(data.get("procedure") or "")
    source_ids = list(data.get("sources") or [])
    checked = False
    if procedure is not None and not source_ids:
        # "The sources say nothing about this": show which sources were checked.
        source_ids, checked = [ref.source for ref in procedure.sources], True
    elif data.get("office") in kb.offices and not source_ids:
        source_ids = [ref.source for ref in kb.offices[data["office"]].sources]
    reviewed = procedure.last_reviewed if procedure is not None else None
    return {
        "language": language,
        "text": "\n\n".join(answer.text for answer in answers),
        "buttons": [button.title for answer in answers for button in answer.buttons],
        "disclaimer": say("disclaimer", language),
        "procedure": procedure.id if procedure is not None else None,
        "office": data.get("office"),
        "choices": list(data.get("choices") or []),
        "aspect": data.get("aspect"),
        "sources": _sources(kb, source_ids, language),
        "sources_checked_only": checked,
        "last_reviewed": reviewed.isoformat() if reviewed else None,
        "last_reviewed_text": format_date(reviewed, language) if reviewed else None,
    }


def reply_in(
    kb: KnowledgeBase,
    text: str,
    intent: Optional[str],
    entities: Sequence[Mapping[str, Any]],
    language: str,
    today: dt.date,
) -> List[Answer]:
    """The reply the assistant would give to ``text`` as the first message of a conversation in ``language``.

    The disclaimer (sent once per conversation) is left out: the console shows it apart.
    """
    if intent in FALLBACK_INTENTS and not entities:
        return [fallback(text, language, kb)]
    slots = {"language": language, "language_locked": True, "disclaimer_shown": True}
    return answer_question(text, intent, entities, slots, kb, today).answers


def analyse(
    kb: KnowledgeBase, text: str, parse: Mapping[str, Any], today: dt.date, language: Optional[str] = None
) -> Dict[str, Any]:
    """Analyses a client's message: language, intent, recognised entities and both drafts.

    Args:
        kb: the knowledge base.
        text: the client's message.
        parse: the NLU result (``agent.parse_message``): intent, intent_ranking, entities.
        today: the date date-bound facts are computed against.
        language: the client's language when staff override the detection.
    """
    detected = detect_language(text)
    client = client_language(language, default="") or conversation_language(text, {})
    intent = parse.get("intent") or {}
    entities = [e for e in parse.get("entities") or [] if e.get("entity") in ("procedure", "office", "topic")]
    answers = {lang: reply_in(kb, text, intent.get("name"), entities, lang, today) for lang in (client, STAFF_LANGUAGE)}
    client_draft = _draft(kb, answers[client], client)
    staff_draft = _draft(kb, answers[STAFF_LANGUAGE], STAFF_LANGUAGE)
    kb_ids = [e["value"] for e in entities] + [x for x in (client_draft["procedure"], client_draft["office"]) if x]
    kb_ids += client_draft["choices"] + [s["id"] for s in client_draft["sources"]]
    return {
        "text": text,
        "detected_language": detected,
        "language": client,
        "intent": {"name": intent.get("name"), "confidence": intent.get("confidence")},
        "ranking": [
            {"name": r.get("name"), "confidence": r.get("confidence")} for r in (parse.get("intent_ranking") or [])[:3]
        ],
        "entities": [
            {
                "kind": e["entity"],
                "id": e.get("value"),
                "score": e.get("confidence"),
                "matched": e.get("matched_name"),
                "title": _titles(kb, e["entity"], str(e.get("value")))[STAFF_LANGUAGE],
            }
            for e in entities
        ],
        "drafts": {"client": client_draft, "staff": staff_draft},
        "kb_ids": list(dict.fromkeys(kb_ids)),
    }


def procedure_list(kb: KnowledgeBase) -> List[Dict[str, Any]]:
    """All procedures, by category then English title, with their titles in the three languages."""
    order = {category: i for i, category in enumerate(Category)}
    procedures = sorted(kb.procedures.values(), key=lambda p: (order[p.category], p.title.get(STAFF_LANGUAGE)))
    return [  # fmt: skip
        {
            "id": p.id,
            "category": say(f"category.{p.category.value}", STAFF_LANGUAGE),
            "title": _titles(kb, "procedure", p.id),
        }
        for p in procedures
    ]


def search(kb: KnowledgeBase, query: str, limit: int = 12) -> List[Dict[str, Any]]:
    """Searches procedures, offices and topics by name in any language (the assistant's own matcher).

    Procedures whose title or summary contains the query's words follow the name matches.
    """
    query = query.strip()[:MAX_TEXT]
    if not query:
        return []
    found = [
        {"kind": m.kind, "id": m.id, "score": m.score, "matched": m.name, "title": _titles(kb, m.kind, m.id)}
        for m in search_index(kb).match(query, limit=limit)
    ]
    seen = {(f["kind"], f["id"]) for f in found}
    words = normalise(query).split()
    for proc in kb.procedures.values():
        if len(found) >= limit or ("procedure", proc.id) in seen:
            continue
        haystack = normalise(" ".join(proc.title.get(x) + " " + proc.summary.get(x) for x in LANGUAGES))
        if words and all(word in haystack for word in words):
            found.append({"kind": "procedure", "id": proc.id, "score": None, "matched": None,
                          "title": _titles(kb, "procedure", proc.id)})  # fmt: skip
    return found


def _aspects(kb: KnowledgeBase, procedure_id: str, language: str, today: dt.date) -> List[Dict[str, str]]:
    sections = []
    for aspect in ASPECTS:
        answer = render_aspect(kb, procedure_id, aspect, language, today)
        # The first line repeats the procedure's title, shown once above the columns.
        sections.append({"aspect": aspect, "label": ASPECT_LABELS.get(aspect, aspect),
                         "text": answer.text.split("\n", 1)[-1]})  # fmt: skip
    return sections


def procedure_view(kb: KnowledgeBase, procedure_id: str, language: str, today: dt.date) -> Dict[str, Any]:
    """A procedure in full, every aspect in the client's language and in English.

    Raises:
        KeyError: for an unknown procedure.
    """
    proc = kb.procedures[procedure_id]
    columns = [language] + ([STAFF_LANGUAGE] if language != STAFF_LANGUAGE else [])
    return {
        "id": proc.id,
        "official_name": proc.official_name,
        "title": _titles(kb, "procedure", proc.id),
        "last_reviewed": proc.last_reviewed.isoformat(),
        "sources": _sources(kb, [ref.source for ref in proc.sources], STAFF_LANGUAGE),
        "columns": [{"language": lang, "sections": _aspects(kb, proc.id, lang, today)} for lang in columns],
    }


def office_list(kb: KnowledgeBase, language: str) -> List[Dict[str, Any]]:
    """Every office with branches, hours and phones, in the client's language and in English."""
    offices = []
    columns = list(dict.fromkeys([language, STAFF_LANGUAGE]))
    for office in sorted(kb.offices.values(), key=lambda o: o.name.get(STAFF_LANGUAGE)):
        offices.append(
            {
                "id": office.id,
                "name": _titles(kb, "office", office.id),
                "official_name": office.official_name,
                "phones": office.phones,
                "emails": office.emails,
                "websites": office.websites,
                "locations": [
                    {
                        "city": loc.city,
                        "address": loc.address,
                        "phones": loc.phones,
                        "emails": loc.emails,
                        "hours": {lang: loc.hours.get(lang) for lang in LANGUAGES} if loc.hours else None,
                    }
                    for loc in office.locations
                ],  # fmt: skip
                "text": {lang: render_office(kb, office.id, lang).text for lang in columns},
            }
        )
    return offices


def check_list(language: str) -> List[Dict[str, Any]]:
    """The guided checks with their titles in the three languages (``language`` is accepted for symmetry)."""
    return [
        {"id": check_id, "title": {lang: check_say(f"check.title.{check_id}", lang) for lang in LANGUAGES}}
        for check_id in CHECKS
    ]


def _clean_answers(check_id: str, raw: Any) -> Dict[str, Union[str, int]]:
    """Keeps only well-formed answers to the check's own questions (the browser is not trusted)."""
    answers: Dict[str, Union[str, int]] = {}
    if not isinstance(raw, dict):
        return answers
    for q in CHECKS[check_id].questions:
        value = raw.get(q.id)
        is_choice = q.kind == AnswerKind.choice and isinstance(value, str) and value in q.options
        is_number = q.kind != AnswerKind.choice and type(value) is int and 0 <= value <= MAX_MONTHS
        if is_choice or is_number:
            answers[q.id] = value
    return answers


def check_step(
    kb: KnowledgeBase, check_id: str, raw_answers: Any, typed: Optional[str], language: str, today: dt.date
) -> Dict[str, Any]:
    """Advances a guided check: the next question (both languages) or the result (both languages).

    Args:
        kb: the knowledge base.
        check_id: the check.
        raw_answers: the answers so far, as sent by the console (question id -> option id or number).
        typed: what staff typed for the pending question (a number of months or years), if anything.
        language: the client's language.
        today: the date the result is computed against.

    Raises:
        KeyError: for an unknown check.
    """
    answers = _clean_answers(check_id, raw_answers)
    error = None
    pending = next_question(check_id, relevant_answers(check_id, answers))
    if pending is not None and typed is not None:
        value = parse_answer(pending, typed[:100], language)
        if value is None:
            error = "Not understood: type a number (of months or years, as the question asks) or pick an option."
        else:
            answers[pending.id] = value
            pending = next_question(check_id, relevant_answers(check_id, answers))
    answers = relevant_answers(check_id, answers)
    columns = list(dict.fromkeys([language, STAFF_LANGUAGE]))
    if pending is not None:
        return {
            "check": check_id,
            "answers": answers,
            "error": error,
            "question": {
                "id": pending.id,
                "kind": pending.kind.value,
                "text": {lang: question_text(pending.id, lang) for lang in columns},
                "options": [
                    {
                        "id": option,
                        "label": {
                            lang: dict(question_options(pending.id, pending.options, lang))[option] for lang in columns
                        },
                    }
                    for option in pending.options
                ],  # fmt: skip
            },
        }
    result = decide(check_id, answers, today, kb)
    return {
        "check": check_id,
        "answers": answers,
        "error": None,
        "result": {"data": result.data(), "text": {lang: render_result(result, lang) for lang in columns}},
    }
