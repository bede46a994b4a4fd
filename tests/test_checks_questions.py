"""The guided checks' questions: their order, the ones skipped, and how typed answers are read."""

from __future__ import annotations

import pytest

from pobyt.checks import CHECKS, AnswerKind, next_question, option_label, parse_answer, question, question_text
from pobyt.kb.models import LANGUAGES


def asked(check_id: str, answers: dict):
    found = next_question(check_id, answers)
    return found.id if found else None


@pytest.mark.parametrize(
    ("check_id", "answers", "expected"),
    [
        ("family", {}, "check_family_member"),
        ("family", {"check_family_member": "nobody"}, None),  # nothing more to ask: no one to join
        ("family", {"check_family_member": "slovak_citizen"}, "check_relationship"),
        # A Slovak citizen's spouse: the age question is for spouses of foreigners only.
        ("family", {"check_family_member": "slovak_citizen", "check_relationship": "spouse"}, "check_location"),
        ("family", {"check_family_member": "foreigner_temporary", "check_relationship": "spouse"}, "check_both_adult"),
        # Not eligible: where to apply is not asked.
        (
            "family",
            {"check_family_member": "foreigner_temporary", "check_relationship": "spouse", "check_both_adult": "no"},
            None,
        ),
        (
            "family",
            {"check_family_member": "asylum", "check_relationship": "parent_dependent"},
            "check_sponsor_minor",
        ),
        ("family", {"check_family_member": "asylum", "check_relationship": "spouse"}, None),
        (
            "family",
            {"check_family_member": "slovak_citizen", "check_relationship": "spouse", "check_location": "abroad"},
            None,
        ),
        ("after_protection", {}, "check_protected"),
        ("after_protection", {"check_protected": "no"}, None),
        ("after_protection", {"check_protected": "yes"}, "check_exclusion"),
        ("after_protection", {"check_protected": "yes", "check_exclusion": "protection_eu"}, None),
        ("after_protection", {"check_protected": "yes", "check_exclusion": "none"}, "check_purpose"),
        ("after_protection", {"check_protected": "yes", "check_exclusion": "none", "check_purpose": "none"}, None),
        (
            "after_protection",
            {"check_protected": "yes", "check_exclusion": "none", "check_purpose": "study"},
            "check_purpose_months",
        ),
        ("permanent", {}, "check_goal"),
        ("permanent", {"check_goal": "residence"}, "check_status"),
        ("permanent", {"check_goal": "residence", "check_status": "pr_unlimited"}, None),
        ("permanent", {"check_goal": "residence", "check_status": "pr_5_years"}, "check_status_years"),
        ("permanent", {"check_goal": "residence", "check_status": "pr_5_years", "check_status_years": 2}, None),
        ("permanent", {"check_goal": "residence", "check_status": "temporary"}, "check_legal_years"),
        ("permanent", {"check_goal": "residence", "check_status": "temporary", "check_legal_years": 2}, None),
        (
            "permanent",
            {"check_goal": "residence", "check_status": "blue_card", "check_status_years": 1, "check_legal_years": 3},
            "check_blue_card_eu_years",
        ),
        (
            "permanent",
            {"check_goal": "residence", "check_status": "blue_card", "check_status_years": 1, "check_legal_years": 6},
            None,
        ),
        ("permanent", {"check_goal": "citizenship", "check_status": "pr_5_years"}, "check_status_years"),
        (
            "permanent",
            {"check_goal": "citizenship", "check_status": "pr_5_years", "check_status_years": 3},
            "check_legal_years",
        ),
        (
            "permanent",
            {
                "check_goal": "citizenship",
                "check_status": "pr_5_years",
                "check_status_years": 3,
                "check_legal_years": 4,
            },
            "check_special",
        ),
        ("permanent", {"check_goal": "citizenship", "check_status": "none"}, None),
        ("permanent", {"check_goal": "citizenship", "check_status": "temporary_protection"}, None),
    ],
)
def test_next_question_order_and_skips(check_id, answers, expected):
    assert asked(check_id, answers) == expected


def test_every_question_is_a_check_slot_with_text_and_labels_in_every_language():
    for check in CHECKS.values():
        for q in check.questions:
            assert q.id.startswith("check_")
            for language in LANGUAGES:
                assert question_text(q.id, language)
                assert (q.kind == AnswerKind.choice) == bool(q.options)
                labels = [option_label(q.id, option, language) for option in q.options]
                assert len(set(labels)) == len(labels), (q.id, language)


