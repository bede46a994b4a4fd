"""No English reaches a Ukrainian or Russian user: every answer rendered, every message checked."""

from __future__ import annotations

import re
from typing import Set

import pytest

from pobyt.answers import ASPECTS, render_aspect
from pobyt.conversation import menu
from pobyt.kb.models import KnowledgeBase
from pobyt.kb.translations import FOREIGN_LETTERS, own_language_text
from pobyt.messages import catalogue, say
from tests.conftest import TODAY

_LATIN_WORD = re.compile(r"[A-Za-zÀ-žĽľŠšČčŤťŽžÝýÁáÍíÉéÔôÄäŇňĎďÚúÓó']{2,}")
#: Acronyms and units that stay in Latin letters in every language.
ALLOWED_LATIN = {"EUR", "EU", "EÚ", "IOM", "MIC", "OZ", "IOMO", "Schengen", "SR", "cm", "A", "C", "D", "LTV"}
#: Proper names of organisations that are written in Latin letters in every language.
PROPER_NAMES = {"Marginal", "Union", "Dôvera"}
_SLOVAK_LETTERS = re.compile(r"[áäčďéíĺľňóôŕšťúýž]", re.IGNORECASE)


def untranslatable_words(kb: KnowledgeBase) -> Set[str]:
    """Latin words that legitimately stay as they are: Slovak names, addresses, cities, glossary terms."""
    words: Set[str] = set(ALLOWED_LATIN)
    texts = [p.official_name for p in kb.procedures.values()]
    texts += [o.official_name for o in kb.offices.values()] + [d.official_name for d in kb.documents.values()]
    texts += [term.sk for term in kb.glossary.values()]
    for office in kb.offices.values():
        for location in office.locations:
            texts += [location.address, location.city]
    for text in texts:
        words.update(_LATIN_WORD.findall(text or ""))
    return words


def english_words(text: str, allowed: Set[str]) -> Set[str]:
    """Latin-letter words in ``text`` outside Slovak terms, quotes, URLs, e-mails and allowed names.

    Acronyms (all capitals) and words with Slovak letters are names or Slovak terms, not English.
    """
    text = re.sub(r"\?[\w-]+", " ", own_language_text(text))  # fragments of web addresses (?pobyt-...)
    return {
        w
        for w in _LATIN_WORD.findall(text)
        if w not in allowed and w not in PROPER_NAMES and not w.isupper() and not _SLOVAK_LETTERS.search(w)
    }


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_every_answer_of_every_procedure_is_free_of_english(real_kb, language):
    allowed = untranslatable_words(real_kb)
    leaks = {}
    for proc_id in real_kb.procedures:
        for aspect in ASPECTS:
            text = render_aspect(real_kb, proc_id, aspect, language, TODAY).text
            found = english_words(text, allowed)
            if found:
                leaks[f"{proc_id}/{aspect}"] = sorted(found)
            assert not FOREIGN_LETTERS[language].search(own_language_text(text)), (proc_id, aspect, text)
    assert leaks == {}


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_the_menu_is_free_of_english(real_kb, language):
    answer = menu(language, real_kb)
    allowed = untranslatable_words(real_kb)
    assert english_words(answer.text, allowed) == set()
    assert all(english_words(b.title, allowed) == set() for b in answer.buttons)


def test_every_message_exists_in_all_three_languages():
    for key, entry in catalogue().items():
        assert set(entry) == {"en", "uk", "ru"}, key
        for language in ("uk", "ru"):
            forms = entry[language] if isinstance(entry[language], dict) else {"": entry[language]}
            for form in forms.values():
                assert form.strip(), (key, language)
                assert not FOREIGN_LETTERS[language].search(form), (key, language, form)
                assert english_words(re.sub(r"{\w+}", "", form), ALLOWED_LATIN) == set(), (key, language, form)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("uk", "Діє до 4 березня 2027, тобто ще 100 днів."), ("ru", "Действует до 4 марта 2027, то есть ещё 100 дней.")],
)
def test_temporary_protection_end_is_dated_in_the_language(real_kb, language, expected):
    text = render_aspect(real_kb, "temporary_protection", "overview", language, TODAY).text
    assert expected in text


def test_placeholders_are_the_same_in_every_language():
    for key, entry in catalogue().items():
        shapes = {language: sorted(re.findall(r"{(\w+)}", str(value))) for language, value in entry.items()}
        assert shapes["uk"] == shapes["en"] == shapes["ru"] or isinstance(entry["en"], dict), (key, shapes)
    assert say("human", "ru", contacts="X") == "Вам может помочь человек: X"
