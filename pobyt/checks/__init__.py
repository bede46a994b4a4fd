"""Guided checks: "which permit fits me, and what exactly do I need?" (issue 6).

Plain Python over the knowledge base, no dialogue code: the Rasa forms and the staff console ask
:func:`next_question`, read answers with :func:`parse_answer`, then :func:`decide` and
:func:`render_result`.
"""

from pobyt.checks.models import AnswerKind, Outcome, Question, Result
from pobyt.checks.parsing import parse_answer
from pobyt.checks.registry import CHECKS, decide, get_check, next_question, question, relevant_answers
from pobyt.checks.render import render_result
from pobyt.checks.text import option_label, question_options, question_text

__all__ = [
    "CHECKS",
    "AnswerKind",
    "Outcome",
    "Question",
    "Result",
    "decide",
    "get_check",
    "next_question",
    "option_label",
    "parse_answer",
    "question",
    "question_options",
    "question_text",
    "relevant_answers",
    "render_result",
]
