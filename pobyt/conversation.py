"""Decisions the dialogue needs, as pure functions of the message and the conversation so far.

The Rasa actions in ``actions/`` only read the tracker, call these and send the result.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from pobyt.answers import ASPECTS, Answer, Button, aspect_payload, human_contacts, render_aspect, render_choice
from pobyt.kb.loader import get_knowledge_base
from pobyt.kb.models import Category, KnowledgeBase
from pobyt.kb.search import KnowledgeBaseSearch
from pobyt.language import choose_language
from pobyt.messages import DEFAULT_LANGUAGE, language_or_default, say

#: Two matches closer than this are equally good: the person is asked which one is meant.
AMBIGUITY_MARGIN = 0.05
#: Procedures offered as buttons in the help menu.
MENU_PROCEDURES = (
    "temporary_protection",
    "temporary_protection_transition",
    "permanent_residence",
    "citizenship_naturalization",
)


def today() -> dt.date:
    """Returns today's date, or ``$POBYT_TODAY`` (ISO date) when set, so tests can fix the date."""
    override = os.environ.get("POBYT_TODAY")
    return dt.date.fromisoformat(override) if override else dt.date.today()


_INDEXES: Dict[int, Tuple[KnowledgeBase, KnowledgeBaseSearch]] = {}


def search_index(kb: KnowledgeBase) -> KnowledgeBaseSearch:
    """Returns the search index of ``kb``, built on first use and kept for the process."""
    cached = _INDEXES.get(id(kb))
    if cached is None or cached[0] is not kb:
        cached = _INDEXES[id(kb)] = (kb, KnowledgeBaseSearch(kb))
    return cached[1]


def resolve_language(text: str, current: Optional[str]) -> str:
    """Returns the conversation's language after ``text`` (English when nothing tells)."""
    current = current if current in ("en", "uk", "ru") else None
    return language_or_default(choose_language(text, current) or DEFAULT_LANGUAGE)


def aspect_of_intent(intent: Optional[str]) -> Optional[str]:
    """Returns the aspect an intent asks about (``ask_fees`` -> ``fees``), or None."""
    if intent and intent.startswith("ask_") and intent[4:] in ASPECTS:
        return intent[4:]
    return None


@dataclass
class Reply:
    """What to say and which slots to set after it."""

    answers: List[Answer]
    slots: Dict[str, Any] = field(default_factory=dict)


def answer_question(
    text: str,
    intent: Optional[str],
    entity_procedure: Optional[str],
    slots: Dict[str, Any],
    kb: Optional[KnowledgeBase] = None,
    on: Optional[dt.date] = None,
) -> Reply:
    """Answers a question about an aspect of a procedure.

    The procedure is, in order: the one a button named (entity), the one the message names,
    or the one discussed before (follow-ups such as "and how much is it?"). When a topic or
    several equally good procedures fit, the person is asked which one with buttons.
    """
    kb = kb or get_knowledge_base()
    language = resolve_language(text, slots.get("language"))
    aspect = aspect_of_intent(intent) or slots.get("aspect") or "overview"
    new_slots: Dict[str, Any] = {"language": language, "aspect": aspect}

    procedure_id = entity_procedure if entity_procedure in kb.procedures else None
    if procedure_id is None:
        matches = search_index(kb).match(text)
        if matches:
            top = matches[0]
            if top.kind == "topic":
                topic = kb.topics[top.id]
                choice = render_choice(kb, topic.procedures, topic.question.get(language), aspect, language)
                return Reply([choice], new_slots)
            close = [m.id for m in matches if m.kind == "procedure" and top.score - m.score < AMBIGUITY_MARGIN]
            if len(close) > 1:
                return Reply([render_choice(kb, close, None, aspect, language)], new_slots)
            procedure_id = top.id
    procedure_id = procedure_id or (slots.get("procedure") if slots.get("procedure") in kb.procedures else None)
    if procedure_id is None:
        return Reply([Answer(say("which_procedure", language))], new_slots)
    new_slots["procedure"] = procedure_id
    return Reply([render_aspect(kb, procedure_id, aspect, language, on or today())], new_slots)


def menu(language: str, kb: Optional[KnowledgeBase] = None) -> Answer:
    """Returns the help menu: what the assistant can do, the topics, and a few buttons."""
    kb = kb or get_knowledge_base()
    lines = [say("help", language), *(f"• {say('category.' + c.value, language)}" for c in Category)]
    buttons = [
        Button(kb.procedures[p].title.get(language), aspect_payload("overview", p))
        for p in MENU_PROCEDURES
        if p in kb.procedures
    ]
    buttons.append(Button(say("button.human", language), "/ask_human"))
    return Answer("\n".join(lines), buttons)


def fallback(text: str, language: str, kb: Optional[KnowledgeBase] = None) -> Answer:
    """Answers a message that was not understood: best knowledge-base matches, else a human."""
    kb = kb or get_knowledge_base()
    matches = [m for m in search_index(kb).match(text) if m.kind == "procedure"][:3]
    if matches:
        buttons = [Button(kb.procedures[m.id].title.get(language), aspect_payload("overview", m.id)) for m in matches]
        return Answer(say("did_you_mean", language), buttons)
    return Answer("\n".join([say("fallback", language), say("human", language, contacts=human_contacts(kb, language))]))


def human_help(language: str, kb: Optional[KnowledgeBase] = None) -> Answer:
    """Returns the contacts of the people who can help."""
    kb = kb or get_knowledge_base()
    return Answer(say("human", language, contacts=human_contacts(kb, language)))