FM = question("family", "check_family_member")
REL = question("family", "check_relationship")
ADULT = question("family", "check_both_adult")
PROT = question("after_protection", "check_protected")
EXCL = question("after_protection", "check_exclusion")
PURP = question("after_protection", "check_purpose")
MONTHS = question("after_protection", "check_purpose_months")
GOAL = question("permanent", "check_goal")
YEARS = question("permanent", "check_status_years")


@pytest.mark.parametrize(
    ("q", "text", "language", "expected"),
    [
        (FM, "slovak_citizen", "en", "slovak_citizen"),  # a button's option id
        (FM, "2", "en", "foreigner_temporary"),  # the option's number
        (FM, "A Slovak citizen with permanent residence in Slovakia", "en", "slovak_citizen"),
        (FM, "a foreigner with PERMANENT residence", "en", "foreigner_permanent"),
        (FM, "Іноземець із тимчасовим проживанням", "uk", "foreigner_temporary"),
        (FM, "громадянин Словаччини", "uk", "slovak_citizen"),
        (FM, "Поки що ніхто", "uk", "nobody"),
        (FM, "Пока никто", "ru", "nobody"),
        (FM, "Лицо, которому предоставлено убежище", "ru", "asylum"),
        (FM, "моя жена словачка", "ru", "slovak_citizen"),
        (FM, "Иностранец с постоянным проживанием", "uk", "foreigner_permanent"),  # another language's label
        (FM, "my cat", "en", None),
        (FM, "", "en", None),
        (FM, "9", "en", None),
        (REL, "wife", "en", "spouse"),
        (REL, "Дитина до 18 років", "uk", "child_under_18"),
        (REL, "мама", "ru", "parent_dependent"),
        (ADULT, "yes", "en", "yes"),
        (ADULT, "Yes, we are", "en", "yes"),
        (ADULT, "так", "uk", "yes"),
        (ADULT, "Ні", "uk", "no"),
        (ADULT, "да", "ru", "yes"),
        (ADULT, "нет", "ru", "no"),
        (ADULT, "maybe", "en", None),
        (PROT, "маю", "uk", "yes"),
        (EXCL, "None of these", "en", "none"),
        (EXCL, "нічого з цього", "uk", "none"),
        (EXCL, "Другая страна предоставила мне временную защиту", "ru", "protection_other"),
        (PURP, "I work", "en", "employment"),
        (PURP, "навчання", "uk", "study"),
        (PURP, "Работа", "ru", "employment"),
        (PURP, "Исследования и разработки", "ru", "research"),
        (GOAL, "громадянство", "uk", "citizenship"),
        (GOAL, "ПМЖ", "ru", "residence"),
        (MONTHS, "6", "en", 6),
        (MONTHS, "6 months", "en", 6),
        (MONTHS, "six months", "en", 6),
        (MONTHS, "half a year", "en", 6),
        (MONTHS, "a year", "en", 12),
        (MONTHS, "1 year 3 months", "en", 15),
        (MONTHS, "1.5 years", "en", 18),
        (MONTHS, "пів року", "uk", 6),
        (MONTHS, "півроку", "uk", 6),
        (MONTHS, "шість місяців", "uk", 6),
        (MONTHS, "2 роки", "uk", 24),
        (MONTHS, "півтора року", "uk", 18),
        (MONTHS, "полгода", "ru", 6),
        (MONTHS, "шесть месяцев", "ru", 6),
        (MONTHS, "1,5 года", "ru", 18),
        (MONTHS, "8 мес.", "ru", 8),
        (MONTHS, "не знаю", "ru", None),
        (MONTHS, "", "en", None),
        (YEARS, "8", "en", 8),
        (YEARS, "8 years", "en", 8),
        (YEARS, "вісім років", "uk", 8),
        (YEARS, "4 роки", "uk", 4),
        (YEARS, "восемь лет", "ru", 8),
        (YEARS, "5 лет", "ru", 5),
        (YEARS, "18 months", "en", 1),  # whole years
        (YEARS, "полтора года", "ru", 1),
        (YEARS, "200", "en", None),  # a typo, asked again
    ],
)
def test_parse_answer(q, text, language, expected):
    assert parse_answer(q, text, language) == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_label_reads_back_as_its_option(language):
    for check in CHECKS.values():
        for q in check.questions:
            for option in q.options:
                assert parse_answer(q, option_label(q.id, option, language), language) == option, (q.id, option)
