"""The Rasa actions, run with a Tracker and a CollectingDispatcher over the fixture knowledge base."""

import pytest
from rasa_sdk.events import SlotSet

from actions.actions import (
    ActionAffirm,
    ActionAnswer,
    ActionDeny,
    ActionFallback,
    ActionFeedback,
    ActionGreet,
    ActionHelp,
    ActionHuman,
)
from pobyt.messages import say
from pobyt.recognition import recognise

pytestmark = pytest.mark.usefixtures("use_fixture_kb")

FAMILY = "temporary_residence_family_reunion"
HEADER = "Family reunion with a foreigner (Prechodný pobyt na účel zlúčenia rodiny)"
SOURCE = "Source: Test guide (as of 2019). Checked on 24 November 2026."
SEEN = {"disclaimer_shown": True}


async def run(action, dispatcher, tracker):
    return await action.run(dispatcher, tracker, domain={})


@pytest.fixture
def ask(make_tracker, fixture_kb):
    """A tracker whose latest message carries the entities the NLU component would add."""

    def build(text, intent, slots=None, entities=None):
        found = recognise(text, fixture_kb) if entities is None else entities
        return make_tracker(text, intent, entities=found, slots=slots)

    return build


async def test_family_reunion_asks_back_with_one_button_per_procedure(ask, dispatcher):
    events = await run(ActionAnswer(), dispatcher, ask("what do I need for family reunion", "ask_documents"))
    disclaimer, choice = dispatcher.messages
    assert disclaimer["text"] == say("disclaimer", "en")
    assert choice["text"] == "Who is your family member in Slovakia?"
    assert choice["buttons"] == [
        {"title": "A Slovak citizen", "payload": '/ask_documents{"procedure": "permanent_residence_5_years"}'},
        {"title": "A foreigner", "payload": f'/ask_documents{{"procedure": "{FAMILY}"}}'},
    ]
    assert choice["custom"] == {
        "pobyt": {"choices": ["permanent_residence_5_years", FAMILY], "aspect": "documents", "language": "en"}
    }
    assert events == [SlotSet("language", "en"), SlotSet("aspect", "documents"), SlotSet("disclaimer_shown", True)]


async def test_a_button_answers_the_pending_aspect_and_sets_the_procedure(ask, dispatcher):
    tracker = ask(
        f'/ask_documents{{"procedure": "{FAMILY}"}}',
        "ask_documents",
        entities=[{"entity": "procedure", "value": FAMILY}],
        slots={"language": "en", "aspect": "documents", **SEEN},
    )
    events = await run(ActionAnswer(), dispatcher, tracker)
    (message,) = dispatcher.messages
    assert message["text"].split("\n")[:2] == [HEADER, "Documents you need:"]
    assert message["text"].endswith(SOURCE)
    assert message["custom"] == {
        "pobyt": {"procedure": FAMILY, "aspect": "documents", "language": "en", "sources": ["guide"], "offices": []}
    }
    assert events == [SlotSet("procedure", FAMILY)]  # only what changed: language, aspect, disclaimer did not


async def test_a_follow_up_uses_the_procedure_under_discussion(ask, dispatcher):
    tracker = ask("how much does it cost", "ask_fees", slots={"procedure": FAMILY, "language": "en", **SEEN})
    events = await run(ActionAnswer(), dispatcher, tracker)
    assert dispatcher.messages[0]["text"] == "\n".join(
        [
            HEADER,
            "Fees:",
            "• EUR 132.50: Application",
            "⚠ Fees may have changed. Confirm with IOM MIC (0850 211 478, mic@iom.int) before you pay or file.",
            SOURCE,
        ]
    )
    assert events == [SlotSet("aspect", "fees")]  # the procedure stays as it was


async def test_a_named_procedure_replaces_the_previous_one(ask, dispatcher):
    tracker = ask("what is temporary protection", "ask_overview", slots={"procedure": FAMILY, **SEEN})
    events = await run(ActionAnswer(), dispatcher, tracker)
    assert dispatcher.messages[0]["text"] == "\n".join(
        [
            "Temporary protection (Dočasné útočisko)",
            "Protection for people fleeing Ukraine.",
            "Valid until 4 March 2027, that is in 100 days.",
            SOURCE,
        ]
    )
    assert SlotSet("procedure", "temporary_protection") in events


