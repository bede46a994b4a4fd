"""The learned procedure router, the facts that lead a reply, and replies that never dead-end."""

import datetime as dt
from pathlib import Path

import pytest

from actions.actions import ActionFallback, ActionHelp
from pobyt import conversation
from pobyt.engine import router as router_module
from pobyt.engine.reading import described_procedure
from pobyt.engine.respond import leading_facts
from pobyt.engine.retrieval import analyse
from pobyt.engine.router import ProcedureRouter, load_or_train, training_examples
from pobyt.kb.loader import load, load_with_problems
from pobyt.messages import say

SEEN = {"disclaimer_shown": True}
TODAY = dt.date(2026, 12, 7)
HELPLINE = "0850 211 478"

SITUATIONS = """procedure: temporary_residence_family_reunion
messages:
  en:
    - {text: "my husband works in bratislava on a work permit and i want to live with him", aspect: overview}
    - {text: "my wife is indian and has a job in kosice, can the kids and i join her", aspect: eligibility}
  uk:
    - {text: "чоловік працює в Словаччині, хочу переїхати до нього з дітьми", aspect: overview}
"""


@pytest.fixture
def situations_kb(kb_copy: Path):
    """The fixture knowledge base with one procedure's situation messages."""
    (kb_copy / "situations").mkdir()
    (kb_copy / "situations" / "temporary_residence_family_reunion.yml").write_text(SITUATIONS, encoding="utf-8")
    return load(kb_copy)


def test_situation_messages_are_loaded_and_checked(kb_copy: Path):
    (kb_copy / "situations").mkdir()
    (kb_copy / "situations" / "nothing.yml").write_text(
        SITUATIONS.replace("temporary_residence_family_reunion", "no_such_procedure"), encoding="utf-8"
    )
    _, problems = load_with_problems(kb_copy)
    assert [(p.field, p.message) for p in problems] == [("procedure", "unknown procedure 'no_such_procedure'")]


def test_the_router_learns_from_names_statements_question_variants_and_situations(situations_kb):
    examples = training_examples(situations_kb)
    assert ("Temporary protection", "temporary_protection") in examples
    assert ("can i get a job with temporary refuge", "temporary_protection") in examples
    assert ("чоловік працює в Словаччині, хочу переїхати до нього з дітьми", "temporary_residence_family_reunion") in (
        examples
    )
    assert {label for _, label in examples} == set(situations_kb.procedures)


def test_the_router_ranks_a_described_situation_that_names_no_procedure(situations_kb):
    ranked = ProcedureRouter(training_examples(situations_kb)).rank(
        "my husband has a job in Nitra, can I come to live with him?"
    )
    assert ranked[0].procedure == "temporary_residence_family_reunion"
    assert ranked[0].score > ranked[1].score


def test_a_trained_router_is_saved_once_and_loaded_after(situations_kb, tmp_path: Path, monkeypatch):
    examples = training_examples(situations_kb)
    first = load_or_train(examples, tmp_path)
    (saved,) = tmp_path.glob("router-*.joblib")

    def no_training(self, examples):
        raise AssertionError("the saved router must be loaded, not trained again")

    monkeypatch.setattr(router_module.ProcedureRouter, "__init__", no_training)
    again = load_or_train(examples, tmp_path)
    text = "my wife works in Kosice, can I join her?"
    assert again.rank(text) == first.rank(text)
    assert list(tmp_path.glob("router-*.joblib")) == [saved]


def test_an_unreadable_router_is_trained_again_and_an_outdated_one_replaced(situations_kb, tmp_path: Path):
    examples = training_examples(situations_kb)
    load_or_train(examples, tmp_path)
    (saved,) = tmp_path.glob("router-*.joblib")
    saved.write_bytes(b"not a router")
    assert load_or_train(examples, tmp_path).rank("temporary protection")[0].procedure == "temporary_protection"
    family = saved.name.split("-")[1]
    outdated = tmp_path / f"router-{family}-0000000000000000.joblib"
    other_knowledge_base = tmp_path / "router-ffffffff-0000000000000000.joblib"
    outdated.write_bytes(b"old")
    other_knowledge_base.write_bytes(b"other")
    saved.unlink()
    load_or_train(examples, tmp_path)
    assert not outdated.exists()
    assert other_knowledge_base.exists()


