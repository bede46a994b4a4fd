"""The answer engine's parts: source coverage, the importer, several questions, pre-filled checks, the arbiter."""

import re
import shutil
from pathlib import Path

import pytest
import yaml

from pobyt import conversation
from pobyt.checks import get_check
from pobyt.checks.parsing import answers_in_message
from pobyt.engine.reading import asks_for_language, question_parts
from pobyt.importer import MAX_PER_INTENT, question_examples
from pobyt.kb.source_coverage import check_source_coverage, source_paragraphs
from pobyt.nlu import informational_intent
from tests.conftest import ROOT

SOURCES = ROOT.parent / "shared" / "sources"


def test_paragraphs_are_lines_with_facts_each_once():
    text = "Heading\n\nAsylum is granted by the Migration Office of the Ministry.\nFee EUR 18\nFee EUR 18\n"
    assert [p.text for p in source_paragraphs(text)] == [
        "Asylum is granted by the Migration Office of the Ministry.",
        "Fee EUR 18",
    ]


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    return target


@pytest.mark.skipif(not SOURCES.is_dir(), reason="the shared sources are next to the repository")
def test_every_paragraph_of_the_sources_is_covered_or_left_out(real_kb):
    assert list(check_source_coverage(real_kb, ROOT / "knowledge", SOURCES)) == []


@pytest.mark.skipif(not SOURCES.is_dir(), reason="the shared sources are next to the repository")
def test_a_paragraph_neither_covered_nor_left_out_fails_the_check(real_kb, knowledge_copy):
    path = knowledge_copy / "coverage" / "amendment_2026.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    removed = data["paragraphs"].pop(0)
    data["paragraphs"][0]["covered_by"] = ["no_such_procedure"]
    data["paragraphs"][0].pop("left_out", None)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    messages = [p.message for p in check_source_coverage(real_kb, knowledge_copy, SOURCES)]
    assert any(f"paragraph {removed['id']} is neither covered nor left out" in m for m in messages)
    assert "unknown entry 'no_such_procedure'" in messages


def test_the_importer_teaches_aspect_intents_from_question_entries_within_a_cap(real_kb):
    examples = question_examples(real_kb)
    intents = {e["intent"] for e in examples}
    assert intents <= {"ask_fees", "ask_processing_time", "ask_documents", "ask_where", "ask_contacts"}
    assert all(sum(e["intent"] == i for e in examples) <= MAX_PER_INTENT for i in intents)
    assert len({e["text"].lower() for e in examples}) == len(examples)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (
            "I'm from Serbia. How much money do I need, and is it true they check the profit?",
            ["I'm from Serbia. How much money do I need?", "I'm from Serbia. is it true they check the profit?"],
        ),
        ("Маю ТЗ. Скільки коштує? Де подавати?", ["Маю ТЗ. Скільки коштує?", "Маю ТЗ. Де подавати?"]),
        ("what documents for family reunion?", []),
        ("How long does it take, and once she arrives what must she do?", []),
    ],
)
def test_a_message_with_several_questions_is_split_with_its_situation(text, parts):
    assert question_parts(text) == parts


@pytest.mark.parametrize(
    ("check_id", "text", "told"),
    [
        ("family", "my wife is Slovak and we live in Nitra", {"check_family_member": "slovak_citizen"}),
        ("after_protection", "маю тимчасовий захист, працюю з 2024", {"check_purpose": "employment"}),
        ("permanent", "I have permanent residence for 5 years", {"check_status": "pr_5_years"}),
        ("family", "yes", {}),
    ],
)
def test_a_check_takes_the_answers_its_opening_message_gives(check_id, text, told):
    found = answers_in_message(list(get_check(check_id).questions), text)
    assert {k: v for k, v in found.items() if k in told} == told
    if not told:
        assert found == {}


RANKING = [{"name": "check_after_protection"}, {"name": "ask_deadlines"}, {"name": "ask_overview"}]


def test_a_check_intent_yields_to_an_answerable_question():
    intent = {"name": "check_after_protection", "confidence": 0.8}
    replaced = informational_intent("is my temporary protection over in March 2027?", intent, RANKING, [])
    assert replaced == {"name": "ask_deadlines", "confidence": 0.8}


