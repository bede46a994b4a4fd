"""The message catalogue: every sentence the assistant says, in en, uk and ru, from one place."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any, Dict, Union

import yaml
from babel import Locale
from babel.dates import format_date as babel_format_date

from pobyt.kb.models import LANGUAGES

CATALOGUE_PATH = Path(__file__).with_name("messages.yml")
DEFAULT_LANGUAGE = "en"

Entry = Dict[str, Union[str, Dict[str, str]]]


@functools.lru_cache(maxsize=1)
def catalogue() -> Dict[str, Entry]:
    """Returns the message catalogue, read on first use."""
    with CATALOGUE_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def language_or_default(language: Any) -> str:
    """Returns ``language`` when it is one the assistant speaks, else English."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def say(key: str, language: str, **values: Any) -> str:
    """Returns message ``key`` in ``language`` with ``{placeholders}`` filled.

    Raises:
        KeyError: when the key is not in the catalogue (a programming error, caught by tests).
    """
    entry = catalogue()[key]
    text = entry.get(language_or_default(language)) or entry[DEFAULT_LANGUAGE]
    if not isinstance(text, str):
        raise TypeError(f"message {key!r} has plural forms: use plural()")
    return text.format(**values) if values else text


def plural(key: str, count: int, language: str) -> str:
    """Returns the plural form of message ``key`` for ``count`` ("1 day", "3 дні", "5 дней")."""
    language = language_or_default(language)
    forms = catalogue()[key][language]
    assert isinstance(forms, dict)
    form = Locale.parse(language).plural_form(count)
    return (forms.get(form) or forms["other"]).format(n=count)


def format_date(value: dt.date, language: str) -> str:
    """Writes a date in the language's own form: 4 March 2027, 4 березня 2027, 4 марта 2027."""
    return babel_format_date(value, "d MMMM y", locale=language_or_default(language))
