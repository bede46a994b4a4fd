"""Lemmas of Ukrainian and Russian words (pymorphy3 with its dictionaries from PyPI, offline).

"посвідку", "посвідки" -> "посвідка"; "воссоединения" -> "воссоединение". Latin words are returned
unchanged (English and Slovak matching relies on shared stems instead).
"""

from __future__ import annotations

import functools
import re

import pymorphy3

_UKRAINIAN_ONLY = re.compile(r"[іїєґ]")
_RUSSIAN_ONLY = re.compile(r"[ыэёъ]")
_CYRILLIC = re.compile(r"[а-яіїєґёыэъ]")


@functools.lru_cache(maxsize=2)
def _analyzer(language: str) -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer(lang=language)


@functools.lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """Returns the dictionary form of a lower-case Cyrillic ``word``; other words unchanged.

    The word's letters decide between Ukrainian and Russian when they can; otherwise the language
    whose dictionary knows the word (Russian first), and an unknown word stays as it is.
    """
    if not _CYRILLIC.search(word):
        return word
    if _UKRAINIAN_ONLY.search(word):
        order = ("uk",)
    elif _RUSSIAN_ONLY.search(word):
        order = ("ru",)
    else:
        order = ("ru", "uk")
    for language in order:
        analyzer = _analyzer(language)
        if analyzer.word_is_known(word):
            return analyzer.parse(word)[0].normal_form.replace("ё", "е")
    return word


@functools.lru_cache(maxsize=65536)
def known_in(language: str, word: str) -> bool:
    """True when the ``uk`` or ``ru`` dictionary knows the lower-case ``word``."""
    return _analyzer(language).word_is_known(word)