@pytest.mark.parametrize(
    ("text", "procedure"),
    [
        ("my company in poland is sending me to bratislava for four months to install machines", "posted_worker"),
        ("мені 15, я приїхав до Словаччини сам, без батьків. що мені робити?", "tolerated_stay_unaccompanied_minor"),
        ("я из Ирана, дома меня преследуют за веру, хочу попросить защиты здесь", "asylum"),
    ],
)
def test_a_situation_described_without_a_name_is_answered_about_its_procedure(real_kb, text, procedure):
    assert described_procedure(real_kb, text) == procedure
    reply = conversation.answer_question(text, None, [], SEEN, real_kb, TODAY)
    assert reply.answers[0].data["procedure"] == procedure
    assert reply.slots["procedure"] == procedure


@pytest.mark.parametrize("text", ["thank you so much for your help, you are great", "blah blah foo", "ok"])
def test_small_talk_and_noise_describe_no_procedure(real_kb, text):
    assert described_procedure(real_kb, text) is None


def test_the_statements_that_answer_lead_the_reply_whatever_aspect_was_guessed(real_kb):
    text = "I overstayed my visa by 10 days because I was in hospital. What will happen at the border?"
    hits = leading_facts(real_kb, text, "irregular_residence")
    assert any("fined" in hit.fact.text("en") for hit in hits)
    reply = conversation.answer_question(text, "ask_processing_time", [], SEEN, real_kb, TODAY)
    (answer,) = reply.answers
    lines = answer.text.split("\n")
    assert lines[0].startswith("Irregular stay")
    assert "fined" in "\n".join(lines[1:4])
    assert answer.data["facts"]


def test_a_weak_match_says_so_and_names_a_person(real_kb):
    reply = conversation.answer_question(
        "I overstayed my visa by 10 days because I was in hospital. What will happen at the border?",
        None, [], SEEN, real_kb, TODAY,
    )  # fmt: skip
    text = reply.answers[0].text
    assert say("not_sure", "en", title=real_kb.procedures["irregular_residence"].title.en) in text
    assert HELPLINE in text


def test_a_question_entry_the_sources_do_not_answer_names_the_helpline(real_kb):
    question = real_kb.questions["tp_travel_abroad"]
    assert question.not_in_sources
    reply = conversation.answer_question("can i travel schengen with dočasné útočisko", None, [], SEEN, real_kb, TODAY)
    assert reply.answers[0].data["question"] == "tp_travel_abroad"
    assert HELPLINE in reply.answers[0].text


@pytest.mark.parametrize(
    ("text", "language"),
    [("how much pension will i get after 10 years of work here", "en"), ("пенсійний вік в словаччині для жінок", "uk")],
)
async def test_a_question_read_as_a_checks_answer_outside_a_check_is_not_shown_the_menu(
    make_tracker, dispatcher, text, language
):
    await ActionHelp().run(dispatcher, make_tracker(text, "check_answer", slots=SEEN), domain={})
    (answer,) = dispatcher.messages
    assert not answer["text"].startswith(say("help", language)[:30])
    assert HELPLINE in answer["text"]


async def test_the_menu_is_still_shown_for_help(make_tracker, dispatcher):
    await ActionHelp().run(dispatcher, make_tracker("help", "help", slots=SEEN), domain={})
    (answer,) = dispatcher.messages
    assert answer["text"].startswith(say("help", "en"))


async def test_an_unsure_fallback_that_describes_a_procedure_is_answered(make_tracker, dispatcher):
    text = "the address on my card is wrong because I moved 6 months ago and forgot to tell anyone. am I in trouble?"
    events = await ActionFallback().run(dispatcher, make_tracker(text, "nlu_fallback", slots=SEEN), domain={})
    (answer,) = dispatcher.messages
    assert answer["custom"]["pobyt"]["procedure"] == "address_change"
    assert {"event": "slot", "name": "procedure", "value": "address_change", "timestamp": None} in events


def test_analysed_words_of_noise_are_unknown_to_the_knowledge_base(real_kb):
    from pobyt.engine.retrieval import fact_index

    assert fact_index(real_kb).known(analyse("blah foo")) == []


def test_a_procedure_named_in_passing_gives_way_to_what_the_message_is_about(real_kb):
    text = "я из Вьетнама, работаю в ресторане брата, никаких бумаг на работу у меня нет. что делать?"
    from pobyt.engine.reading import overriding_procedure

    assert overriding_procedure(real_kb, text, "driving_license") is not None
    assert overriding_procedure(real_kb, "how do I exchange my driving licence from Serbia", "driving_license") is None


