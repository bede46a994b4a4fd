"""The guided checks' results as text: dates in the reader's language, no English in uk and ru."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from pobyt.checks import decide, render_result
from pobyt.checks.text import catalogue
from pobyt.kb.translations import FOREIGN_LETTERS, own_language_text
from tests.conftest import TODAY
from tests.test_checks_decisions import AFTER_CASES, FAMILY_CASES, PERMANENT_CASES, protected
from tests.test_translations import english_words, untranslatable_words

#: Latin words the checks' own sentences may keep in uk and ru.
CHECK_LATIN = {"EUR", "IOM", "MIC"}


def all_results(kb):
    for answers, *_ in FAMILY_CASES:
        yield decide("family", answers, TODAY, kb)
    for answers, today, *_ in AFTER_CASES:
        yield decide("after_protection", answers, today, kb)
    for answers, *_ in PERMANENT_CASES:
        yield decide("permanent", answers, TODAY, kb)


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_results_are_free_of_english(real_kb, language):
    allowed = untranslatable_words(real_kb) | CHECK_LATIN
    leaks = {}
    for result in all_results(real_kb):
        text = render_result(result, language)
        found = english_words(text, allowed)
        if found:
            leaks[(result.check, result.outcome.value, result.procedure)] = found
        assert not FOREIGN_LETTERS[language].search(own_language_text(text)), text
    assert leaks == {}


def test_english_result_says_why_and_when(real_kb):
    result = decide("after_protection", protected("employment", 4), dt.date(2026, 11, 24), real_kb)
    text = render_result(result, "en")
    assert "You cannot apply for temporary residence after temporary protection" in text
    assert "“Employment”; “for 4 months”" in text
    assert "you can apply from 24 January 2027" in text
    assert "not older than 30 days" in text  # 004: Social Insurance Agency confirmation
    assert "not older than 90 days" in text and "under 14" in text  # 004: Ukrainian extract
    assert "by 25 March 2027" in text and "by 24 April 2027" in text  # 60 + 30 days from 24 January 2027
    assert "you remain a displaced person until 4 March 2028, that is for 466 days more" in text
    assert text.splitlines()[-1].startswith("This is information, not legal advice")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("uk", ["Ви можете подати заяву з 15 липня 2026", "до 4 березня 2028", "«вже 8 місяців»"]),
        ("ru", ["Вы можете подать заявление с 15 июля 2026", "до 4 марта 2028", "«уже 8 месяцев»"]),
    ],
)
def test_dates_and_counts_are_in_the_readers_language(real_kb, language, expected):
    result = decide("after_protection", protected(months=8), dt.date(2026, 5, 1), real_kb)
    text = render_result(result, language)
    for fragment in expected:
        assert fragment in text


def test_family_result_names_the_exemption_and_the_office(real_kb):
    answers = {"check_family_member": "slovak_citizen", "check_relationship": "spouse", "check_location": "abroad"}
    text = render_result(decide("family", answers, TODAY, real_kb), "en")
    assert text.startswith(
        "Permanent residence for five years (Trvalý pobyt na 5 rokov)\n✅ You can apply for permanent"
    )
    assert "You do not pay this fee: you told me you are “Husband or wife”" in text
    assert "apply in person at the Slovak embassy accredited for your country" in text
    assert "with an apostille or superlegalisation" in text and "officially translated into Slovak" in text
    assert "Source: " in text


def test_not_eligible_results_have_no_checklist_but_say_why(real_kb):
    result = decide(
        "after_protection", {"check_protected": "yes", "check_exclusion": "protection_other"}, TODAY, real_kb
    )
    text = render_result(result, "ru")
    assert "❌" in text and "другое государство предоставило временную защиту" in text
    assert "Нужные документы" not in text


def test_the_catalogue_is_complete_and_consistent():
    for key, entry in catalogue().items():
        if key in ("duration_words", "synonyms"):
            continue
        assert set(entry) == {"en", "uk", "ru"}, key
        forms = [entry[lang] if isinstance(entry[lang], str) else " ".join(entry[lang].values()) for lang in entry]
        # {name} is the title in lower case for English mid-sentence use; uk and ru quote {title}.
        placeholders = [sorted(set(re.findall(r"{(\w+)}", form.replace("{name}", "{title}")))) for form in forms]
        assert placeholders[0] == placeholders[1] == placeholders[2], key
        for language in ("uk", "ru"):
            text = own_language_text(forms[1 if language == "uk" else 2])
            assert not FOREIGN_LETTERS[language].search(text), (key, language)
            assert english_words(re.sub(r"{\w+}", "", text), CHECK_LATIN) == set(), (key, language)