@pytest.mark.parametrize(
    ("check", "text"),
    [
        ("check_permanent", "громадянство словаччини через скільки років можна отримати"),
        ("check_permanent", "живу здесь 9 лет, хочу словацкий паспорт, с чего начать"),
        ("check_family", "мені 16, я тут сама без батьків, що мені робити"),
        ("check_after_protection", "can I stay after March 2027?"),
    ],
)
def test_a_check_intent_yields_when_the_message_is_clearly_about_one_procedure(check, text):
    replaced = informational_intent(text, {"name": check, "confidence": 0.7}, RANKING, [])
    assert replaced is not None and replaced["name"] in ("ask_deadlines", "ask_overview")


def test_a_far_down_aspect_intent_does_not_replace_a_check():
    ranking = [{"name": "check_after_protection"}, {"name": "thank"}, {"name": "ask_human"}, {"name": "ask_fees"}]
    replaced = informational_intent("can I stay after March 2027?", {"name": "check_after_protection"}, ranking, [])
    assert replaced["name"] == "ask_overview"


@pytest.mark.parametrize(
    ("check", "text"),
    [
        ("check_permanent", "check if I can get citizenship"),
        ("check_after_protection", "перевірте, чи можу я залишитися після березня 2027"),
        ("check_family", "чи можу я привезти дружину до словаччини"),
    ],
)
def test_a_request_for_the_check_or_a_family_case_starts_the_check(check, text):
    assert informational_intent(text, {"name": check, "confidence": 0.7}, RANKING, []) is None


def test_an_explicit_short_check_request_still_starts_the_check():
    intent = {"name": "check_family", "confidence": 0.9}
    assert informational_intent("can I bring my wife to slovakia", intent, RANKING, []) is None
    assert informational_intent("/check_family", intent, RANKING, []) is None
    assert informational_intent("is my temporary protection over?", {"name": "ask_overview"}, RANKING, []) is None


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("говори українською", True),
        ("по-русски", True),
        ("answer in english please", True),
        ("техогляд на українську машину де робити", False),
        ("can I speak English at the office with the police officer?", False),
    ],
)
def test_a_language_named_in_a_question_is_not_a_request_to_switch(text, asks):
    assert asks_for_language(text) is asks


@pytest.mark.parametrize(
    ("text", "procedure"),
    [
        (
            "Я на тимчасовому захисті, хочу перейти на побит на роботу, які документи?",
            "temporary_protection_transition",
        ),
        (
            "I have temporary protection, what documents for temporary residence for employment?",
            "temporary_protection_transition",
        ),
        ("what documents for temporary residence for employment?", "temporary_residence_employment"),
    ],
)
def test_temporary_residence_from_temporary_protection_is_the_transition(real_kb, text, procedure):
    reply = conversation.answer_question(text, "ask_documents", [], {"disclaimer_shown": True}, real_kb)
    assert reply.slots["procedure"] == procedure


@pytest.mark.parametrize(
    ("text", "language", "missing"),
    [
        ("телефон поліції для іноземців у Братиславі", "uk", "номера телефону"),
        ("how do I book an appointment at the foreign police", "en", "how to book an appointment"),
        ("часы работы иностранной полиции", "ru", "часов работы"),
        # Without the aspect intent: the free-legal-help entry (which names Košice) must not answer it.
        ("phone number cudzinecka policia kosice", "en", "phone number"),
        ("номер телефону поліції для іноземців в нітрі", "uk", "номера телефону"),
    ],
)
def test_an_office_detail_the_sources_lack_is_said_with_the_helpline(text, language, missing):
    intent = "ask_contacts" if "kosice" not in text and "нітрі" not in text else None
    reply = conversation.answer_question(text, intent, [], {"language": language})
    answer = reply.answers[-1]
    assert answer.data["office"] == "foreign_police"
    assert missing in answer.text and "0850 211 478" in answer.text


