"""The answer engine: facts, retrieval, question entries, inheritance, conditions, follow-ups, small talk."""

import datetime as dt

import pytest
from rasa_sdk.events import SlotSet

from actions.actions import ActionAnswer, ActionChooseLanguage, ActionFeedback, ActionGoodbye, ActionGreet, ActionThanks
from pobyt import conversation
from pobyt.answers import render_aspect
from pobyt.engine.facts import all_facts
from pobyt.engine.respond import best_question, direct_facts
from pobyt.engine.retrieval import analyse, fact_index
from pobyt.messages import say
from pobyt.recognition import recognise

SEEN = {"disclaimer_shown": True}
TODAY = dt.date(2026, 11, 24)


async def run(action, dispatcher, tracker):
    return await action.run(dispatcher, tracker, domain={})


def test_every_statement_is_an_addressable_fact(real_kb):
    facts = all_facts(real_kb)
    ids = [f.id for f in facts]
    assert len(ids) == len(set(ids))
    family = {f.id: f for f in facts if f.procedure == "temporary_residence_family_reunion"}
    assert family["temporary_residence_family_reunion/conditions/0"].aspect == "eligibility"
    assert "паспорт" in family["temporary_residence_family_reunion/documents/0"].text("uk")
    assert all(f.sources for f in facts)
    assert all(f.texts["en"] for f in facts)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Residences for my children", ["resid", "children"]),
        ("посвідки на проживання для дітей", ["посвідка", "проживання", "дитина"]),
        ("вид на жительство для детей", ["вид", "жительство", "ребенок"]),
        ("hello, yes, please help", []),
    ],
)
def test_messages_are_read_as_lemmas_and_stems_without_small_talk(text, words):
    assert analyse(text) == words


def test_retrieval_finds_a_statement_by_its_words_in_any_of_the_three_languages(real_kb):
    index = fact_index(real_kb)
    for text in ("child born in Slovakia stateless parents", "дитина народилася в Словаччині, батьки без громадянства"):
        best = index.search(analyse(text), limit=1, kinds=("conditions",))[0]
        assert best.fact.id == "citizenship_by_birth/conditions/1"
        assert best.coverage > 0.6


@pytest.mark.usefixtures("use_fixture_kb")
class TestQuestionEntries:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("can I work with temporary protection?", "tp_can_work"),
            ("чи можна працювати з тимчасовим захистом", "tp_can_work"),
            ("можно ли мне работать, у меня временная защита", "tp_can_work"),
            ("must I go to the embassy myself, or can my lawyer file it", "family_in_person"),
            ("what is temporary protection", None),
            ("yes", None),
            ("так", None),
        ],
    )
    def test_a_question_entry_answers_only_the_question_it_is_about(self, fixture_kb, text, expected):
        found = conversation.direct_answer(text, [], "en")
        assert (found.data["question"] if found else None) == expected

    def test_an_entry_about_another_procedure_loses_when_the_message_names_one(self, fixture_kb):
        text = "can I work"
        assert best_question(fixture_kb, text + " with temporary protection", None, None) is not None
        text = "can my lawyer file it for me"
        assert best_question(fixture_kb, text, None, None).question.id == "family_in_person"
        assert best_question(fixture_kb, text, "temporary_protection", None, strict=True) is None

    async def test_the_answer_leads_the_reply_with_source_and_next_buttons(self, make_tracker, dispatcher, fixture_kb):
        text = "Чи можу я працювати, якщо маю тимчасовий захист?"
        tracker = make_tracker(text, "ask_eligibility", entities=recognise(text, fixture_kb), slots=SEEN)
        events = await run(ActionAnswer(), dispatcher, tracker)
        (message,) = dispatcher.messages
        assert message["text"] == "\n".join(
            [
                # The question the answer answers heads it: a wrong match shows as one.
                "Питання: Чи можу я працювати, маючи тимчасовий захист?",
                "Так. З тимчасовим захистом ви можете працювати без дозволу на роботу.",
                # When temporary protection ends belongs to every answer about it.
                "Діє до 4 березня 2027, тобто ще 100 днів.",
                "Джерело: Тестовий посібник (станом на 2019). Перевірено 24 листопада 2026.",
            ]
        )
        assert [b["payload"] for b in message["buttons"]] == [
            '/ask_overview{"procedure": "temporary_protection"}',
            '/ask_overview{"procedure": "temporary_residence_family_reunion"}',
            "/check_after_protection",
            "/ask_human",
        ]
        assert message["custom"]["pobyt"]["question"] == "tp_can_work"
        assert SlotSet("procedure", "temporary_protection") in events

    @pytest.mark.parametrize("action", [ActionGreet(), ActionGoodbye(), ActionThanks(), ActionFeedback()])
    async def test_small_talk_never_swallows_a_question(self, make_tracker, dispatcher, action):
        text = "thanks! and can I work while I have temporary protection?"
        await run(action, dispatcher, make_tracker(text, "thank", slots=SEEN))
        (message,) = dispatcher.messages
        assert message["text"].startswith(
            "Question: Can I work while I have temporary protection?\nYes. With temporary protection you may work"
        )

    async def test_a_language_mentioned_in_a_question_is_not_a_language_choice(self, make_tracker, dispatcher):
        await run(
            ActionChooseLanguage(),
            dispatcher,
            make_tracker("can my lawyer file it for me in English at the embassy", "choose_language", slots=SEEN),
        )
        assert dispatcher.messages[0]["text"].startswith(
            "Question: Must I apply for family reunion in person?\nYes. You file the application yourself"
        )

    async def test_a_plain_language_choice_still_switches(self, make_tracker, dispatcher):
        await run(ActionChooseLanguage(), dispatcher, make_tracker("говори українською", "choose_language", slots=SEEN))
        assert dispatcher.messages[0]["text"] == say("language.chosen", "uk")

    async def test_greeting_alone_is_a_greeting(self, make_tracker, dispatcher):
        await run(ActionGreet(), dispatcher, make_tracker("hello", "greet"))
        assert dispatcher.messages[0]["text"] == say("greet", "en")


