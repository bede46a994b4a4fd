"""The guided checks' form actions (actions/checks.py), run with a Tracker and a CollectingDispatcher."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.checks import (
    ASK_ACTIONS,
    LEAVING_INTENTS,
    ActionCheckResult,
    ActionLeaveCheck,
    ActionOfferChecks,
    ValidateCheckAfterProtectionForm,
    ValidateCheckFamilyForm,
    ValidateCheckPermanentForm,
    leaving_intents,
)
from pobyt.answers import render_aspect
from pobyt.checks import CHECKS
from pobyt.conversation import menu
from tests.conftest import ROOT, TODAY

BACK = {"title": "Назад", "payload": "/check_back"}
STOP = {"title": "Зупинити", "payload": "/stop_check"}
FORMS = {
    "family": "check_family_form",
    "after_protection": "check_after_protection_form",
    "permanent": "check_permanent_form",
}


@pytest.fixture(autouse=True)
def real_knowledge(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks decide over the project's knowledge base, on the tests' fixed date."""
    monkeypatch.delenv("POBYT_KNOWLEDGE_DIR", raising=False)
    monkeypatch.setenv("POBYT_TODAY", TODAY.isoformat())


def tracker(
    text: str,
    intent: str,
    slots: Optional[Dict[str, Any]] = None,
    form: Optional[str] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
) -> Tracker:
    """A tracker as the form's validation sees it: the person's text is the requested slot's candidate."""
    slots = {"language": "uk", **(slots or {})}
    requested = slots.get("requested_slot")
    events = []
    if requested and form:
        # The from_text mapping put the message into the requested slot; validation reads it from here.
        slots[requested] = text
        events = [{"event": "slot", "name": requested, "value": text}]
    return Tracker(
        sender_id="test",
        slots=slots,
        latest_message={"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": form} if form else {},
        latest_action_name="action_listen",
    )


async def run(action, t: Tracker, dispatcher: Optional[CollectingDispatcher] = None) -> List[Dict[str, Any]]:
    return await action.run(dispatcher or CollectingDispatcher(), t, {})


