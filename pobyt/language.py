"""Which of the assistant's languages a message is written in (lingua, limited to our languages)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Optional

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

#: Slovak is identified too, so that Slovak terms ("dočasné útočisko") are not taken for English.
_LANGUAGES = {Language.ENGLISH: "en", Language.UKRAINIAN: "uk", Language.RUSSIAN: "ru", Language.SLOVAK: "sk"}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
#: A later message switches the conversation's language only with this much confidence...
SWITCH_CONFIDENCE = 0.9
#: ...and at least this many words: "ВНЖ" or "а для дитини?" keep the current language.
SWITCH_MIN_WORDS = 3


@dataclass(frozen=True)
class Detection:
    """The most likely language of a text (``en``, ``uk``, ``ru`` or ``sk``) and its confidence."""

    language: str
    confidence: float
    words: int


@functools.lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*_LANGUAGES).build()


def detect(text: str) -> Optional[Detection]:
    """Returns the most likely language of ``text``, or None when it has no words."""
    words = len(_WORD.findall(text))
    if not words:
        return None
    values = _detector().compute_language_confidence_values(text)
    if not values:
        return None
    return Detection(_LANGUAGES[values[0].language], values[0].value, words)


def detect_language(text: str) -> Optional[str]:
    """Returns ``en``, ``uk`` or ``ru`` when ``text`` is most likely in one of them, else None."""
    detection = detect(text)
    return detection.language if detection and detection.language != "sk" else None


def choose_language(text: str, current: Optional[str]) -> Optional[str]:
    """Returns the conversation's language after ``text``.

    The first message's language is detected; later messages switch the language only on clear
    evidence (confident and long enough), so a one-word or mixed message keeps the current one.
    """
    detection = detect(text)
    if detection is None or detection.language == "sk":
        return current
    if current is None:
        return detection.language
    if (
        detection.language != current
        and detection.confidence >= SWITCH_CONFIDENCE
        and detection.words >= SWITCH_MIN_WORDS
    ):
        return detection.language
    return current