def test_an_office_detail_the_sources_give_is_not_said_missing():
    answer = conversation.answer_question("IOM migration centre phone", "ask_contacts", [], {}).answers[-1]
    assert "0850 211 478" in answer.text and "do not give" not in answer.text


def test_the_menu_of_checks_yields_to_a_described_situation_but_not_to_a_bare_request():
    text = (
        "I came here on a tourist visa and fighting started again at home, I'm afraid to go back. What are my options?"
    )
    assert informational_intent(text, {"name": "check_menu"}, RANKING, []) is not None
    assert informational_intent("what can I apply for", {"name": "check_menu"}, RANKING, []) is None


def test_a_long_description_nothing_answers_offers_its_likeliest_readings_not_a_shrug():
    text = "я в Словакии уже пять лет, работаю, хочу жить тут без продлений каждые два года, что делать"
    assert conversation.suggestions(conversation.get_knowledge_base(), text)


@pytest.mark.parametrize(
    ("text", "procedure"),
    [
        (
            "my mum is 72 and alone in zaporizhzhia, i'm in slovakia working with a residence card. "
            "can she come and live with me?",
            "temporary_residence_family_reunion",
        ),
        (
            "Моей маме 75 лет, она живёт одна в Запорожье. Я здесь на ПМЖ. Можно ли забрать её к себе?",
            "temporary_residence_family_reunion",
        ),
        # Whom the relative joins decides otherwise: a Slovak spouse, or temporary protection.
        ("my wife is slovak and we live in nitra, i have a residence card. can i bring my kids to live with us?", None),
        ("я на тимчасовому захисті, хочу забрати маму до себе, вона може отримати захист?", None),
        # A relative mentioned, nobody coming: the status asked about stays.
        ("I have permanent residence, my son goes to school here. how long is my card valid?", None),
    ],
)
def test_a_relative_coming_to_live_with_the_person_is_family_reunion(real_kb, text, procedure):
    reply = conversation.answer_question(text, None, [], {"disclaimer_shown": True}, real_kb)
    reunion = reply.slots.get("procedure") == "temporary_residence_family_reunion"
    assert reunion == (procedure is not None)


def test_a_baby_born_to_parents_on_temporary_protection_is_not_sent_to_family_reunion_alone(real_kb):
    text = "our baby was born in Kosice last week, we both have temporary protection. does she get protection too?"
    reply = conversation.answer_question(text, None, [], {"disclaimer_shown": True}, real_kb)
    answer = reply.answers[0].text
    assert reply.slots["procedure"] == "citizenship_by_birth"
    assert "temporary protection, the sources do not say" in " ".join(answer.split())
    assert "Migration Information Centre" in answer


def test_a_relative_joining_from_ukraine_is_pointed_to_temporary_protection(real_kb):
    text = "my grandmother is 80, Ukrainian, she wants to come live with us in Prešov. we are here since 2022. how can she stay?"
    reply = conversation.answer_question(text, None, [], {"disclaimer_shown": True}, real_kb)
    (answer,) = reply.answers
    assert answer.data["procedure"] == "temporary_residence_family_reunion"
    assert "If your relative is coming from Ukraine, first check whether temporary protection" in answer.text
    assert '/ask_overview{"procedure": "temporary_protection"}' in [b.payload for b in answer.buttons]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("my landlord won't give back my deposit, what can i do?", "en"),
        ("скільки платять допомогу на дитину в словаччині?", "uk"),
    ],
)
def test_a_question_outside_legal_stay_is_told_the_sources_do_not_cover_it(real_kb, text, language):
    from pobyt.messages import say

    reply = conversation.answer_question(text, None, [], {"disclaimer_shown": True}, real_kb)
    (answer,) = reply.answers
    assert answer.text.startswith(say("outside_sources", language))
    assert "0850 211 478" in answer.text  # a person to ask
    assert not answer.data.get("procedure")


def test_a_question_about_a_permit_is_not_outside_the_sources(real_kb):
    reply = conversation.answer_question(
        "моя мама 72 года, может ли она приехать ко мне, у меня внж", None, [], {}, real_kb
    )
    assert reply.slots.get("procedure") == "temporary_residence_family_reunion"