def slot_values(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


# --- Questions ----------------------------------------------------------------------------------


async def test_the_first_question_in_ukrainian_has_one_button_per_option_and_stop(dispatcher):
    events = await run(ASK_ACTIONS["action_ask_check_family_member"](), tracker("", "check_family"), dispatcher)
    (message,) = dispatcher.messages
    assert message["text"] == "Хто член вашої родини в Словаччині?"
    assert message["buttons"] == [
        {"title": "Громадянин Словаччини з постійним проживанням у Словаччині",
         "payload": '/check_answer{"check_option": "slovak_citizen"}'},
        {"title": "Іноземець із тимчасовим проживанням", "payload": '/check_answer{"check_option": "foreigner_temporary"}'},
        {"title": "Іноземець із постійним проживанням", "payload": '/check_answer{"check_option": "foreigner_permanent"}'},
        {"title": "Особа, якій надано притулок", "payload": '/check_answer{"check_option": "asylum"}'},
        {"title": "Поки що ніхто", "payload": '/check_answer{"check_option": "nobody"}'},
        STOP,
    ]  # fmt: skip
    assert message["custom"] == {"pobyt": {"check": "family", "question": "check_family_member", "language": "uk"}}
    assert events == [SlotSet("language", "uk")]


async def test_a_later_question_also_offers_back(dispatcher):
    slots = {"check_family_member": "foreigner_temporary"}
    await run(ASK_ACTIONS["action_ask_check_relationship"](), tracker("", "check_answer", slots), dispatcher)
    (message,) = dispatcher.messages
    assert message["text"] == "Ким ви доводитеся цьому члену родини?"
    assert [b["title"] for b in message["buttons"]] == [
        "Чоловік або дружина",
        "Дитина до 18 років",
        "Повнолітня дитина, яка залежить від них через тривалі проблеми зі здоров'ям",
        "Батько чи мати, які залежать від їхнього догляду",
        "Назад",
        "Зупинити",
    ]


async def test_a_number_question_says_what_to_type(dispatcher):
    slots = {"check_protected": "yes", "check_exclusion": "none", "check_purpose": "employment"}
    await run(ASK_ACTIONS["action_ask_check_purpose_months"](), tracker("", "check_answer", slots), dispatcher)
    (message,) = dispatcher.messages
    assert message["text"] == (
        "Скільки місяців поспіль, аж до сьогодні, ви цим займаєтеся? Наприклад: 8\n"
        "Будь ласка, напишіть кількість місяців."
    )
    assert message["buttons"] == [BACK, STOP]


def test_every_question_of_every_check_has_its_ask_action():
    assert set(ASK_ACTIONS) == {f"action_ask_{q.id}" for check in CHECKS.values() for q in check.questions}
    assert all(cls().name() == name for name, cls in ASK_ACTIONS.items())


# --- Validation ---------------------------------------------------------------------------------


async def test_starting_a_check_forgets_old_answers_and_asks_the_first_question():
    events = await run(ValidateCheckFamilyForm(), tracker("чи можу я привезти дружину", "check_family",
                                                          {"check_location": "abroad"}, "check_family_form"))  # fmt: skip
    values = slot_values(events)
    assert values["check_location"] is None
    assert values["check"] == "family"
    assert values["requested_slot"] == "check_family_member"


async def test_a_typed_answer_in_ukrainian_fills_the_slot_and_asks_the_next_question():
    slots = {"requested_slot": "check_family_member"}
    t = tracker("іноземець із тимчасовим проживанням", "check_answer", slots, "check_family_form")
    values = slot_values(await run(ValidateCheckFamilyForm(), t))
    assert values["check_family_member"] == "foreigner_temporary"
    assert values["requested_slot"] == "check_relationship"


async def test_a_button_gives_the_option_id():
    slots = {"requested_slot": "check_location", "check_family_member": "foreigner_temporary",
             "check_relationship": "spouse", "check_both_adult": "yes"}  # fmt: skip
    t = tracker('/check_answer{"check_option": "abroad"}', "check_answer", slots, "check_family_form",
                entities=[{"entity": "check_option", "value": "abroad"}])  # fmt: skip
    values = slot_values(await run(ValidateCheckFamilyForm(), t))
    assert values["check_location"] == "abroad"
    assert values["requested_slot"] is None  # the form is done: the result follows


async def test_an_unexpected_answer_is_asked_again_politely(dispatcher):
    slots = {"requested_slot": "check_relationship", "check_family_member": "foreigner_temporary"}
    events = await run(
        ValidateCheckFamilyForm(), tracker("банан", "out_of_scope", slots, "check_family_form"), dispatcher
    )
    (message,) = dispatcher.messages
    assert message["text"] == (
        "Вибачте, я не зрозумів цю відповідь. Будь ласка, виберіть один із варіантів або напишіть ще раз."
    )
    values = slot_values(events)
    assert values["check_relationship"] is None
    assert values["requested_slot"] == "check_relationship"  # its ask action repeats the question and buttons


async def test_a_number_question_asks_for_a_number(dispatcher):
    slots = {"requested_slot": "check_purpose_months", "check_protected": "yes", "check_exclusion": "none",
             "check_purpose": "employment"}  # fmt: skip
    t = tracker("довго", "check_answer", slots, "check_after_protection_form")
    events = await run(ValidateCheckAfterProtectionForm(), t, dispatcher)
    assert dispatcher.messages[0]["text"] == "Вибачте, тут потрібне число, наприклад 6."
    assert slot_values(events)["requested_slot"] == "check_purpose_months"


async def test_a_typed_duration_becomes_months():
    slots = {"requested_slot": "check_purpose_months", "check_protected": "yes", "check_exclusion": "none",
             "check_purpose": "employment"}  # fmt: skip
    t = tracker("пів року", "check_answer", slots, "check_after_protection_form")
    values = slot_values(await run(ValidateCheckAfterProtectionForm(), t))
    assert values["check_purpose_months"] == 6
    assert values["requested_slot"] is None


@pytest.mark.parametrize(
    ("validate", "form", "slots", "text", "expected_next"),
    [
        # Nobody in Slovakia yet: nothing more to ask.
        (ValidateCheckFamilyForm, "check_family_form", {"requested_slot": "check_family_member"}, "поки що ніхто", None),
        # No temporary protection: the other three questions do not apply.
        (ValidateCheckAfterProtectionForm, "check_after_protection_form", {"requested_slot": "check_protected"}, "ні",
         None),
        # Temporary residence towards citizenship: the years of the status are not asked, the legal stay is.
        (ValidateCheckPermanentForm, "check_permanent_form",
         {"requested_slot": "check_status", "check_goal": "citizenship"}, "тимчасове проживання", "check_legal_years"),
    ],
)  # fmt: skip
async def test_questions_made_unnecessary_are_skipped(validate, form, slots, text, expected_next):
    values = slot_values(await run(validate(), tracker(text, "check_answer", slots, form)))
    assert values["requested_slot"] == expected_next


async def test_back_forgets_the_previous_answer():
    slots = {"requested_slot": "check_location", "check_family_member": "foreigner_temporary",
             "check_relationship": "spouse", "check_both_adult": "yes"}  # fmt: skip
    values = slot_values(
        await run(ValidateCheckFamilyForm(), tracker("назад", "check_back", slots, "check_family_form"))
    )
    assert values["check_both_adult"] is None
    assert values["check_location"] is None
    assert values["requested_slot"] == "check_both_adult"


async def test_restart_starts_the_same_check_over():
    slots = {"requested_slot": "check_location", "check_family_member": "foreigner_temporary",
             "check_relationship": "spouse", "check_both_adult": "yes"}  # fmt: skip
    t = tracker("почати перевірку спочатку", "check_restart", slots, "check_family_form")
    values = slot_values(await run(ValidateCheckFamilyForm(), t))
    assert values["check_family_member"] is None and values["check_relationship"] is None
    assert values["requested_slot"] == "check_family_member"


async def test_a_different_question_rejects_the_form_so_the_rules_leave_the_check():
    slots = {"requested_slot": "check_relationship", "check_family_member": "foreigner_temporary"}
    events = await run(ValidateCheckFamilyForm(), tracker("скільки це коштує", "ask_fees", slots, "check_family_form"))
    assert events == [SlotSet("check_relationship", None), ActionExecutionRejected("check_family_form")]


async def test_a_valid_answer_counts_even_when_it_reads_like_a_question():
    slots = {"requested_slot": "check_location", "check_family_member": "foreigner_temporary",
             "check_relationship": "spouse", "check_both_adult": "yes"}  # fmt: skip
    values = slot_values(
        await run(ValidateCheckFamilyForm(), tracker("за кордоном", "ask_where", slots, "check_family_form"))
    )
    assert values["check_location"] == "abroad"


async def test_stop_leaves_the_check(dispatcher):
    slots = {"requested_slot": "check_relationship", "check_family_member": "foreigner_temporary"}
    events = await run(ValidateCheckFamilyForm(), tracker("стоп", "stop_check", slots, "check_family_form"))
    assert events[-1] == ActionExecutionRejected("check_family_form")
    events = await run(ActionLeaveCheck(), tracker("стоп", "stop_check", slots, "check_family_form"), dispatcher)
    assert dispatcher.messages[0]["text"] == "Добре, я зупинив перевірку. Запитуйте про що завгодно."
    assert events[:2] == [ActiveLoop(None), SlotSet("requested_slot", None)]
    assert slot_values(events)["check_family_member"] is None


async def test_leaving_for_a_question_says_nothing_itself(dispatcher):
    await run(ActionLeaveCheck(), tracker("скільки це коштує", "ask_fees", {}, "check_family_form"), dispatcher)
    assert dispatcher.messages == []


def test_every_leaving_intent_has_a_rule_for_every_form():
    rules = yaml.safe_load((ROOT / "data" / "rules_checks.yml").read_text(encoding="utf-8"))["rules"]
    leaving = {
        (rule["condition"][0]["active_loop"], rule["steps"][0]["intent"])
        for rule in rules
        if rule.get("condition")
        and "intent" in rule["steps"][0]
        and rule["steps"][1] == {"action": "action_leave_check"}
    }
    assert leaving == {(FORMS[check], intent) for check in CHECKS for intent in leaving_intents(check)}
    assert "stop_check" in LEAVING_INTENTS


# --- Result ---------------------------------------------------------------------------------------


async def test_the_result_in_ukrainian_sets_the_procedure_and_forgets_the_answers(dispatcher):
    slots = {"check": "family", "check_family_member": "foreigner_temporary", "check_relationship": "spouse",
             "check_both_adult": "yes", "check_location": "abroad"}  # fmt: skip
    events = await run(ActionCheckResult(), tracker("", "check_answer", slots), dispatcher)
    (message,) = dispatcher.messages
    lines = message["text"].split("\n")
    assert lines[:2] == [
        "Тимчасове проживання з метою возз'єднання родини (Prechodný pobyt na účel zlúčenia rodiny)",
        "✅ Ви можете подати заяву на «Тимчасове проживання з метою возз'єднання родини», бо ви сказали: "
        "«Іноземець із тимчасовим проживанням»; «Чоловік або дружина»; «нам обом щонайменше 18 років».",
    ]
    assert "Ваш список справ" in lines
    assert message["custom"]["pobyt"] == {
        "check": "family",
        "outcome": "eligible",
        "procedure": "temporary_residence_family_reunion",
        "sources": message["custom"]["pobyt"]["sources"],
        "earliest": None,
        "language": "uk",
    }
    assert message["custom"]["pobyt"]["sources"]
    assert message["buttons"] == [
        {"title": "Пройти перевірку ще раз", "payload": "/check_family"},
        {"title": "Зв'язатися з людиною", "payload": "/ask_human"},
    ]
    values = slot_values(events)
    assert values["procedure"] == "temporary_residence_family_reunion"
    assert values["check"] is None
    assert all(values[q.id] is None for check in CHECKS.values() for q in check.questions)


async def test_the_after_protection_result_gives_the_earliest_date(dispatcher):
    slots = {"check": "after_protection", "check_protected": "yes", "check_exclusion": "none",
             "check_purpose": "employment", "check_purpose_months": 8, "language": "en"}  # fmt: skip
    events = await run(ActionCheckResult(), tracker("", "check_answer", slots), dispatcher)
    (message,) = dispatcher.messages
    assert message["custom"]["pobyt"]["procedure"] == "temporary_protection_transition"
    assert message["custom"]["pobyt"]["outcome"] == "eligible"
    assert slot_values(events)["procedure"] == "temporary_protection_transition"


# --- Entry points -------------------------------------------------------------------------------


def test_the_menu_offers_the_three_checks(real_kb):
    payloads = [b.payload for b in menu("uk", real_kb).buttons]
    assert payloads[-4:] == ["/check_family", "/check_after_protection", "/check_permanent", "/ask_human"]


async def test_which_permit_fits_me_offers_the_checks(dispatcher):
    await run(ActionOfferChecks(), tracker("який дозвіл мені підходить", "check_menu"), dispatcher)
    (message,) = dispatcher.messages
    assert message["text"] == "Я можу перевірити, що стосується саме вас. Яке у вас питання?"
    assert [b["payload"] for b in message["buttons"]] == [
        "/check_family",
        "/check_after_protection",
        "/check_permanent",
    ]


def test_answers_about_a_checked_procedure_offer_the_check(real_kb):
    overview = render_aspect(real_kb, "temporary_protection", "overview", "uk", TODAY)
    assert overview.buttons[-1].title == "Перевірити, що стосується мене"
    assert overview.buttons[-1].payload == "/check_after_protection"
    assert render_aspect(real_kb, "temporary_protection", "documents", "uk", TODAY).buttons == []
    assert all(b.payload != "/check_family" for b in render_aspect(real_kb, "asylum", "overview", "en", TODAY).buttons)


def test_the_check_stories_exist_in_every_language():
    for language in ("en", "uk", "ru"):
        assert Path(ROOT / "tests" / "stories" / f"checks_{language}.yml").exists()
