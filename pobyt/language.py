"""Which of the assistant's languages a message is written in, and when to switch.

Two sources of evidence, combined:

* lingua (a well-kept language identifier, run offline and limited to en, uk, ru and sk);
* Ukrainian/Russian *exclusive* words: words with letters only one language uses (і ї є ґ /
  ы э ё ъ), or words that only one language's dictionary knows (pymorphy3's dictionaries), so
  that "дякую" or "сколько" decide even when they are the whole message, while shared words
  ("паспорт", "ВНЖ") and mixed fragments ("а для дитини нужно") decide nothing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, Optional

import yaml
from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from pobyt.lemmas import known_in

LEXICON_PATH = Path(__file__).with_name("language_words.yml")
#: Dictionary evidence counts only for words at least this long ("ой", "хм" decide nothing).
MIN_DICTIONARY_WORD = 5

#: Slovak is identified too, so that Slovak terms ("dočasné útočisko") are not taken for English.
_LANGUAGES = {Language.ENGLISH: "en", Language.UKRAINIAN: "uk", Language.RUSSIAN: "ru", Language.SLOVAK: "sk"}
_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ][^\W\d_]+)*", re.UNICODE)
_CYRILLIC_WORD = re.compile(r"^[а-яіїєґёыэъ'’ʼ-]+$", re.IGNORECASE)
_LATIN_WORD = re.compile(r"^[a-z]+$", re.IGNORECASE)
_UKRAINIAN_LETTERS = re.compile(r"[іїєґ'’ʼ]", re.IGNORECASE)
_RUSSIAN_LETTERS = re.compile(r"[ыэёъ]", re.IGNORECASE)
#: Switching to English inside a Ukrainian or Russian conversation needs this much confidence
#: and at least two English words ("ok" keeps the language).
ENGLISH_SWITCH_CONFIDENCE = 0.9
ENGLISH_SWITCH_MIN_WORDS = 2


@dataclass(frozen=True)
class Evidence:
    """What a text says about its language."""

    identified: Optional[str]  # lingua's best guess: en, uk, ru, sk or None
    confidence: float
    uk_words: int  # words only Ukrainian uses
    ru_words: int  # words only Russian uses
    english_words: int  # lower-case Latin words (acronyms excluded)
    uk_hints: int = 0  # weaker: words only the Ukrainian dictionary knows
    ru_hints: int = 0

    def has(self, language: str) -> bool:
        """True when some word is exclusive to ``language`` (uk or ru)."""
        return bool(self.uk_words if language == "uk" else self.ru_words)

    def hints(self, language: str) -> bool:
        """True when some word may be exclusive to ``language`` (including weaker evidence)."""
        return self.has(language) or bool(self.uk_hints if language == "uk" else self.ru_hints)

    @property
    def cyrillic_choice(self) -> Optional[str]:
        """``uk`` or ``ru`` when exclusive words point one way, else None."""
        if self.uk_words > self.ru_words:
            return "uk"
        if self.ru_words > self.uk_words:
            return "ru"
        return None


@functools.lru_cache(maxsize=2)
def _detector(accurate: bool = False) -> LanguageDetector:
    # Conversations use the fast mode (about 1 ms a message; the bars hold, scripts/evaluate_language.py);
    # the knowledge-base validator uses the accurate one, where a false alarm would block curators.
    builder = LanguageDetectorBuilder.from_languages(*_LANGUAGES)
    return (builder if accurate else builder.with_low_accuracy_mode()).build()


@functools.lru_cache(maxsize=1)
def _lexicon() -> Dict[str, FrozenSet[str]]:
    with LEXICON_PATH.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return {language: frozenset(data[language]) for language in ("uk", "ru")}


def _exclusive(word: str, dictionaries: bool = True) -> Optional[str]:
    """Returns ``uk`` or ``ru`` when only that language writes ``word`` this way.

    In order: letters only one alphabet has; frequent words only one language uses (the
    lexicon); words of five letters or more that only one dictionary knows (not capitalised:
    place names and acronyms belong to both).
    """
    lowered = word.lower()
    if _UKRAINIAN_LETTERS.search(lowered) and not _RUSSIAN_LETTERS.search(lowered):
        return "uk"
    if _RUSSIAN_LETTERS.search(lowered) and not _UKRAINIAN_LETTERS.search(lowered):
        return "ru"
    lexicon = _lexicon()
    if lowered in lexicon["uk"]:
        return "uk"
    if lowered in lexicon["ru"]:
        return "ru"
    if not dictionaries or len(lowered) < MIN_DICTIONARY_WORD or word[0].isupper():
        return None
    in_uk, in_ru = known_in("uk", lowered), known_in("ru", lowered)
    if in_uk != in_ru:
        return "uk" if in_uk else "ru"
    return None


def evidence(text: str, accurate: bool = False) -> Optional[Evidence]:
    """Returns the evidence about ``text``'s language, or None when it has no words.

    ``accurate`` selects lingua's slower, more accurate mode (used by the knowledge-base checks).
    """
    words = _WORD.findall(text)
    if not words:
        return None
    values = _detector(accurate).compute_language_confidence_values(text)
    identified, confidence = (_LANGUAGES[values[0].language], values[0].value) if values else (None, 0.0)
    counts: Dict[str, int] = {"uk": 0, "ru": 0}
    hints: Dict[str, int] = {"uk": 0, "ru": 0}
    english = 0
    cyrillic = [word for word in words if _CYRILLIC_WORD.match(word)]
    for word in cyrillic:
        strong = _exclusive(word, dictionaries=False)
        if strong:
            counts[strong] += 1
            continue
        weak = _exclusive(word)
        if weak:
            hints[weak] += 1
            # A word only one dictionary knows is evidence when the identifier agrees and the message
            # has more than one word: loanwords ("вайбер") sit in one dictionary by chance.
            if weak == identified and len(cyrillic) > 1:
                counts[weak] += 1
    english = sum(1 for word in words if _LATIN_WORD.match(word) and not word.isupper())
    return Evidence(identified, confidence, counts["uk"], counts["ru"], english, hints["uk"], hints["ru"])


_CYRILLIC_WORD = re.compile(r"[^\W\d_]*[а-яёіїєґ][^\W\d_]*", re.IGNORECASE)


def detect_language(text: str, hint: Optional[str] = None) -> Optional[str]:
    """Returns the language of a first message: ``en``, ``uk``, ``ru``, or None when nothing tells.

    ``hint`` is the language the person's app or the web page says they use (Telegram's
    ``language_code``, the widget's ``data-language``): it decides between Ukrainian and Russian
    when no word is exclusive to either, and it is the answer when the text tells nothing
    (``/start``, a button, an emoji).
    """
    hint = hint if hint in ("en", "uk", "ru") else None
    found = evidence(text)
    if found is None:
        return hint
    if found.cyrillic_choice:
        return found.cyrillic_choice
    if found.identified in ("uk", "ru"):
        # Cyrillic without exclusive words: the person's own setting beats lingua's best guess.
        return hint if hint in ("uk", "ru") else found.identified
    if found.identified == "en":
        return "en"
    cyrillic = " ".join(_CYRILLIC_WORD.findall(text))
    if hint is None and cyrillic and cyrillic != text:
        # "телефон cudzinecká polícia кошице": the Slovak words make the whole read as Slovak, but the
        # person writes in Cyrillic; their own words decide (never English).
        return detect_language(cyrillic)
    return hint


def choose_language(text: str, current: Optional[str], hint: Optional[str] = None) -> Optional[str]:
    """Returns the conversation's language after ``text``.

    The first message's language is detected. Later messages switch only on clear evidence:
    between Ukrainian and Russian, words exclusive to the other language and none exclusive to the
    current one; to English, a confident identification of at least two English words. Anything
    else (shared words, acronyms, Slovak terms, mixed uk/ru) keeps the language.
    """
    if current is None:
        return detect_language(text, hint)
    found = evidence(text)
    if found is None:
        return current
    if current in ("uk", "ru"):
        other = "ru" if current == "uk" else "uk"
        if found.has(other) and not found.hints(current):  # a word of the current language: mixed, keep
            return other
        if (
            found.identified == "en"
            and found.confidence >= ENGLISH_SWITCH_CONFIDENCE
            and found.english_words >= ENGLISH_SWITCH_MIN_WORDS
            and not (found.uk_words or found.ru_words)
        ):
            return "en"
        return current
    # The conversation is in English: a Cyrillic message with a clear language switches.
    detected = detect_language(text)
    return detected if detected in ("uk", "ru") else current