async def test_a_russian_question_is_answered_in_russian(ask, dispatcher):
    events = await run(ActionAnswer(), dispatcher, ask("что такое временная защита?", "ask_overview", slots=SEEN))
    assert dispatcher.messages[0]["text"].split("\n")[:3] == [
        "Временная защита (Dočasné útočisko)",
        "Защита для людей, бегущих из Украины.",
        "Действует до 4 марта 2027, то есть ещё 100 дней.",
    ]
    assert events[0] == SlotSet("language", "ru")


async def test_an_office_named_alone_gets_its_contacts(ask, dispatcher):
    events = await run(ActionAnswer(), dispatcher, ask("IOM MIC phone number?", "ask_contacts", slots=SEEN))
    assert dispatcher.messages[0]["text"] == "\n".join(
        ["IOM MIC", "Free advice.", "0850 211 478, mic@iom.int", "Source: Test guide (as of 2019)."]
    )
    assert SlotSet("office", "iom_mic") in events


async def test_without_any_procedure_the_person_is_asked_to_name_one(ask, dispatcher):
    events = await run(ActionAnswer(), dispatcher, ask("how much is it", "ask_fees", slots=SEEN))
    assert dispatcher.messages[0]["text"] == say("which_procedure", "en")
    assert events == [SlotSet("language", "en"), SlotSet("aspect", "fees")]


async def test_greeting_shows_the_disclaimer_in_the_slot_language(make_tracker, dispatcher):
    events = await run(ActionGreet(), dispatcher, make_tracker("/greet", "greet", slots={"language": "uk"}))
    assert [m["text"] for m in dispatcher.messages] == [say("greet", "uk"), say("disclaimer", "uk")]
    assert events == [SlotSet("disclaimer_shown", True)]


async def test_help_lists_the_topics_and_offers_a_human(make_tracker, dispatcher):
    await run(ActionHelp(), dispatcher, make_tracker("help", "help"))
    (message,) = dispatcher.messages
    assert message["text"].startswith(say("help", "en"))
    assert "• Citizenship" in message["text"]
    assert message["buttons"][-1] == {"title": "Talk to a person", "payload": "/ask_human"}


async def test_human_gives_the_helpline(make_tracker, dispatcher):
    await run(ActionHuman(), dispatcher, make_tracker("I want to talk to a person", "ask_human"))
    assert dispatcher.messages[0]["text"] == "A person can help you: IOM MIC (0850 211 478, mic@iom.int)"


async def test_a_fallback_message_that_names_a_procedure_is_answered(make_tracker, dispatcher):
    await run(ActionFallback(), dispatcher, make_tracker("blah temporary protection blah", "nlu_fallback", slots=SEEN))
    (answer,) = dispatcher.messages
    assert answer["text"].startswith("Temporary protection (Dočasné útočisko)\nProtection for people fleeing Ukraine.")
    assert answer["custom"]["pobyt"]["procedure"] == "temporary_protection"


async def test_fallback_offers_the_closest_procedures_or_a_human(make_tracker, dispatcher):
    from pobyt.conversation import fallback

    first = fallback("blah temporary protection blah", "en")
    assert first.text == say("not_found", "en") + "\nA person can help you: IOM MIC (0850 211 478, mic@iom.int)"
    first = {"text": first.text, "buttons": [{"title": b.title, "payload": b.payload} for b in first.buttons]}
    await run(ActionFallback(), dispatcher, make_tracker("what is the weather", "nlu_fallback"))
    (second,) = dispatcher.messages
    assert first["buttons"] == [
        {"title": "Temporary protection", "payload": '/ask_overview{"procedure": "temporary_protection"}'},
        {"title": "Talk to a person", "payload": "/ask_human"},
    ]
    assert second["text"] == "\n".join(
        [say("fallback", "en"), "A person can help you: IOM MIC (0850 211 478, mic@iom.int)"]
    )