def test_a_teenager_from_ukraine_with_an_aunt_is_not_answered_with_irregular_stay(real_kb):
    text = (
        "i am 16 and came from ukraine with my aunt, my parents stayed there. what papers do i need to be here legally?"
    )
    reply = conversation.answer_question(text, "ask_documents", [], {"disclaimer_shown": True}, real_kb)
    (answer,) = reply.answers
    assert answer.data["procedure"] == "temporary_protection"
    assert "deported" not in answer.text
    # The reading it went past is one tap away.
    assert any("Irregular stay" in b.title for b in answer.buttons)


def test_a_statement_from_a_question_entry_does_not_lead_with_its_own_yes_or_no(real_kb):
    reply = conversation.answer_question(
        "мы с парнем не расписаны, он словак. могу я жить с ним здесь?", None, [], {"disclaimer_shown": True}, real_kb
    )
    bullets = [line for a in reply.answers for line in a.text.splitlines() if line.startswith("• ")]
    assert bullets and not any(re.match(r"(да|нет|так|ні|yes|no)\b", line[2:], re.IGNORECASE) for line in bullets)


def test_a_person_afraid_to_go_home_answered_about_return_or_papers_is_pointed_to_asylum(real_kb):
    text = (
        "я кримчанин, в мене тільки російський паспорт, вдома мене переслідували. зараз я в Словаччині. "
        "що мені робити щоб мене не вислали назад?"
    )
    reply = conversation.answer_question(text, None, [], {"disclaimer_shown": True}, real_kb)
    answer = reply.answers[-1]
    assert "спершу запитайте про притулок (*azyl*)" in answer.text
    assert any(b.title == "Притулок" for b in answer.buttons)


@pytest.mark.parametrize(
    ("text", "heading"),
    [
        (
            "I applied for asylum in Humenne 5 months ago. Am I allowed to work while I wait? "
            "And how long usually do they take to decide?",
            "My sources do not answer “How long it takes” for Asylum.",
        ),
        (
            "Я з Білорусі, подав заяву на азил 5 місяців тому, живу в таборі в Гуменному. Відповіді досі немає. "
            "Чи можу я вже працювати офіційно? І скільки взагалі розглядають таку заяву?",
            "Мої джерела не відповідають на питання «Скільки триває розгляд» щодо «Притулок».",
        ),
    ],
)
def test_a_decision_time_the_sources_lack_is_said_for_the_part_that_asks_it(text, heading):
    reply = conversation.answer_question(text, None, [], {})
    texts = [a.text for a in reply.answers]
    assert any(heading in t for t in texts), texts
    # The statement about work answers the other part; nobody is told "not sure" and "not given" at once.
    assert not any("not sure" in t or "не впевнений" in t for t in texts if heading in t)


def test_an_unsure_reply_gives_the_closest_statements_and_their_sources_without_the_whole_block():
    text = "I worked 20 years in Ukraine, now I'm 63 and live in Slovakia. How much pension will I get here?"
    answer = conversation.answer_question(text, None, [], {}).answers[-1]
    lines = answer.text.split("\n")
    assert lines[-2].startswith("Source:") and lines[-1].startswith("A person can help you")
    assert "Who can apply:" not in answer.text  # the eligibility block is one tap away


@pytest.mark.parametrize("intent", ["nlu_fallback", "goodbye"])
async def test_a_message_the_classifier_gave_up_on_about_tax_is_told_the_sources_do_not_cover_it(
    make_tracker, dispatcher, intent
):
    from actions.actions import ActionFallback, ActionGoodbye
    from pobyt.messages import say

    text = "полгода работал в Словакии, полгода в Чехии. как мне подать декларацию и вернуть переплаченные налоги?"
    action = ActionFallback() if intent == "nlu_fallback" else ActionGoodbye()
    await action.run(dispatcher, make_tracker(text, intent), domain={})
    texts = [m["text"] for m in dispatcher.messages]
    assert any(say("outside_sources", "ru") in t for t in texts), texts
    assert not any(say("fallback", "ru") in t for t in texts)


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("can i work on TP without work permit", "tp_can_work"),
        ("можна працювати з TP без дозволу на роботу?", "tp_can_work"),
        ("can i work on trvaly pobyt without work permit", "pr_rights"),
    ],
)
def test_working_without_a_permit_on_a_named_status_is_that_status_work_rule(text, question):
    answers = conversation.answer_question(text, None, [], {}).answers
    assert question in [a.data.get("question") for a in answers]
    assert "undocumented_work" not in [a.data.get("procedure") for a in answers]