def test_an_unsure_reading_of_a_situation_says_how_it_was_understood(real_kb):
    text = "приїхала по безвізу місяць тому і знайшла тут роботу, що мені далі робити?"
    reply = conversation.answer_question(text, None, [], SEEN, real_kb, TODAY)
    (answer,) = reply.answers
    title = real_kb.procedures[answer.data["procedure"]].title.uk
    assert answer.data["procedure"] == "temporary_residence_employment"
    assert answer.text.split("\n")[1] == say("understood_as", "uk", title=title)
    assert "0850 211 478" in answer.text  # not sure what it is about: whom to ask is said
    payloads = [b.payload for b in answer.buttons]
    assert '/ask_documents{"procedure": "temporary_residence_employment"}' in payloads
    assert payloads[-1] == "/ask_human"


def test_a_topic_with_more_said_is_answered_about_the_procedure_the_rest_describes(real_kb):
    reply = conversation.answer_question("гражданство словакии экзамен какие вопросы", None, [], SEEN, real_kb, TODAY)
    assert reply.answers[0].data.get("procedure") == "citizenship_naturalization"
    bare = conversation.answer_question("гражданство", None, [], SEEN, real_kb, TODAY)
    assert "choices" in bare.answers[0].data
    # Words that only say the aspect do not say which one: the answer differs, so it is asked back.
    aspect_only = conversation.answer_question(
        "які документи потрібні для возз'єднання сім'ї", None, [], SEEN, real_kb, TODAY
    )
    assert aspect_only.answers[0].data["choices"] == [
        "permanent_residence_5_years",
        "temporary_residence_family_reunion",
    ]


def test_a_name_passed_over_is_said_and_offered(real_kb):
    text = "I came to Slovakia because I'm persecuted at home for being gay. where do I go to ask for protection?"
    reply = conversation.answer_question(text, None, [], SEEN, real_kb, TODAY)
    (answer,) = reply.answers
    assert answer.data["procedure"] == "asylum"
    assert answer.text.split("\n")[1] == say("understood_as", "en", title=real_kb.procedures["asylum"].title.en)
    assert '/ask_overview{"procedure": "voluntary_return"}' in [b.payload for b in answer.buttons]


def test_what_a_procedure_states_anywhere_is_not_uncovered(real_kb):
    from pobyt.engine.respond import uncovered

    # Words from its documents and fees, far from its title: the whole procedure is read, not its name.
    assert not uncovered(real_kb, "marriage certificate translation fee", "temporary_residence_family_reunion")
    assert uncovered(real_kb, "pension amount tax return", "temporary_residence_family_reunion")


def test_what_to_do_in_a_situation_no_statement_matches_gets_the_steps_not_nothing(real_kb):
    text = "моя фірма в польщі відправляє мене на будову в словаччину на пів року. шо мені треба?"
    reply = conversation.answer_question(text, None, [], SEEN, real_kb, TODAY)
    answer = reply.answers[-1]
    assert answer.data["procedure"] == "posted_worker" and answer.data["aspect"] == "steps"
    assert "90 днів" in answer.text
    assert say("not_covered", "uk", title=real_kb.procedures["posted_worker"].title.uk).split("«")[0] not in answer.text


def test_a_question_entry_about_another_persons_situation_gives_way_to_the_sure_reading(real_kb):
    # "что делать" matches the displaced persons' "what must I do" entry; the message is about employment.
    text = "меня уволили с работы, у меня побыт по работе. что делать?"
    reply = conversation.answer_question(text, None, [], SEEN, real_kb, TODAY)
    assert reply.slots["procedure"] == "temporary_residence_employment"
    assert "15 июля 2026" not in reply.answers[-1].text


def test_an_aspect_guessed_by_the_classifier_that_a_procedure_lacks_gives_its_overview_not_nothing(real_kb):
    reply = conversation.answer_question(
        "чи треба апостиль на індійське свідоцтво", "ask_documents", [], SEEN, real_kb, TODAY
    )
    answer = reply.answers[-1]
    assert answer.data["procedure"] == "apostille" and answer.data["aspect"] == "overview"
    assert "Гаазьк" in answer.text and "нічого не кажуть" not in answer.text


@pytest.mark.parametrize("text", ["як перейти з dočasné útočisko на прехідний побит", "как перейти с тз на внж"])
def test_from_protection_to_residence_named_second_is_the_transition(real_kb, text):
    reply = conversation.answer_question(text, None, [], SEEN, real_kb, TODAY)
    assert reply.slots["procedure"] == "temporary_protection_transition"


