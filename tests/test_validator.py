"""Each kind of knowledge-base error is provoked in a copy of the fixture and must be reported."""

import datetime as dt
import re
from pathlib import Path
from typing import Callable

import pytest

from pobyt.kb.check import main as kb_check
from pobyt.kb.validate import validate
from tests.conftest import FIXTURE_SOURCES, ROOT

PROC = "procedures/temporary_residence_family_reunion.yml"


def run(kb_dir: Path, today: dt.date = dt.date(2026, 11, 24)):
    return validate(
        kb_dir, FIXTURE_SOURCES, today, required_procedures=(), required_offices=(), require_source_coverage=False
    )


def edit(kb_dir: Path, file: str, old: str, new: str) -> None:
    path = kb_dir / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_fixture_is_clean(kb_copy):
    report = run(kb_copy)
    assert report.problems == []
    assert report.sources_checked


def drop_review(kb_dir: Path, file: str) -> None:
    path = kb_dir / file
    path.write_text(re.sub(r"    review:\n(      .*\n)+", "", path.read_text(encoding="utf-8")), encoding="utf-8")


BREAKAGES = {
    "unknown key": (lambda d: edit(d, PROC, "summary:", "sumary:"), PROC, "sumary", "extra fields not permitted"),
    "missing field": (lambda d: edit(d, PROC, "last_reviewed: 2026-11-24\n", ""), PROC, "last_reviewed", "field required"),
    "bad yaml": (lambda d: edit(d, PROC, "category: temporary_residence", "category: [oops"), PROC, "", "cannot read YAML"),
    "unknown document": (
        lambda d: edit(d, PROC, "document: passport", "document: pasport"),
        PROC, "documents[0].document", "unknown document type 'pasport'",
    ),
    "unknown office": (
        lambda d: edit(d, PROC, "where_to_apply: [slovak_embassies", "where_to_apply: [embassy"),
        PROC, "where_to_apply[0]", "unknown office 'embassy'",
    ),
    "unknown related procedure": (
        lambda d: edit(d, PROC, "last_reviewed:", "related: [nothing]\nlast_reviewed:"),
        PROC, "related[0]", "unknown procedure 'nothing'",
    ),
    "unknown general procedure": (
        lambda d: edit(d, PROC, "last_reviewed:", "part_of: residence\npurpose_words: {en: [family]}\nlast_reviewed:"),
        PROC, "part_of", "unknown procedure or topic 'residence'",
    ),
    "purpose words without a general procedure": (
        lambda d: edit(d, PROC, "last_reviewed:", "purpose_words: {en: [family]}\nlast_reviewed:"),
        PROC, "purpose_words", "part_of and purpose_words go together",
    ),
    "unknown source": (
        lambda d: edit(d, PROC, "sources: [{source: guide", "sources: [{source: blog"),
        PROC, "sources[0].source", "unknown source 'blog'",
    ),
    "no source": (
        lambda d: edit(d, PROC, 'sources: [{source: guide, section: "Family reunion"}]', "sources: []"),
        PROC, "sources", "must cite at least one source",
    ),
    "number not in the sources": (
        lambda d: edit(d, PROC, "amount_eur: 132.50", "amount_eur: 133.50"),
        PROC, "fees[0].amount_eur", "number 133.50 appears in none of its cited sources",
    ),
    "number in text not in the sources": (
        lambda d: edit(d, PROC, 'processing_time: {en: "90 days."', 'processing_time: {en: "60 days."'),
        PROC, "processing_time.en", "number 60 appears in none",
    ),
    "fee without review flag": (
        lambda d: drop_review(d, "procedures/permanent_residence_5_years.yml"),
        "procedures/permanent_residence_5_years.yml", "fees[0].review", "every fee needs a review flag",
    ),
    "duplicate alias": (
        lambda d: edit(d, "procedures/permanent_residence_5_years.yml", "[married to a slovak]", "[family reunion]"),
        "topics.yml", "aliases.en", "alias 'family reunion' is also used by procedure permanent_residence_5_years",
    ),
    "id does not match file": (
        lambda d: edit(d, "procedures/temporary_protection.yml", "id: temporary_protection", "id: temporary_residence_family_reunion"),
        "procedures/temporary_protection.yml", "id", "does not match the file name",
    ),
    "duplicate id": (
        lambda d: (d / "procedures/copy.yml").write_text((d / PROC).read_text(encoding="utf-8"), encoding="utf-8"),
        "procedures/temporary_residence_family_reunion.yml", ".id", "duplicate id 'temporary_residence_family_reunion'",
    ),
    "topic without choice labels": (
        lambda d: edit(d, "procedures/permanent_residence_5_years.yml", "choice_label:", "#choice_label:"),
        "procedures/permanent_residence_5_years.yml", "choice_label", "needed by topic 'family_reunion'",
    ),
    "source file without record": (
        lambda d: edit(d, "sources.yml", "file: guide.txt", "file: missing.txt"),
        "sources.yml", "guide", "file missing.txt not found",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", BREAKAGES)
def test_each_error_kind_is_reported_with_file_and_field(kb_copy: Path, name: str):
    breakage: Callable[[Path], None]
    breakage, file, field, message = BREAKAGES[name]
    breakage(kb_copy)
    report = run(kb_copy)
    matching = [p for p in report.errors if message in p.message]
    assert matching, [str(p) for p in report.problems]
    problem = matching[0]
    assert (
        problem.file.replace("\\", "/").endswith(file if file != ".id" else "procedures/copy.yml")
        or file in problem.file
    )
    assert field in problem.field


def test_required_ids_are_checked(kb_copy: Path):
    report = validate(
        kb_copy,
        FIXTURE_SOURCES,
        required_procedures=("asylum",),
        required_offices=("unhcr",),
        require_source_coverage=False,
    )
    assert {(p.field, p.message) for p in report.errors} == {
        ("asylum", "required procedure is missing"),
        ("unhcr", "required office is missing"),
    }


def test_a_past_valid_until_is_a_warning_not_an_error(kb_copy: Path):
    report = run(kb_copy, today=dt.date(2027, 3, 5))
    assert report.errors == []
    assert [(p.field, p.message) for p in report.warnings] == [("validity.valid_until", "2027-03-04 has passed")]


def test_missing_translations_are_errors_or_only_lower_coverage(kb_copy: Path):
    edit(kb_copy, "procedures/temporary_protection.yml", 'uk: "Тимчасовий захист", ', "")
    strict = run(kb_copy)
    assert [(p.field, p.message) for p in strict.errors] == [("title", "missing uk text")]
    lenient = validate(
        kb_copy,
        FIXTURE_SOURCES,
        required_procedures=(),
        required_offices=(),
        require_translations=False,
        require_source_coverage=False,
    )
    assert lenient.errors == []
    assert lenient.coverage.percent("en") == 100.0
    assert lenient.coverage.percent("uk") < 100.0
    assert [p.field for p in lenient.coverage.missing["uk"]] == ["title"]


TRANSLATION_BREAKAGES = {
    "russian letters in ukrainian": (
        ('summary: {en: "Protection for people fleeing Ukraine.", uk: "Захист для людей, які тікають з України."',
         'summary: {en: "Protection for people fleeing Ukraine.", uk: "Защита для людей, которые бегут из Украины."'),
        "summary.uk", "letters of the other language in uk text: ы",
    ),
    "ukrainian letters in russian": (
        ('ru: "Защита для людей, бегущих из Украины."', 'ru: "Захист для людей, які тікають з України."'),
        "summary.ru", "letters of the other language in ru text: ії",
    ),
    "a russian sentence passed off as ukrainian": (
        ('uk: "Захист для людей, які тікають з України."', 'uk: "Защита для людей, бегущих из Украины от войны."'),
        "summary.uk", "text is identified as ru, not uk",
    ),
    "a number dropped": (
        ('processing_time: {en: "90 days.", uk: "90 днів.", ru: "90 дней."}',
         'processing_time: {en: "90 days.", uk: "дев\'яносто днів.", ru: "90 дней."}'),
        "processing_time.uk", "numbers differ from the English text: missing 90",
    ),
    "a number changed": (
        ('processing_time: {en: "90 days.", uk: "90 днів.", ru: "90 дней."}',
         'processing_time: {en: "90 days.", uk: "90 днів.", ru: "60 дней."}'),
        "processing_time.ru", "numbers differ from the English text: missing 90; not in English 60",
    ),
    "an english date in russian": (
        ('processing_time: {en: "90 days.", uk: "90 днів.", ru: "90 дней."}',
         'processing_time: {en: "90 days, until 4 March 2027.", uk: "90 днів, до 4 березня 2027.", ru: "90 дней, до 4 March 2027."}'),
        "processing_time.ru", "English month name",
    ),
    "a date in the wrong form": (
        ('processing_time: {en: "90 days.", uk: "90 днів.", ru: "90 дней."}',
         'processing_time: {en: "90 days, until 4 March 2027.", uk: "90 днів, до 4.3.2027.", ru: "90 дней, до 4 марта 2027."}'),
        "processing_time.uk", "date should be written as '4 березня 2027'",
    ),
    "a title without the glossary term": (
        ('title: {en: "Temporary protection", uk: "Тимчасовий захист"', 'title: {en: "Temporary protection", uk: "Тимчасовий прихисток"'),
        "title.uk", "does not use the glossary term 'тимчасовий захист'",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", TRANSLATION_BREAKAGES)
def test_translation_checks(kb_copy: Path, name: str):
    (old, new), field, message = TRANSLATION_BREAKAGES[name]
    file = PROC if old in (kb_copy / PROC).read_text(encoding="utf-8") else "procedures/temporary_protection.yml"
    edit(kb_copy, file, old, new)
    problems = [(p.field, p.message) for p in run(kb_copy).errors]
    assert any(f == field and m.startswith(message) for f, m in problems), problems


def test_a_procedure_without_aliases_in_a_language_is_an_error(kb_copy: Path):
    edit(kb_copy, PROC, "uk: [до чоловіка-іноземця], ", "")
    assert [(p.field, p.message) for p in run(kb_copy).errors] == [("aliases.uk", "no aliases in this language")]


def test_kb_check_prints_coverage_and_fails_on_errors(kb_copy: Path, capsys):
    assert kb_check(["--knowledge", str(kb_copy), "--sources", str(FIXTURE_SOURCES)]) == 1  # fixture lacks required ids
    out = capsys.readouterr().out
    assert "coverage: en 100.0 %" in out
    assert "required procedure is missing" in out


def test_the_real_knowledge_base_passes(capsys):
    sources = ROOT.parent / "shared" / "sources"
    if not sources.is_dir():
        pytest.skip("../shared/sources is not next to the repository")
    assert kb_check(["--knowledge", str(ROOT / "knowledge"), "--sources", str(sources)]) == 0
    out = capsys.readouterr().out
    assert "kb-check: 0 errors" in out
    assert "numbers checked against the source texts" in out


def test_native_thousands_separators_match_the_english_number():
    from pobyt.kb.models import Text
    from pobyt.kb.translations import check_text

    text = Text(en="That was €11,885 a year.", uk="Це було 11 885 євро на рік.", ru="Это было 11 885 евро в год.")
    assert list(check_text(text, "f.yml", "notes[0]")) == []
    wrong = Text(en="That was €11,885 a year.", uk="Це було 11 855 євро на рік.", ru="Это было 11 885 евро в год.")
    assert [p.field for p in check_text(wrong, "f.yml", "notes[0]")] == ["notes[0].uk"]