@pytest.mark.parametrize(
    ("text", "moving_in"),
    [
        ("сын хочет переехать ко мне в Словакию, как ему это сделать?", True),
        ("хочу открыть ресторан и переехать сюда с семьей", True),
        ("we want to move to Slovakia next year", True),
        ("переехал в другой город, что делать с картой?", False),
        ("I moved to Slovakia in 2020 and now changed flat", False),
    ],
)
def test_moving_to_slovakia_is_not_a_change_of_address(text, moving_in):
    from pobyt.engine.reading import ruled_out

    assert ruled_out("address_change", text) is moving_in


def test_a_name_read_far_apart_leaves_the_words_between_as_the_question(real_kb):
    from pobyt.engine.reading import without_names
    from pobyt.recognition import recognise

    text = "сын закончил учебу в Польше, ему 24, хочет переехать ко мне в Словакию"
    asked = without_names(text, recognise(text, real_kb))
    assert "24" in asked and "Польше" in asked


def test_a_refusal_letter_is_told_the_decision_times_are_not_appeal_periods():
    text = "пришло письмо из полиции что мне отказали, всё на словацком. что делать и сколько дней у меня есть?"
    answers = conversation.answer_question(text, None, [], {}).answers
    reply = "\n".join(a.text for a in answers)
    assert "а не время на обжалование" in reply and "0850 211 478" in reply


@pytest.mark.parametrize(
    ("text", "procedure"),
    [
        ("внж после 4 марта 2027 шо будет?", "temporary_protection"),
        ("у меня карточка до 4.3.2027, что со мной будет потом?", "temporary_protection"),
        ("my card says valid until 04.03.2027 what happens after", "temporary_protection"),
        # Another status named, or no date: nothing changes.
        ("my employment permit is valid until 4 March 2027, can I renew it?", None),
    ],
)
def test_the_day_protection_ends_names_it_for_a_card_or_a_generic_permit(text, procedure):
    answers = conversation.answer_question(text, None, [], {}).answers
    procedures = [a.data.get("procedure") for a in answers]
    if procedure:
        assert procedure in procedures
    else:
        assert "temporary_protection" not in procedures[:1]


@pytest.mark.parametrize(
    "text",
    ["чи треба апостиль на свідоцтво про народження дитини", "довідка про несудимість з україни апостиль треба чи ні?"],
)
def test_an_apostille_asked_of_a_document_is_no_choice_between_them(text):
    answers = conversation.answer_question(text, None, [], {}).answers
    assert answers[-1].data.get("procedure") == "apostille" or answers[-1].data.get("question")
    assert not answers[-1].text.startswith("Можливо, ви мали на увазі")


@pytest.mark.parametrize(
    "text",
    [
        "Мы приехали из Харькова на прошлой неделе, я и двое детей 5 и 11 лет, муж остался. Куда идти в первую очередь",
        "в березні 2027 в мене все закінчується і я не знаю шо далі, працюю на пів ставки в магазині",
    ],
)
def test_a_person_from_ukraine_whom_nothing_else_reads_is_answered_about_temporary_protection(text):
    answers = conversation.answer_question(text, None, [], {}).answers
    assert answers[-1].data.get("procedure") in ("temporary_protection", "temporary_protection_transition")


@pytest.mark.parametrize(
    ("text", "procedure"),
    [
        (
            "Живу в Словакии 9 лет, сначала был внж, потом пмж. Хочу подавать на гражданство. "
            "Правда что надо отказаться от украинского гражданства?",
            "citizenship_naturalization",
        ),
        ("I have had temporary residence for work for 5 years. Can I get permanent residence now?", None),
    ],
)
def test_the_status_held_before_is_history_and_the_further_one_is_asked(text, procedure):
    answers = conversation.answer_question(text, None, [], {}).answers
    procedures = [a.data.get("procedure") for a in answers]
    assert "temporary_residence_employment" not in procedures[:1] and "temporary_residence" not in procedures[:1]
    if procedure:
        assert procedure in procedures


