"""Understanding a typed answer: an option (by id, number or label in any language) or a duration."""

from __future__ import annotations

import re
from typing import Callable, Dict, List, Optional, Union

from pobyt.checks.models import AnswerKind, Question
from pobyt.checks.text import catalogue, option_label, option_synonyms
from pobyt.kb.models import LANGUAGES

#: Years and months the checks accept at most (anything larger is a typo, asked again).
MAX_YEARS = 80
_APOSTROPHES = re.compile(r"[’ʼ`´]")
_NOISE = re.compile(r"[^\w'+.,]+")
#: A Slovak term in brackets after a label ("(*prechodný pobyt*)"): people leave it out when typing.
_SLOVAK_TERM = re.compile(r"\s*\(\*[^)]*\*\)")
_NUMBER = re.compile(r"(\d+(?:\.\d+)?)")


def normalise(text: str) -> str:
    """Lower case, one kind of apostrophe, no punctuation around words, single spaces."""
    text = _APOSTROPHES.sub("'", str(text).lower()).replace("ё", "е")
    return " ".join(_NOISE.sub(" ", text).split()).strip(" .,")


def parse_answer(question: Question, text: str, language: str) -> Optional[Union[str, int]]:
    """Returns the answer ``text`` gives to ``question``, or ``None`` when it is not an answer.

    A choice accepts the option id, its number in the list ("2"), its label in any of the three
    languages, or a known synonym ("так", "да", "married to a slovak"), case-insensitively. A
    duration accepts "6", "6 months", "пів року", "2 роки", "полтора года" and returns whole months
    or whole years, as the question asks.

    Args:
        question: the question being answered.
        text: what the person typed (or a button's option id).
        language: the conversation's language (labels of the other languages are accepted too).
    """
    if question.kind == AnswerKind.choice:
        return _parse_choice(question, text, language)
    return _parse_duration(text, question.kind)


def _choice_names(question: Question, language: str) -> Dict[str, str]:
    names: Dict[str, str] = {}
    # The conversation's language first, so a label shared by two languages resolves in its favour.
    for lang in (language, *[x for x in LANGUAGES if x != language]):
        for option in question.options:
            label = option_label(question.id, option, lang)
            names.setdefault(normalise(label), option)
            names.setdefault(normalise(_SLOVAK_TERM.sub("", label)), option)
            for synonym in option_synonyms(question.id, option).get(lang, []):
                names.setdefault(normalise(synonym), option)
    return names


def _parse_choice(question: Question, text: str, language: str) -> Optional[str]:
    wanted = normalise(text)
    if not wanted:
        return None
    if text.strip() in question.options:
        return text.strip()
    if wanted.isdigit() and 1 <= int(wanted) <= len(question.options):
        return question.options[int(wanted) - 1]
    names = _choice_names(question, language)
    if wanted in names:
        return names[wanted]
    # Also accept the whole synonym inside a longer reply ("yes, I do"), if only one option fits.
    found = {
        option
        for name, option in names.items()
        if len(name) > 2 and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", wanted)
    }
    return found.pop() if len(found) == 1 else None


def _words(section: str) -> Dict[str, float]:
    """Words of the catalogue's ``duration_words`` section, normalised: word -> amount."""
    words = catalogue()["duration_words"][section]
    return {normalise(str(word)): float(amount) for word, amount in words.items()}


def _replace_words(text: str, words: Dict[str, float], render: Callable[[float, Optional[str]], str]) -> str:
    for word in sorted(words, key=len, reverse=True):  # longest first: "пів року" before "року"
        pattern = re.compile(rf"(?:(\d+(?:\.\d+)?)\s*)?(?<!\w){re.escape(word)}(?!\w)")
        text = pattern.sub(lambda m, w=word: render(words[w], m.group(1)), text)
    return text


def _parse_duration(text: str, kind: AnswerKind) -> Optional[int]:
    """Reads a duration; number words become digits, then every "N unit" adds N x unit in months."""
    wanted = " " + normalise(text).replace(",", ".") + " "
    wanted = _replace_words(wanted, _words("numbers"), lambda amount, count: f" {amount:g} ")
    months: List[float] = []

    def unit(amount: float, count: Optional[str]) -> str:
        months.append((float(count) if count else 1.0) * amount)
        return " "

    rest = _replace_words(wanted, _words("months"), unit)
    if not months:
        bare = _NUMBER.search(rest)
        if bare is None:
            return None
        months.append(float(bare.group(1)) * (12 if kind == AnswerKind.years else 1))
    total = sum(months)
    value = int(total // 12) if kind == AnswerKind.years else int(round(total))
    limit = MAX_YEARS * (1 if kind == AnswerKind.years else 12)
    return value if 0 <= value <= limit else None


#: Options whose words say nothing distinctive in a sentence ("yes", "no", "other"): never pre-filled.
_VAGUE_OPTIONS = frozenset({"yes", "no", "other", "none", "nobody", "not_sure", "unknown"})


def answers_in_message(questions: List[Question], text: str) -> Dict[str, str]:
    """Returns the choice answers a message already gives (``question id -> option``).

    "My wife is Slovak and we live in Nitra" answers "who is your family member?" with "a Slovak
    citizen": a check started by that message must not ask it again. An option counts when the
    message contains a word of its label or synonyms (in any language, as lemmas or stems) that no
    other option of the question has, and exactly one option does; yes/no-like options never count.
    """
    from pobyt.engine.retrieval import analyse

    words = set(analyse(text))
    found: Dict[str, str] = {}
    for question in questions:
        if question.kind != AnswerKind.choice:
            continue
        vocabularies: Dict[str, set] = {}
        for option in question.options:
            names = [option_label(question.id, option, lang) for lang in LANGUAGES]
            names += [n for synonyms in option_synonyms(question.id, option).values() for n in synonyms]
            vocabularies[option] = set(analyse(" ".join(names)))
        hits = []
        for option, vocabulary in vocabularies.items():
            others = set().union(*(v for o, v in vocabularies.items() if o != option))
            if option not in _VAGUE_OPTIONS and (vocabulary - others) & words:
                hits.append(option)
        if len(hits) == 1:
            found[question.id] = hits[0]
    return found
