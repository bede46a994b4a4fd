import pytest

from pobyt.language import choose_language, detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what documents do I need for asylum", "en"),
        ("що таке тимчасовий захист?", "uk"),
        ("что такое временная защита?", "ru"),
        ("скільки коштує посвідка", "uk"),
        ("сколько стоит вид на жительство", "ru"),
        ("dočasné útočisko", None),
        # Slovak names around Cyrillic words: the person writes Cyrillic, never English.
        ("телефон cudzinecká polícia кошице", "uk"),
        ("12345 !!!", None),
    ],
)
def test_detect_language(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    ("text", "current", "expected"),
    [
        ("що таке тимчасовий захист?", None, "uk"),  # the first message decides
        ("ВНЖ", "uk", "uk"),  # one word: no clear evidence
        ("а для дитини нужно", "ru", "ru"),  # mixed uk/ru: keep the current language
        ("а для дитини?", "ru", "uk"),  # short but clearly Ukrainian: switch
        ("дякую", "ru", "uk"),
        ("паспорт", "ru", "ru"),  # the same word in both languages
        ("сколько стоит вид на жительство для ребенка", "uk", "ru"),  # a clear Russian sentence switches
        ("docasne utocisko", "ru", "ru"),  # a Slovak term is not a language switch
        ("how much does it cost", "uk", "en"),
    ],
)
def test_choose_language_switches_only_on_clear_evidence(text, current, expected):
    assert choose_language(text, current) == expected
