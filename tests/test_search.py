"""Recognition of procedures and topics from the knowledge base's own names."""

import pytest

from pobyt.kb.search import KnowledgeBaseSearch, normalise, token_similarity


@pytest.fixture(scope="module")
def search(real_kb):
    return KnowledgeBaseSearch(real_kb)


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("what do I need for family reunion", "topic", "family_reunion"),
        ("I am married to a Slovak, what documents?", "procedure", "permanent_residence_5_years"),
        ("how much is temporary protection", "procedure", "temporary_protection"),
        ("docasne utocisko", "procedure", "temporary_protection"),
        ("documents for temporary residence for study", "procedure", "temporary_residence_study"),
        ("how do I apply for asylum", "procedure", "asylum"),
        ("eu blue card salary", "procedure", "eu_blue_card"),
        ("do I need an apostile on my papers", "procedure", "apostille"),
        ("what happens after temporary protection ends", "procedure", "temporary_protection_transition"),
    ],
)
def test_best_match(search, text, kind, expected):
    best = search.best(text)
    assert best is not None, text
    assert (best.kind, best.id) == (kind, expected)


@pytest.mark.parametrize("text", ["hello", "what is the weather in Paris", "thanks a lot", ""])
def test_no_match_for_messages_that_name_nothing(search, text):
    assert search.best(text) is None


def test_normalise_strips_latin_diacritics_but_keeps_cyrillic_letters():
    assert normalise("Dočasné útočisko") == "docasne utocisko"
    assert normalise("Посвідка й їжа") == "посвідка й їжа"


@pytest.mark.parametrize(
    ("a", "b", "matches"),
    [("residence", "residences", True), ("посвідка", "посвідки", True), ("reunion", "reunoin", True), ("union", "reunion", False),
     ("visa", "asylum", False), ("2027", "2026", False)],
)  # fmt: skip
def test_token_similarity(a, b, matches):
    assert (token_similarity(a, b) > 0) is matches


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A general name (here an alias of temporary residence) and a purpose word of one of its kinds.
        ("trp for work", "temporary_residence_employment"),
        ("prechodny pobyt for study", "temporary_residence_study"),
        ("прехідний побит на навчання", "temporary_residence_study"),
        ("временный побыт для работы", "temporary_residence_employment"),
        ("temporary residence for my wife", "temporary_residence_family_reunion"),
        ("пмж бессрочное", "permanent_residence_unlimited"),
        ("постійний побит без обмеження терміну", "permanent_residence_unlimited"),
        # Two purposes: the kind with more of its words wins (her work permit is the context).
        (
            "жена иностранка у нее внж по работе, какие документы на воссоединение к ней",
            "temporary_residence_family_reunion",
        ),
        # A topic as the general name: the kinds of tolerated stay.
        ("толерований побут для дітей без батьків", "tolerated_stay_unaccompanied_minor"),
        ("tolerated stay because i cannot leave the country", "tolerated_stay_departure_impossible"),
        # No purpose: the general procedure itself.
        ("documents for temporary residence", "temporary_residence"),
        ("постоянное проживание", "permanent_residence"),
    ],
)
def test_a_general_name_with_a_purpose_names_the_kind(search, text, expected):
    best = search.best(text)
    assert best is not None and (best.kind, best.id) == ("procedure", expected), best


def test_a_purpose_word_alone_names_nothing(search):
    assert search.best("I want to study") is None


def test_a_general_name_inside_a_longer_name_gets_no_purpose(search):
    """ "побут" is part of "толерований побут": "діти" does not make it family reunion."""
    best = search.best("шо таке толерований побут для дітей")
    assert best is not None and (best.kind, best.id) == ("topic", "tolerated_stay")


def test_latin_lookalike_letters_inside_cyrillic_words_are_read_as_cyrillic():
    assert normalise("мiграцiйний уряд") == "міграційний уряд"  # Latin "i" typed on a Ukrainian keyboard
    assert normalise("migracny urad") == "migracny urad"


def test_an_office_named_clearly_better_than_a_procedure_is_the_subject(real_kb):
    from pobyt.conversation import decide_subject
    from pobyt.recognition import recognise

    subject = decide_subject(recognise("матрика часи роботи", real_kb), real_kb)
    assert (subject.kind, subject.id) == ("office", "registry_office")
    subject = decide_subject(recognise("документи на посвідку в цудзинецкій поліції", real_kb), real_kb)
    assert subject.kind == "procedure"


@pytest.mark.parametrize(
    ("text", "procedure"),
    [
        ("после 5 лет внж можно на пмж?", "permanent_residence"),
        ("permanent residence after 5 years requirements", "permanent_residence"),
        ("I have lived here 5 years, permanent residence?", "permanent_residence"),
        ("пмж на 5 лет документы", "permanent_residence_5_years"),
        ("permanent residence for five years for my wife", "permanent_residence_5_years"),
    ],
)
def test_years_already_spent_do_not_name_the_five_year_permanent_residence(real_kb, text, procedure):
    from pobyt.recognition import recognise

    assert [e["value"] for e in recognise(text, real_kb)][0] == procedure


def test_years_of_residence_asked_about_permanent_residence_get_long_term_residence(real_kb):
    from pobyt import conversation

    reply = conversation.answer_question("после 5 лет внж можно на пмж?", None, [], {"disclaimer_shown": True}, real_kb)
    text = reply.answers[0].text
    assert "долгосрочное проживание" in text and "5 лет" in text


@pytest.mark.parametrize(
    ("a", "b", "similar"),
    [
        ("приехать", "переехать", False),  # arrive, move flat: two words, neither a typo
        ("посвидка", "посвідка", True),  # a Russian keyboard's "посвідка"
        ("прожывание", "проживание", True),
    ],
)
def test_two_words_of_the_language_are_not_typos_of_each_other(a, b, similar):
    from pobyt.kb.search import token_similarity

    assert (token_similarity(a, b) > 0) == similar
