from pathlib import Path

import pytest

from pobyt.kb import KnowledgeBaseError, load
from pobyt.kb.loader import get_knowledge_base
from pobyt.kb.models import Text
from pobyt.kb.required import REQUIRED_OFFICES, REQUIRED_PROCEDURES
from tests.conftest import FIXTURE_KNOWLEDGE, ROOT


def test_real_knowledge_base_has_every_required_id(real_kb):
    assert set(REQUIRED_PROCEDURES) <= set(real_kb.procedures)
    assert set(REQUIRED_OFFICES) <= set(real_kb.offices)


def test_every_procedure_cites_a_known_source(real_kb):
    for proc in real_kb.procedures.values():
        assert proc.sources, proc.id
        assert all(ref.source in real_kb.sources for ref in proc.sources), proc.id


def test_loader_reads_typed_models(fixture_kb):
    proc = fixture_kb.procedures["temporary_residence_family_reunion"]
    assert proc.fees[0].amount_eur == 132.5
    assert proc.documents[2].max_age_days == 90
    assert proc.documents[2].legalisation.value == "apostille_or_superlegalisation"
    assert fixture_kb.files["procedures:temporary_residence_family_reunion"].endswith(
        "procedures/temporary_residence_family_reunion.yml"
    )
    assert fixture_kb.topics["family_reunion"].procedures == [
        "permanent_residence_5_years",
        "temporary_residence_family_reunion",
    ]


def test_text_falls_back_to_english_when_a_translation_is_missing():
    text = Text(en="Passport", uk="Паспорт")
    assert text.get("uk") == "Паспорт"
    assert text.get("ru") == "Passport"
    assert text.get("de") == "Passport"


def test_get_knowledge_base_loads_once_per_folder():
    assert get_knowledge_base(FIXTURE_KNOWLEDGE) is get_knowledge_base(FIXTURE_KNOWLEDGE)
    assert get_knowledge_base(ROOT / "knowledge") is not get_knowledge_base(FIXTURE_KNOWLEDGE)


def test_load_raises_with_the_file_and_field(kb_copy: Path):
    path = kb_copy / "procedures" / "temporary_protection.yml"
    path.write_text(path.read_text().replace("category: protection", "category: holidays"))
    with pytest.raises(KnowledgeBaseError) as error:
        load(kb_copy)
    (problem,) = error.value.problems
    assert problem.file.endswith("procedures/temporary_protection.yml")
    assert problem.field == "category"
    assert "permitted" in problem.message
