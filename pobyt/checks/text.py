"""The checks' sentences (``pobyt/checks/messages.yml``) and how a renderable becomes text.

Keys not found in the checks' catalogue fall back to the assistant's catalogue
(``pobyt/messages.yml``), so document rules, "Sources:" lines and review warnings read the same as
in every other answer.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple, Union

import yaml
from babel import Locale

from pobyt import messages
from pobyt.checks.models import Count, Label, Phrase, Renderable
from pobyt.kb.models import Text

CATALOGUE_PATH = Path(__file__).with_name("messages.yml")


@functools.lru_cache(maxsize=1)
def catalogue() -> Dict[str, Any]:
    """Returns the checks' catalogue, read on first use."""
    with CATALOGUE_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _entry(key: str) -> Dict[str, Any]:
    own = catalogue()
    return own[key] if key in own else messages.catalogue()[key]


def has_key(key: str) -> bool:
    """True when ``key`` is in either catalogue."""
    return key in catalogue() or key in messages.catalogue()


def plural(unit: str, count: int, language: str) -> str:
    """Returns ``count`` with its unit in the language's plural form ("5 років", "2 года")."""
    language = messages.language_or_default(language)
    forms = _entry(unit)[language]
    form = Locale.parse(language).plural_form(count)
    return str(forms.get(form) or forms["other"]).format(n=count)


def _value(value: Any, language: str) -> str:
    if isinstance(value, (Phrase, Text, str)):
        return render(value, language)
    if isinstance(value, dt.date):
        return messages.format_date(value, language)
    if isinstance(value, Count):
        return plural(value.unit, value.n, language)
    if isinstance(value, Label):
        return told_label(value.question, value.option, language)
    if isinstance(value, (list, tuple)):
        return _join([_value(v, language) for v in value], language)
    return str(value)


def _join(items: List[str], language: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {say('word.or', language)} {items[-1]}"


def say(key: str, language: str, **values: Any) -> str:
    """Returns sentence ``key`` in ``language`` with its placeholders filled (values are rendered).

    Raises:
        KeyError: when the key is in neither catalogue (a programming error, caught by tests).
    """
    language = messages.language_or_default(language)
    entry = _entry(key)
    template = entry.get(language) or entry[messages.DEFAULT_LANGUAGE]
    return str(template).format(**{name: _value(v, language) for name, v in values.items()})


def render(item: Union[Renderable, Any], language: str) -> str:
    """Renders a phrase, a knowledge-base text or neutral text in ``language``."""
    if isinstance(item, Phrase):
        return say(item.key, language, **dict(item.values))
    if isinstance(item, Text):
        return item.get(language)
    return _value(item, language) if not isinstance(item, str) else item


def question_text(question_id: str, language: str) -> str:
    """Returns the question's sentence in ``language``."""
    return say(f"question.{question_id}", language)


def option_label(question_id: str, option: str, language: str) -> str:
    """Returns an option's button label in ``language``."""
    return say(f"option.{question_id}.{option}", language)


def question_options(question_id: str, options: Sequence[str], language: str) -> List[Tuple[str, str]]:
    """Returns ``(option id, label)`` pairs for a question's buttons, in order."""
    return [(option, option_label(question_id, option, language)) for option in options]


def told_label(question_id: str, option: str, language: str) -> str:
    """Returns how an answer reads in "you told me: ...".

    That is ``told.<question>.<option>`` where the bare label says nothing on its own ("Yes"),
    else the option's label.
    """
    key = f"told.{question_id}.{option}"
    return say(key, language) if key in catalogue() else option_label(question_id, option, language)


def option_synonyms(question_id: str, option: str) -> Dict[str, List[str]]:
    """Returns the other words people use for an option, per language (may be empty)."""
    return dict(catalogue().get("synonyms", {}).get(f"{question_id}.{option}", {}))
