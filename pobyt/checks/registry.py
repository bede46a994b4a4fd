"""The three guided checks, their questions in order, and the entry points callers use."""

from __future__ import annotations

import datetime as dt
from typing import Dict, Optional

from pobyt.checks import after_protection, family, permanent
from pobyt.checks.models import Answers, Check, Question, Result
from pobyt.kb.models import KnowledgeBase

CHECKS: Dict[str, Check] = {
    family.CHECK_ID: Check(family.CHECK_ID, family.QUESTIONS, family.decide),
    after_protection.CHECK_ID: Check(after_protection.CHECK_ID, after_protection.QUESTIONS, after_protection.decide),
    permanent.CHECK_ID: Check(permanent.CHECK_ID, permanent.QUESTIONS, permanent.decide),
}


def get_check(check_id: str) -> Check:
    """Returns a check by id.

    Raises:
        KeyError: for an unknown check id.
    """
    return CHECKS[check_id]


def question(check_id: str, question_id: str) -> Question:
    """Returns one question of a check by its id (the slot name)."""
    return next(q for q in get_check(check_id).questions if q.id == question_id)


def next_question(check_id: str, answers: Answers) -> Optional[Question]:
    """Returns the next question to ask, or ``None`` when the check can decide.

    Questions are asked in order; a question whose condition the earlier answers make false is
    skipped, and an answer to a question that is no longer needed is ignored.
    """
    for candidate in get_check(check_id).questions:
        if candidate.id in answers and answers[candidate.id] is not None:
            continue
        if candidate.asked_when(answers):
            return candidate
    return None


def relevant_answers(check_id: str, answers: Answers) -> Dict[str, object]:
    """Returns only the answers to questions that are asked given the others (drops stale ones).

    After "go back" or a changed answer, earlier answers to questions that no longer apply must
    not influence the decision.
    """
    kept: Dict[str, object] = {}
    for candidate in get_check(check_id).questions:
        if answers.get(candidate.id) is not None and candidate.asked_when(kept):
            kept[candidate.id] = answers[candidate.id]
    return kept


def decide(check_id: str, answers: Answers, today: dt.date, kb: KnowledgeBase) -> Result:
    """Decides a check from its answers.

    Args:
        check_id: ``family``, ``after_protection`` or ``permanent``.
        answers: question id -> option id or number; answers to questions not asked are ignored.
        today: the date every date is computed against.
        kb: the knowledge base.

    Returns:
        The result (render it with :func:`pobyt.checks.render.render_result`).

    Raises:
        ValueError: when :func:`next_question` still has a question to ask.
    """
    kept = relevant_answers(check_id, answers)
    pending = next_question(check_id, kept)
    if pending is not None:
        raise ValueError(f"check {check_id!r} still needs an answer to {pending.id!r}")
    return get_check(check_id).decide(kept, today, kb)
