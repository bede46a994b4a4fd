"""The Rasa actions, run with a Tracker and a CollectingDispatcher over the fixture knowledge base."""

import pytest
from rasa_sdk.events import SlotSet

from actions.actions import ActionAnswer, ActionFallback, ActionGreet, ActionHelp, ActionHuman
from pobyt.messages import say

pytestmark = pytest.mark.usefixtures("use_fixture_kb")

FAMILY = "temporary_residence_family_reunion"
HEADER = "Family reunion with a foreigner (Prechodný pobyt na účel zlúčenia rodiny)"


async def run(action, dispatcher, tracker):
    return await action.run(dispatcher, tracker, domain={})


async def test_family_reunion_asks_back_with_one_button_per_procedure(make_tracker, dispatcher):
    tracker = make_tracker("what do I need for family reunion", "ask_documents")
    events = await run(ActionAnswer(), dispatcher, tracker)
    assert dispatcher.messages == [
        {
            "text": "Who is your family member in Slovakia?",
            "buttons": [
                {"title": "A Slovak citizen", "payload": '/ask_documents{"procedure": "permanent_residence_5_years"}'},
                {"title": "A foreigner", "payload": f'/ask_documents{{"procedure": "{FAMILY}"}}'},
            ],
            "template": None,
            "response": None,
            "image": None,
            "attachment": None,
            "elements": [],
            "custom": {},
        }  # fmt: skip
    ]
    assert events == [SlotSet("language", "en"), SlotSet("aspect", "documents")]


async def test_a_button_answers_the_pending_aspect_and_sets_the_procedure(make_tracker, dispatcher):
    tracker = make_tracker(
        f'/ask_documents{{"procedure": "{FAMILY}"}}',
        "ask_documents",
        entities=[{"entity": "procedure", "value": FAMILY}],
        slots={"language": "en", "aspect": "documents"},
    )
    events = await run(ActionAnswer(), dispatcher, tracker)
    (message,) = dispatcher.messages
    assert message["text"].split("\n")[:2] == [HEADER, "Documents you need:"]
    assert message["text"].endswith("Source: Test guide (as of 2019). Checked on 24 November 2026.")
    assert events == [SlotSet("language", "en"), SlotSet("aspect", "documents"), SlotSet("procedure", FAMILY)]


async def test_a_follow_up_uses_the_procedure_under_discussion(make_tracker, dispatcher):
    tracker = make_tracker("how much does it cost", "ask_fees", slots={"procedure": FAMILY, "language": "en"})
    events = await run(ActionAnswer(), dispatcher, tracker)
    assert dispatcher.messages[0]["text"] == "\n".join(
        [
            HEADER,
            "Fees:",
            "• EUR 132.50: Application",
            "⚠ Fees may have changed. Confirm with IOM MIC (0850 211 478, mic@iom.int) before you pay or file.",
            "Source: Test guide (as of 2019). Checked on 24 November 2026.",
        ]
    )
    assert events == [SlotSet("language", "en"), SlotSet("aspect", "fees"), SlotSet("procedure", FAMILY)]


async def test_a_named_procedure_replaces_the_previous_one(make_tracker, dispatcher):
    tracker = make_tracker("what is temporary protection", "ask_overview", slots={"procedure": FAMILY})
    events = await run(ActionAnswer(), dispatcher, tracker)
    assert dispatcher.messages[0]["text"] == "\n".join(
        [
            "Temporary protection (Dočasné útočisko)",
            "Protection for people fleeing Ukraine.",
            "Valid until 4 March 2027, that is in 100 days.",
            "Source: Test guide (as of 2019). Checked on 24 November 2026.",
        ]
    )
    assert SlotSet("procedure", "temporary_protection") in events


async def test_a_russian_question_is_answered_in_russian(make_tracker, dispatcher):
    tracker = make_tracker("что такое временная защита?", "ask_overview")
    events = await run(ActionAnswer(), dispatcher, tracker)
    assert dispatcher.messages[0]["text"].split("\n")[:3] == [
        "Временная защита (Dočasné útočisko)",
        "Защита для людей, бегущих из Украины.",
        "Действует до 4 марта 2027, то есть ещё 100 дней.",
    ]
    assert events[0] == SlotSet("language", "ru")


async def test_without_any_procedure_the_person_is_asked_to_name_one(make_tracker, dispatcher):
    events = await run(ActionAnswer(), dispatcher, make_tracker("how much is it", "ask_fees"))
    assert dispatcher.messages[0]["text"] == say("which_procedure", "en")
    assert events == [SlotSet("language", "en"), SlotSet("aspect", "fees")]


async def test_greeting_shows_the_disclaimer_in_the_slot_language(make_tracker, dispatcher):
    events = await run(ActionGreet(), dispatcher, make_tracker("/greet", "greet", slots={"language": "uk"}))
    assert [m["text"] for m in dispatcher.messages] == [say("greet", "uk"), say("disclaimer", "uk")]
    assert events == [SlotSet("language", "uk")]


async def test_help_lists_the_topics_and_offers_a_human(make_tracker, dispatcher):
    await run(ActionHelp(), dispatcher, make_tracker("help", "help"))
    (message,) = dispatcher.messages
    assert message["text"].startswith(say("help", "en"))
    assert "• Citizenship" in message["text"]
    assert message["buttons"][-1] == {"title": "Talk to a person", "payload": "/ask_human"}


async def test_human_gives_the_helpline(make_tracker, dispatcher):
    await run(ActionHuman(), dispatcher, make_tracker("I want to talk to a person", "ask_human"))
    assert dispatcher.messages[0]["text"] == "A person can help you: IOM MIC (0850 211 478, mic@iom.int)"


async def test_fallback_offers_the_closest_procedures_or_a_human(make_tracker, dispatcher):
    await run(ActionFallback(), dispatcher, make_tracker("blah temporary protection blah", "nlu_fallback"))
    await run(ActionFallback(), dispatcher, make_tracker("what is the weather", "nlu_fallback"))
    first, second = dispatcher.messages
    assert first["text"] == "Did you mean one of these?"
    assert first["buttons"] == [
        {"title": "Temporary protection", "payload": '/ask_overview{"procedure": "temporary_protection"}'}
    ]
    assert second["text"] == "\n".join(
        [say("fallback", "en"), "A person can help you: IOM MIC (0850 211 478, mic@iom.int)"]
    )