@pytest.mark.usefixtures("use_fixture_kb")
class TestFollowUps:
    def reply(self, text, intent, slots, kb):
        return conversation.answer_question(text, intent, recognise(text, kb), {**SEEN, **slots}, kb, TODAY)

    def test_a_follow_up_without_a_name_stays_with_the_procedure(self, fixture_kb):
        reply = self.reply("and how much is it?", "ask_fees", {"procedure": "temporary_protection"}, fixture_kb)
        assert reply.slots["procedure"] == "temporary_protection"
        # The sources give no fee for it: said so, then what they do say.
        title = fixture_kb.procedures["temporary_protection"].title.en
        assert reply.answers[0].text.split("\n")[1] == say("aspect_not_given", "en", heading="Fees", title=title)
        assert reply.answers[0].data["aspect"] == "overview"

    def test_a_follow_up_naming_a_city_gets_where_to_go(self, fixture_kb):
        slots = {"procedure": "temporary_residence_family_reunion", "aspect": "fees"}
        reply = self.reply("and in Bratislava?", None, slots, fixture_kb)
        assert reply.answers[0].data["aspect"] == "where"

    def test_a_topic_whose_choice_the_message_already_makes_is_answered(self, fixture_kb):
        reply = self.reply(
            "my wife is a Slovak citizen, what documents for family reunion", "ask_documents", {}, fixture_kb
        )
        assert reply.answers[0].data["procedure"] == "permanent_residence_5_years"


def test_a_kind_without_its_own_processing_time_inherits_the_general_rule(real_kb):
    answer = render_aspect(real_kb, "temporary_residence_family_reunion", "processing_time", "en", TODAY)
    assert answer.text.split("\n")[1].startswith("For Temporary residence: types and general conditions in general")
    assert "30" in answer.text and "90" in answer.text
    assert answer.data["inherited_from"] == "temporary_residence"


def test_steps_carry_the_conditions_they_rest_on(real_kb):
    text = render_aspect(real_kb, "citizenship_by_birth", "steps", "en", TODAY).text
    assert text.index("This applies only if:") < text.index("Nothing to apply for")
    assert "both parents are stateless" in text


def test_direct_facts_answer_what_is_asked_about_the_procedure(real_kb):
    facts = direct_facts(real_kb, "what if my parents are stateless", "citizenship_by_birth")
    assert facts[0].id == "citizenship_by_birth/conditions/1"
