"""A check's result as plain text lines with "• " bullets, like every other answer (channels escape it)."""

from __future__ import annotations

import re
from typing import List, Sequence

from pobyt.checks.models import Checklist, ChecklistItem, Result
from pobyt.checks.text import render, say

BULLET = "• "
SUB = "  – "
#: A Slovak term in brackets inside a label: left out when the answer is quoted back.
_SLOVAK_TERM = re.compile(r"\s*\(\*[^)]*\*\)")
#: First words of titles that keep their capital inside a sentence.
PROPER_FIRST_WORDS = ("Slovak", "Slovakia")


def _items(items: Sequence[ChecklistItem], language: str) -> List[str]:
    lines = []
    for item in items:
        rules = [render(rule, language).rstrip(".") for rule in item.rules]
        text = render(item.text, language)
        lines.append(BULLET + text + (f": {'; '.join(rules)}" if rules and len(rules) <= 2 else ""))
        if len(rules) > 2:
            # Many rules read better one per line than in one long sentence.
            lines += [SUB + rule for rule in rules]
    return lines


def _checklist_lines(checklist: Checklist, language: str) -> List[str]:
    lines = ["", say("result.heading.checklist", language)]
    if checklist.documents:
        lines += [say("heading.documents", language), *_items(checklist.documents, language)]
        if checklist.documents_note:
            lines.append(render(checklist.documents_note, language))
    if checklist.fees:
        lines += [say("heading.fees", language), *_items(checklist.fees, language)]
    if checklist.where:
        lines += [say("heading.where", language), *_items(checklist.where, language)]
    if checklist.when:
        lines += [say("result.heading.when", language), *(BULLET + render(w, language) for w in checklist.when)]
    if checklist.processing_time:
        lines += [say("heading.processing_time", language), render(checklist.processing_time, language)]
    if checklist.after_grant:
        lines += [say("heading.after_grant", language), *(BULLET + render(a, language) for a in checklist.after_grant)]
    lines += [render(w, language) for w in checklist.warnings]
    return lines


def render_result(result: Result, language: str) -> str:
    """Renders a check's result in ``language``: decision, reasons, facts, checklist, sources.

    Args:
        result: what :func:`pobyt.checks.registry.decide` returned.
        language: ``en``, ``uk`` or ``ru``.

    Returns:
        Plain text, one fact per line, "• " bullets; the caller escapes it for its channel.
    """
    title = render(result.title, language) if result.title else ""
    header = f"{title} ({result.official_name})" if result.official_name else title
    told = "; ".join(say("quote", language, text=_SLOVAK_TERM.sub("", render(item, language))) for item in result.told)
    # Inside a sentence the title starts in lower case ("apply for permanent residence"); acronyms and
    # names of the country ("Slovak citizenship") keep their capital.
    keep = title[1:2].isupper() or title.split(" ")[0] in PROPER_FIRST_WORDS
    name = title if keep else title[:1].lower() + title[1:]
    lines = [header, say(f"outcome.{result.outcome.value}", language, title=title, name=name, answers=told)]
    lines += [render(reason, language) for reason in result.reasons]
    if result.facts:
        lines += ["", say("result.heading.facts", language)]
        lines += [BULLET + render(fact.text, language) for fact in result.facts]
    if result.checklist is not None:
        lines += _checklist_lines(result.checklist, language)
    if result.sources:
        lines += ["", say("source.only", language, sources="; ".join(t.get(language) for t in result.sources.values()))]
    lines.append(say("check.disclaimer", language))
    return "\n".join(line for line in lines if line is not None)
