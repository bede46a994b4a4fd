"""Answers rendered from the fixture knowledge base: exact text, as a person would read it."""

import datetime as dt

import pytest

from pobyt.answers import Button, render_aspect, render_choice, validity_lines
from tests.conftest import TODAY

FAMILY = "temporary_residence_family_reunion"
SOURCE_EN = "Source: Test guide (as of 2019). Checked on 24 November 2026."


def test_documents_answer_lists_each_document_with_its_rules(fixture_kb):
    answer = render_aspect(fixture_kb, FAMILY, "documents", "en", TODAY)
    assert answer.text == "\n".join(
        [
            "Family reunion with a foreigner (Prechodný pobyt na účel zlúčenia rodiny)",
            "Documents you need:",
            "• Valid passport",
            "• 2 × Photographs 3 x 3.5 cm",
            "• Criminal-record extract: not older than 90 days; with an apostille or superlegalisation; "
            "officially translated into Slovak",
            SOURCE_EN,
        ]
    )
    assert answer.buttons == []


def test_fees_answer_carries_the_review_warning_and_whom_to_ask(fixture_kb):
    answer = render_aspect(fixture_kb, FAMILY, "fees", "en", TODAY)
    assert answer.text == "\n".join(
        [
            "Family reunion with a foreigner (Prechodný pobyt na účel zlúčenia rodiny)",
            "Fees:",
            "• EUR 132.50: Application",
            "⚠ Fees may have changed. Confirm with IOM MIC (0850 211 478, mic@iom.int) before you pay or file.",
            SOURCE_EN,
        ]
    )


def test_ukrainian_answer_uses_ukrainian_headings_dates_and_plurals(fixture_kb):
    answer = render_aspect(fixture_kb, FAMILY, "documents", "uk", TODAY)
    lines = answer.text.split("\n")
    assert lines[1] == "Потрібні документи:"
    assert lines[4] == (
        "• Витяг з реєстру судимостей: не старші ніж 90 днів; з апостилем або суперлегалізацією; "
        "з офіційним перекладом словацькою"
    )
    assert lines[-1] == "Джерело: Тестовий посібник (станом на 2019). Перевірено 24 листопада 2026."


def test_where_answer_names_the_offices(fixture_kb):
    answer = render_aspect(fixture_kb, FAMILY, "where", "en", TODAY)
    assert answer.text.split("\n")[1:4] == [
        "Where to apply:",
        "• Slovak embassies",
        "• Foreign Police — Hrobákova 44, 852 02 Bratislava",
    ]


def test_an_aspect_the_sources_do_not_cover_is_said_honestly_with_a_human_contact(fixture_kb):
    answer = render_aspect(fixture_kb, "permanent_residence_5_years", "steps", "en", TODAY)
    assert answer.text == "\n".join(
        [
            "Permanent residence for five years",
            "My sources say nothing about this for Permanent residence for five years.",
            "A person can help you: IOM MIC (0850 211 478, mic@iom.int)",
        ]
    )


@pytest.mark.parametrize(
    ("today", "language", "expected"),
    [
        (dt.date(2026, 11, 24), "en", "Valid until 4 March 2027, that is in 100 days."),
        (dt.date(2026, 11, 24), "uk", "Діє до 4 березня 2027, тобто ще 100 днів."),
        (dt.date(2026, 11, 24), "ru", "Действует до 4 марта 2027, то есть ещё 100 дней."),
        (dt.date(2027, 3, 3), "en", "Valid until 4 March 2027, that is in 1 day."),
        (dt.date(2027, 3, 2), "ru", "Действует до 4 марта 2027, то есть ещё 2 дня."),
        (dt.date(2027, 3, 4), "en", "Valid until 4 March 2027: that is today."),
        (
            dt.date(2027, 3, 5),
            "en",
            "This was valid until 4 March 2027; that date has passed. Ask the IOM MIC helpline what applies now.",
        ),
    ],
)
def test_date_bound_facts_are_computed_against_today(fixture_kb, today, language, expected):
    assert validity_lines(fixture_kb.procedures["temporary_protection"], language, today) == [expected]


def test_choice_offers_one_button_per_procedure_keeping_the_aspect(fixture_kb):
    topic = fixture_kb.topics["family_reunion"]
    answer = render_choice(fixture_kb, topic.procedures, topic.question.get("ru"), "fees", "ru")
    assert answer.text == "Кто ваш родственник в Словакии?"
    assert answer.buttons == [
        Button("Гражданин Словакии", '/ask_fees{"procedure": "permanent_residence_5_years"}'),
        Button("Иностранец", '/ask_fees{"procedure": "temporary_residence_family_reunion"}'),
    ]


@pytest.mark.parametrize("aspect", ["overview", "documents", "fees", "where", "steps", "eligibility",
                                    "processing_time", "deadlines", "contacts"])  # fmt: skip
def test_every_aspect_of_every_real_procedure_renders(real_kb, aspect):
    for proc_id in real_kb.procedures:
        text = render_aspect(real_kb, proc_id, aspect, "en", TODAY).text
        assert text.startswith(real_kb.procedures[proc_id].title.en)
        assert "Source:" in text or "A person can help you" in text


@pytest.mark.parametrize(
    ("text", "branch"),
    [("я в Кошицях, з ким поговорити", "Poštová 1, 040 01 Košice"), ("I live in Bratislava", "Grösslingová 4")],
)
def test_human_contacts_add_the_branch_in_the_city_the_person_named(real_kb, text, branch):
    from pobyt.answers import human_contacts

    contacts = human_contacts(real_kb, "en", text)
    assert contacts.startswith("IOM Migration Information Centre (MIC) (0850 211 478, mic@iom.int")
    assert branch in contacts
    assert branch not in human_contacts(real_kb, "en", "hello")