def test_a_slovak_passport_is_citizenship_and_another_passport_is_not(real_kb):
    text = "I've lived here for 11 years and my children study here, I want a Slovak passport. Where do I begin?"
    assert conversation.answer_question(text, None, [], SEEN, real_kb, TODAY).slots["procedure"] == (
        "citizenship_naturalization"
    )
    other = "у меня есть ещё румынский паспорт, по какому паспорту оформляться в Словакии?"
    assert conversation.answer_question(other, None, [], SEEN, real_kb, TODAY).slots.get("procedure") != (
        "citizenship_naturalization"
    )


@pytest.mark.parametrize("intent", [None, "ask_documents"])
def test_two_entries_about_the_same_procedure_that_match_equally_are_both_shown(real_kb, intent):
    # The classifier's guess ("documents") picks which comes first, not which is left out.
    reply = conversation.answer_question("moved flat, do i need to tell police?", intent, [], SEEN, real_kb, TODAY)
    text = reply.answers[-1].text
    assert "5 working days" in text or "five working days" in text
    assert "list vlastníctva" in text  # the new card's documents, the other half


@pytest.mark.parametrize(
    ("text", "child"),
    [
        ("i am from syria and arrived at the border without documents. what happens to me?", False),
        ("мені 16, я тут без батьків, живу в знайомих. що мені треба зробити?", True),
    ],
)
def test_a_procedure_only_for_children_is_read_only_when_the_message_speaks_of_a_child(real_kb, text, child):
    reply = conversation.answer_question(text, None, [], SEEN, real_kb, TODAY)
    said = " ".join([a.text for a in reply.answers] + [b.title for a in reply.answers for b in a.buttons])
    read = reply.slots.get("procedure") == "tolerated_stay_unaccompanied_minor" or "unaccompanied" in said
    assert read == child


@pytest.mark.parametrize(
    ("procedure", "text", "out"),
    [
        ("irregular_residence", "I submitted the renewal two weeks before it expired, my card expired yesterday", True),
        ("irregular_residence", "подала на продовження, карта закінчилась, я нелегал?", True),
        ("irregular_residence", "сегодня закончилась карта а я не подала ничего. что будет?", False),
        (
            "temporary_protection_transition",
            "I was told I can't get temporary protection because I'm not Ukrainian",
            True,
        ),
        ("temporary_protection", "мне отказали в тз, что теперь", True),
        ("temporary_protection", "можна поїхати в україну на 2 тижні і не втратити захист?", False),
        ("tolerated_stay_unaccompanied_minor", "arrived at the border without documents", True),
        ("tolerated_stay_unaccompanied_minor", "мені 16, я тут без батьків", False),
    ],
)
def test_what_a_message_says_can_rule_a_procedure_out(procedure, text, out):
    from pobyt.engine.reading import ruled_out

    assert ruled_out(procedure, text) is out


def test_a_person_refused_temporary_protection_is_not_sent_to_the_transition_that_requires_it(real_kb):
    text = (
        "I studied in Kharkiv before the war, I'm from Ghana. I was told I can't get temporary protection because "
        "I'm not Ukrainian. A Slovak university accepted me, can I apply for student residence from here?"
    )
    reply = conversation.answer_question(text, None, [], SEEN, real_kb, TODAY)
    assert "temporary_protection_transition" not in [a.data.get("procedure") for a in reply.answers]


def test_a_weak_match_never_leads_with_the_yes_or_no_of_another_question(real_kb):
    text = "my mum is 72 and alone in zaporizhzhia, i'm in slovakia working with a residence card. can she come?"
    reply = conversation.answer_question(text, None, [], SEEN, real_kb, TODAY)
    lines = reply.answers[-1].text.split("\n")
    assert not any(line.startswith(("• No.", "• No,", "• Yes")) for line in lines)


def test_a_person_from_ukraine_read_into_a_tolerated_stay_is_pointed_to_temporary_protection(real_kb):
    text = "I'm 17, I came from Ukraine alone, my parents stayed in Dnipro. What papers do I need to stay here?"
    answer = conversation.answer_question(text, None, [], SEEN, real_kb, TODAY).answers[-1]
    assert answer.data["procedure"] == "tolerated_stay_unaccompanied_minor"
    assert answer.text.split("\n")[1] == say("protection_pointer", "en")
    payloads = [b.payload for b in answer.buttons]
    assert payloads.count('/ask_overview{"procedure": "temporary_protection"}') == 1


def test_no_pointer_to_temporary_protection_for_someone_not_from_ukraine(real_kb):
    text = "I'm 16, I came from Syria alone, my parents stayed there. What papers do I need to stay here?"
    answer = conversation.answer_question(text, None, [], SEEN, real_kb, TODAY).answers[-1]
    assert say("protection_pointer", "en") not in answer.text