@pytest.mark.parametrize(
    "text",
    [
        "сын родился в Братиславе, у нас паспорта россии. что делать с его документами?",
        "родила дочку в Братиславе, я тут как беженка из Украины. что теперь делать с документами дочки?",
        "our daughter is 3, born here, we're from Ukraine. what should we do?",
    ],
)
def test_a_child_born_in_slovakia_gets_the_entry_about_it(text):
    answers = conversation.answer_question(text, None, [], {}).answers
    assert "baby_born_in_slovakia" in [a.data.get("question") for a in answers]


@pytest.mark.parametrize(
    "text",
    [
        "я в Словакии 5 лет, работаю, хочу жить тут без продлений каждые два года. что делать?",
        "живу тут уже 6 лет, надоело каждый раз продлевать. как сделать чтобы больше не надо было?",
    ],
)
def test_staying_for_good_without_renewing_is_about_permanent_or_long_term_residence(text):
    answers = conversation.answer_question(text, None, [], {}).answers
    assert answers[-1].data.get("question") == "pr_after_years_of_residence"


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("how much tax on zivnost first year", "tax"),
        ("полгода работал в Словакии, как вернуть переплаченные налоги?", "tax"),
        ("мама на тимчасовому захисті, чи може вона отримувати словацьку пенсію?", "pension"),
        ("which bank opens acount for foreigner w/o card", None),
        ("can I open a bank account with a residence card?", "bank"),
        ("landlord refuses to return my 900 eur deposit", "rent"),
        ("машина на украинских номерах, что делать?", "vehicle"),
        ("how much maternity money will i get here if i had a baby?", "benefits"),
        ("мене зупинила поліція на трасі за швидкість, дали штраф. можна заплатити пізніше?", "traffic"),
        # Taxes paid, a pension received: the situation, not the question.
        ("живу в Словакии с 2015, работаю, налоги плачу. хочу стать словаком по паспорту. с чего начать?", None),
        ("How much money do I need on the bank account for business residence?", None),
        # In scope: a pensioner mother joining, the profit after tax for a business renewal.
        ("Хочу забрати маму пенсіонерку до себе", None),
        ("To renew business residence, do I need a profit after tax?", None),
    ],
)
def test_a_topic_the_sources_do_not_cover_is_recognised_as_the_question_puts_it(text, topic):
    from pobyt.engine.respond import outside_topic

    assert outside_topic(text) == topic


def test_a_named_permit_does_not_hide_that_the_sources_do_not_cover_the_topic():
    answer = conversation.answer_question("how much tax on zivnost first year", None, [], {}).answers[-1]
    title, statement = answer.text.split("\n")[:2]
    assert title.startswith("Temporary residence for business")
    assert statement.endswith("they do not answer questions about taxes.")
    assert "0850 211 478" in answer.text


def test_a_teenager_from_ukraine_living_with_a_relative_is_answered_about_temporary_protection():
    text = "мне 17, приехала с тётей из Харькова, мама осталась в Украине. что мне делать?"
    answer = conversation.answer_question(text, None, [], {}).answers[-1]
    assert answer.data["procedure"] == "temporary_protection"
    assert "Граждане Украины, перемещенные из Украины: временная защита — это их статус" in answer.text


def test_a_later_question_that_names_nothing_asks_about_the_one_answered_before():
    text = (
        "I've lived in Prešov for 8 years with permanent residence, I'm Ukrainian. How many years do you need "
        "for Slovak citizenship? What is the fee?"
    )
    answers = conversation.answer_question(text, None, [], {}).answers
    fees = [a for a in answers if a.data.get("aspect") == "fees"]
    assert fees and fees[0].data["procedure"] == "citizenship_naturalization"
    assert "EUR 700" in fees[0].text and "165.50" not in fees[0].text
