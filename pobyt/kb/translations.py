"""Checks of the Ukrainian and Russian texts: letters, language, numbers, dates, glossary, aliases."""

from __future__ import annotations

import datetime as dt
import re
from typing import Iterator, Optional

from pobyt.kb.models import KnowledgeBase, Text
from pobyt.kb.numbers import numbers_in_text
from pobyt.kb.problems import Problem
from pobyt.kb.search import token_similarity, tokens
from pobyt.kb.walk import entries, texts
from pobyt.language import evidence
from pobyt.messages import format_date

#: Letters that only the other language uses.
FOREIGN_LETTERS = {"uk": re.compile(r"[ыэёъЫЭЁЪ]"), "ru": re.compile(r"[іїєґІЇЄҐ]")}
#: Spans not written in the field's language: *Slovak terms*, quotes, URLs, e-mail addresses.
_EXCLUDED = re.compile(r"\*[^*]+\*|«[^»]*»|\"[^\"]*\"|“[^”]*”|\S+@\S+|(?:https?://|www\.)\S+|\S+\.sk\S*")
_MONTHS = "January February March April May June July August September October November December".split()
_EN_DATE = re.compile(
    r"\b(\d{1,2}) (" + "|".join(_MONTHS) + r") (\d{4})\b|\b(" + "|".join(_MONTHS) + r") (\d{1,2}),? (\d{4})\b"
)
_EN_MONTH = re.compile(r"\b(" + "|".join(_MONTHS) + r")\b")
#: Fields with at least this many words are also checked with the language identifier.
MIN_WORDS_FOR_IDENTIFIER = 5
_CYRILLIC_WORD = re.compile(r"[а-яіїєґёыэъ'’]+", re.IGNORECASE)


def own_language_text(text: str) -> str:
    """Returns ``text`` without the spans that are legitimately in another language."""
    return _EXCLUDED.sub(" ", text)


_EN_THOUSANDS = re.compile(r"\b(\d{1,3}),(\d{3})\b(?![.,]\d)")
_NATIVE_THOUSANDS = re.compile(r"\b(\d{1,3})[ \u00a0\u202f](\d{3})\b(?![.,]\d)")


def comparable_numbers(text: str) -> set:
    """Numbers of ``text`` with thousands separators removed ("11,885" in English, "11 885" in uk/ru).

    Applied to every language alike, so phone numbers written in groups stay comparable.
    """
    return numbers_in_text(_NATIVE_THOUSANDS.sub(r"\1\2", _EN_THOUSANDS.sub(r"\1\2", text)))


def _english_dates(text: str) -> Iterator[dt.date]:
    for match in _EN_DATE.finditer(text):
        day, month, year = (match.group(1), match.group(2), match.group(3)) if match.group(1) else (
            match.group(5), match.group(4), match.group(6))  # fmt: skip
        try:
            yield dt.date(int(year), _MONTHS.index(month) + 1, int(day))
        except ValueError:
            continue


def check_text(text: Text, file: str, field: str) -> Iterator[Problem]:
    """Checks the translations of one field against its English text."""
    en_numbers = comparable_numbers(text.en)
    for language in ("uk", "ru"):
        value: str = getattr(text, language)
        if not value.strip():
            continue
        where = f"{field}.{language}"
        own = own_language_text(value)
        foreign = FOREIGN_LETTERS[language].findall(own)
        if foreign:
            yield Problem(
                file, where, f"letters of the other language in {language} text: {''.join(sorted(set(foreign)))}"
            )
        words = _CYRILLIC_WORD.findall(own)
        if len(words) >= MIN_WORDS_FOR_IDENTIFIER:
            found = evidence(" ".join(words), accurate=True)
            identified = found and (found.cyrillic_choice or found.identified)
            if identified and identified != language:
                yield Problem(file, where, f"text is identified as {identified}, not {language}")
        numbers = comparable_numbers(value)
        if numbers != en_numbers:
            missing, extra = sorted(en_numbers - numbers), sorted(numbers - en_numbers)
            detail = "; ".join(x for x in (f"missing {', '.join(missing)}" if missing else "",
                                           f"not in English {', '.join(extra)}" if extra else "") if x)  # fmt: skip
            yield Problem(file, where, f"numbers differ from the English text: {detail}")
        if _EN_MONTH.search(value):
            yield Problem(file, where, "English month name: write dates in the language's own form")
        for date in _english_dates(text.en):
            expected = format_date(date, language)
            if expected not in value:
                yield Problem(file, where, f"date should be written as '{expected}'")


def _title_uses(title: str, term: str) -> bool:
    """True when every word of ``term`` appears in ``title`` (inflected forms count)."""
    title_tokens = tokens(title)
    return all(any(token_similarity(t, w) >= 0.9 for w in title_tokens) for t in tokens(term))


def check_glossary(kb: KnowledgeBase) -> Iterator[Problem]:
    """Checks that procedures listed by a glossary term use the term in their titles."""
    for index, term in enumerate(kb.glossary.values()):
        file = kb.files.get(f"terms:{term.id}", "knowledge/glossary.yml")
        for proc_index, proc_id in enumerate(term.procedures):
            proc = kb.procedures.get(proc_id)
            if proc is None:
                yield Problem(file, f"terms[{index}].procedures[{proc_index}]", f"unknown procedure '{proc_id}'")
                continue
            for language in ("en", "uk", "ru"):
                title = getattr(proc.title, language)
                if title and not _title_uses(title, getattr(term, language)):
                    yield Problem(
                        kb.files[f"procedures:{proc_id}"],
                        f"title.{language}",
                        f"does not use the glossary term '{getattr(term, language)}' ({term.id})",
                    )


def check_translations(kb: KnowledgeBase, require_aliases: bool, today: Optional[dt.date] = None) -> Iterator[Problem]:
    """Checks every translated field, the glossary terms in titles and (optionally) aliases per language."""
    for file, prefix, entry in entries(kb):
        for path, text in texts(entry):
            yield from check_text(text, file, prefix + path)
    yield from check_glossary(kb)
    if require_aliases:
        for proc in kb.procedures.values():
            for language in ("uk", "ru"):
                if not proc.aliases.get(language):
                    yield Problem(
                        kb.files[f"procedures:{proc.id}"], f"aliases.{language}", "no aliases in this language"
                    )
        for topic in kb.topics.values():
            for language in ("uk", "ru"):
                if not topic.aliases.get(language):
                    yield Problem(kb.files[f"topics:{topic.id}"], f"aliases.{language}", "no aliases in this language")