async def test_an_explicit_language_choice_sticks(ask, dispatcher):
    from actions.actions import ActionChooseLanguage

    events = await run(ActionChooseLanguage(), dispatcher, ask("говори українською", "choose_language", slots=SEEN))
    assert dispatcher.messages[0]["text"] == "Я відповідатиму українською."
    assert events == [SlotSet("language", "uk"), SlotSet("language_locked", True)]
    locked = {"language": "uk", "language_locked": True, **SEEN}
    events = await run(ActionAnswer(), dispatcher, ask("what is temporary protection", "ask_overview", slots=locked))
    assert dispatcher.messages[1]["text"].startswith("Тимчасовий захист")
    assert SlotSet("procedure", "temporary_protection") in events
    assert not [e for e in events if e["name"] == "language"]  # stays Ukrainian


async def test_asking_for_a_language_without_naming_one_offers_buttons(ask, dispatcher):
    from actions.actions import ActionChooseLanguage

    await run(ActionChooseLanguage(), dispatcher, ask("сменить язык", "choose_language", slots={"language": "ru"}))
    (message,) = dispatcher.messages
    assert message["text"] == "На каком языке мне отвечать?"
    assert [b["payload"] for b in message["buttons"]] == [
        '/choose_language{"language": "uk"}',
        '/choose_language{"language": "ru"}',
        '/choose_language{"language": "en"}',
    ]


@pytest.mark.parametrize(
    ("text", "metadata", "language"),
    [
        ("/greet", {"language": "uk"}, "uk"),  # Telegram /start from a Ukrainian app: no text to detect
        ("/greet", {"language": "ru"}, "ru"),
        ("/greet", None, "en"),
        ("/greet", {"language": "de"}, "en"),  # a language we do not answer in is ignored
        ("привіт", {"language": "ru"}, "uk"),  # the text's own clear evidence beats the app's language
        ("hello", {"language": "uk"}, "en"),
    ],
)
async def test_the_channel_language_decides_the_first_reply_when_the_text_does_not(
    make_tracker, dispatcher, text, metadata, language
):
    events = await run(ActionGreet(), dispatcher, make_tracker(text, "greet", metadata=metadata))
    assert dispatcher.messages[0]["text"] == say("greet", language)
    assert events[0] == SlotSet("language", language)


async def test_the_channel_language_does_not_switch_a_running_conversation(make_tracker, dispatcher):
    tracker = make_tracker("/greet", "greet", slots={"language": "en"}, metadata={"language": "uk"})
    await run(ActionGreet(), dispatcher, tracker)
    assert dispatcher.messages[0]["text"] == say("greet", "en")


async def test_yes_and_no_get_an_invitation_in_the_conversation_language(make_tracker, dispatcher):
    await run(ActionAffirm(), dispatcher, make_tracker("так", "affirm", slots={"language": "uk"}))
    await run(ActionDeny(), dispatcher, make_tracker("нет", "deny", slots={"language": "ru"}))
    yes, no = dispatcher.messages
    assert yes["text"] == say("affirm", "uk")
    assert no["text"] == say("deny", "ru")
    assert no["buttons"] == [
        {"title": "Темы", "payload": "/help"},
        {"title": "Связаться с человеком", "payload": "/ask_human"},
    ]


async def test_feedback_is_thanked_and_names_what_it_is_about(make_tracker, dispatcher):
    slots = {"language": "en", "procedure": FAMILY, "aspect": "fees"}
    await run(ActionFeedback(), dispatcher, make_tracker("the fee you gave is wrong", "feedback", slots=slots))
    (message,) = dispatcher.messages
    assert message["text"] == "\n".join(
        [say("feedback", "en"), "A person can help you: IOM MIC (0850 211 478, mic@iom.int)"]
    )
    assert message["custom"]["pobyt"]["feedback_on"] == FAMILY
    assert message["custom"]["pobyt"]["aspect"] == "fees"
