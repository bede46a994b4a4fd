"""The guided checks (issue 6) as Rasa forms: one form per check of :mod:`pobyt.checks`.

Each form's slots are its check's question ids. While a form is active, every message is a candidate
answer (a ``from_text`` slot mapping); the form's validation action reads it with
:func:`pobyt.checks.parse_answer`, asks again politely when it is not an answer, goes back one step or
starts over, and rejects the form for a message that leaves the check ("stop", or a different
question): the rules in ``data/rules_checks.yml`` then run :class:`ActionLeaveCheck` and answer that
question as usual. The questions are asked by ``action_ask_<question id>`` actions generated from the
checks' registry, and :class:`ActionCheckResult` sends the decision.
"""

from __future__ import annotations

import json
import logging
import re
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Dict, FrozenSet, List, Optional, Type

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.actions import current_slots, latest_text, send
from pobyt import conversation
from pobyt.answers import Answer, Button
from pobyt.checks import CHECKS, AnswerKind, Question, decide, get_check, parse_answer, relevant_answers, render_result
from pobyt.checks.parsing import answers_in_message
from pobyt.checks.text import question_options, question_text, say
from pobyt.kb.loader import get_knowledge_base

logger = logging.getLogger(__name__)

REQUESTED_SLOT = "requested_slot"
#: The slot naming the check being run (set by the validation, read by the result action).
CHECK_SLOT = "check"
#: The entity a button's payload gives the option id in: ``/check_answer{"check_option": "abroad"}``.
OPTION_ENTITY = "check_option"
#: Intents that leave a check when the message is not a valid answer; each has a rule per form in
#: ``data/rules_checks.yml`` (the other checks' ``check_<id>`` intents leave too, see :func:`leaving_intents`).
LEAVING_INTENTS: FrozenSet[str] = frozenset(
    {
        "stop_check",
        "greet",
        "goodbye",
        "help",
        "ask_human",
        "choose_language",
        "check_menu",
        *(
            f"ask_{aspect}"
            for aspect in (
                "overview",
                "documents",
                "fees",
                "where",
                "steps",
                "eligibility",
                "processing_time",
                "deadlines",
                "contacts",
            )
        ),
    }
)
BACK_INTENT = "check_back"
RESTART_INTENT = "check_restart"
#: A Slovak term in brackets inside an option label ("(*prechodný pobyt*)"): too long for a button.
_SLOVAK_TERM = re.compile(r"\s*\(\*[^)]*\*\)")


def form_name(check_id: str) -> str:
    """Returns the name of a check's form (``check_family_form``)."""
    return f"check_{check_id}_form"


def start_payload(check_id: str) -> str:
    """Returns the payload that starts (or restarts) a check: ``/check_family``."""
    return f"/check_{check_id}"


def leaving_intents(check_id: str) -> FrozenSet[str]:
    """Returns the intents that leave ``check_id``: :data:`LEAVING_INTENTS` and starting another check."""
    return LEAVING_INTENTS | {f"check_{other}" for other in CHECKS if other != check_id}


def option_payload(option: str) -> str:
    """Returns the payload of an answer button."""
    return f"/check_answer{json.dumps({OPTION_ENTITY: option})}"


def check_answers(check_id: str, tracker: Tracker) -> Dict[str, Any]:
    """Returns the check's slots (question id -> answer or None)."""
    return {q.id: tracker.get_slot(q.id) for q in get_check(check_id).questions}


def asked_so_far(check_id: str, answers: Dict[str, Any]) -> List[str]:
    """Returns the questions asked given the answers, in order: the answered ones, then the next one.

    Questions made unnecessary by earlier answers are left out (the form's required slots).
    """
    kept = relevant_answers(check_id, answers)
    asked = [q.id for q in get_check(check_id).questions if q.id in kept]
    pending = next((q for q in get_check(check_id).questions if q.id not in kept and q.asked_when(kept)), None)
    return asked + ([pending.id] if pending else [])


def clear_check_slots() -> List[EventType]:
    """Returns the events that forget every check's answers (so a check can be run again)."""
    slots = [q.id for check in CHECKS.values() for q in check.questions]
    return [SlotSet(slot, None) for slot in slots] + [SlotSet(CHECK_SLOT, None)]


def language_of(tracker: Tracker) -> str:
    """Returns the conversation's language, as every other action decides it."""
    return conversation.conversation_language(latest_text(tracker), current_slots(tracker))


def _intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def _button_option(tracker: Tracker) -> Optional[str]:
    entities = tracker.latest_message.get("entities") or []
    return next((str(e["value"]) for e in entities if e.get("entity") == OPTION_ENTITY and e.get("value")), None)


class CheckFormValidation(FormValidationAction):
    """Validates one check's form; concrete classes give ``CHECK_ID`` and ``name()``."""

    CHECK_ID: ClassVar[str]

    @abstractmethod
    def name(self) -> str:
        """Returns ``validate_<form name>``."""

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        """Returns the questions asked so far and the next one (skipping the unnecessary ones)."""
        return asked_so_far(self.CHECK_ID, check_answers(self.CHECK_ID, tracker))

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Reads the answer (or back, restart, leave) and names the next question to ask."""
        language = language_of(tracker)
        intent = _intent(tracker)
        answers = check_answers(self.CHECK_ID, tracker)
        requested = tracker.get_slot(REQUESTED_SLOT)
        requested = requested if requested in answers else None
        candidate = tracker.slots_to_validate().get(requested) if requested else None
        updates: Dict[str, Any] = {}
        if intent in (RESTART_INTENT, f"check_{self.CHECK_ID}"):
            updates = dict.fromkeys(answers)
            if intent != RESTART_INTENT and latest_text(tracker):
                # Started by a typed message: what it already says is not asked again.
                updates.update(self._told(latest_text(tracker)))
        elif intent == BACK_INTENT:
            updates = self._back(answers, requested)
        elif requested is not None:
            question = next(q for q in get_check(self.CHECK_ID).questions if q.id == requested)
            value = parse_answer(question, _button_option(tracker) or str(candidate or ""), language)
            if value is None and intent in leaving_intents(self.CHECK_ID):
                # Not an answer but a different request: reject the form so the rules leave the check.
                return [SlotSet(requested, None), ActionExecutionRejected(self.form_name())]
            if value is None:
                key = "check.ask_again" if question.kind == AnswerKind.choice else "check.ask_number"
                dispatcher.utter_message(text=say(key, language), json_message={"pobyt": {"language": language}})
            updates[requested] = value
        answers.update(updates)
        kept = relevant_answers(self.CHECK_ID, answers)
        # Answers made irrelevant by a changed earlier answer are forgotten, not kept for later.
        updates.update({slot: None for slot, value in answers.items() if value is not None and slot not in kept})
        tracker.slots.update(updates)
        required = await self.required_slots([], dispatcher, tracker, domain)
        following = next((slot for slot in required if tracker.get_slot(slot) is None), None)
        return [
            *(SlotSet(slot, value) for slot, value in updates.items()),
            SlotSet(CHECK_SLOT, self.CHECK_ID),
            SlotSet("language", language),
            SlotSet(REQUESTED_SLOT, following),
        ]

    def _told(self, text: str) -> Dict[str, Any]:
        """Returns the answers the opening message gives, only for questions asked from the start on."""
        check = get_check(self.CHECK_ID)
        told = answers_in_message(list(check.questions), text)
        answers: Dict[str, Any] = {}
        for question in check.questions:
            if question.id in told and question.asked_when(answers):
                answers[question.id] = told[question.id]
        return answers

    def _back(self, answers: Dict[str, Any], requested: Optional[str]) -> Dict[str, Any]:
        """Forgets the last answer given before the question being asked."""
        answered = [slot for slot in asked_so_far(self.CHECK_ID, answers) if answers.get(slot) is not None]
        previous = [slot for slot in answered if slot != requested]
        updates: Dict[str, Any] = {requested: None} if requested else {}
        if previous:
            updates[previous[-1]] = None
        return updates


class AskCheckQuestion(Action, ABC):
    """Asks one question of a check; :func:`ask_action` makes one subclass per question."""

    CHECK_ID: ClassVar[str]
    QUESTION_ID: ClassVar[str]

    @abstractmethod
    def name(self) -> str:
        """Returns ``action_ask_<question id>``."""

    def question(self) -> Question:
        """Returns the question this action asks."""
        return next(q for q in get_check(self.CHECK_ID).questions if q.id == self.QUESTION_ID)

    def answer(self, language: str, answers: Dict[str, Any]) -> Answer:
        """Returns the question with one button per option, then Back (after the first question) and Stop."""
        question = self.question()
        lines = [question_text(question.id, language)]
        if question.kind != AnswerKind.choice:
            lines.append(say(f"check.type.{question.kind.value}", language))
        buttons = [
            Button(_SLOVAK_TERM.sub("", label), option_payload(option))
            for option, label in question_options(question.id, question.options, language)
        ]
        if any(answers.get(slot) is not None for slot in asked_so_far(self.CHECK_ID, answers)):
            buttons.append(Button(say("check.button.back", language), f"/{BACK_INTENT}"))
        buttons.append(Button(say("check.button.stop", language), "/stop_check"))
        data = {"check": self.CHECK_ID, "question": question.id, "language": language}
        return Answer("\n".join(lines), buttons, data)

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Sends the question in the conversation's language, after the direct answer when there is one.

        A check started by a typed question ("is my protection over in March?") answers that
        question first when a question entry does, then asks its own first question.
        """
        language = language_of(tracker)
        text = latest_text(tracker)
        if text and _intent(tracker) == f"check_{self.CHECK_ID}":
            direct = conversation.direct_answer(text, tracker.latest_message.get("entities") or [], language)
            if direct is not None:
                send(dispatcher, direct)
        send(dispatcher, self.answer(language, check_answers(self.CHECK_ID, tracker)))
        return [SlotSet("language", language)]


def ask_action(check_id: str, question_id: str) -> Type[AskCheckQuestion]:
    """Makes the ``action_ask_<question id>`` class for one question (a real subclass: the SDK registers it)."""
    action_name = f"action_ask_{question_id}"

    def name(self: AskCheckQuestion) -> str:
        return action_name

    class_name = "ActionAsk" + "".join(part.title() for part in question_id.split("_"))
    attributes = {"CHECK_ID": check_id, "QUESTION_ID": question_id, "name": name, "__module__": __name__}
    return type(class_name, (AskCheckQuestion,), attributes)


class ValidateCheckFamilyForm(CheckFormValidation):
    """Validates the family reunion check."""

    CHECK_ID = "family"

    def name(self) -> str:
        """Returns the action's name."""
        return "validate_check_family_form"


class ValidateCheckAfterProtectionForm(CheckFormValidation):
    """Validates the check "can I stay after temporary protection"."""

    CHECK_ID = "after_protection"

    def name(self) -> str:
        """Returns the action's name."""
        return "validate_check_after_protection_form"


class ValidateCheckPermanentForm(CheckFormValidation):
    """Validates the permanent residence and citizenship check."""

    CHECK_ID = "permanent"

    def name(self) -> str:
        """Returns the action's name."""
        return "validate_check_permanent_form"


#: One ``action_ask_<question id>`` class per question of every check (module-level so the SDK finds them).
ASK_ACTIONS: Dict[str, Type[AskCheckQuestion]] = {
    f"action_ask_{q.id}": ask_action(check_id, q.id) for check_id, check in CHECKS.items() for q in check.questions
}


class ActionCheckResult(Action):
    """Sends the check's decision and checklist, sets ``procedure`` and forgets the answers."""

    def name(self) -> str:
        """Returns the action's name."""
        return "action_check_result"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Decides the check from its slots and sends the result in the conversation's language."""
        language = language_of(tracker)
        check_id = tracker.get_slot(CHECK_SLOT)
        if check_id not in CHECKS:
            logger.warning("action_check_result without a check (slot %r)", check_id)
            return [*clear_check_slots(), SlotSet("language", language)]
        try:
            result = decide(check_id, check_answers(check_id, tracker), conversation.today(), get_knowledge_base())
        except ValueError:
            # An answer is missing (should not happen after the form): start the check over.
            logger.warning("check %s ended with missing answers", check_id, exc_info=True)
            return [*clear_check_slots(), SlotSet("language", language)]
        buttons = [
            Button(say("check.button.again", language), start_payload(check_id)),
            Button(say("button.human", language), "/ask_human"),
        ]
        send(dispatcher, Answer(render_result(result, language), buttons, {**result.data(), "language": language}))
        return [SlotSet("procedure", result.procedure), *clear_check_slots(), SlotSet("language", language)]


class ActionLeaveCheck(Action):
    """Leaves the active check (stop, or a different question, which the next action answers)."""

    def name(self) -> str:
        """Returns the action's name."""
        return "action_leave_check"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Says the check stopped when the person asked to stop; forgets the answers."""
        language = language_of(tracker)
        if _intent(tracker) == "stop_check":
            dispatcher.utter_message(
                text=say("check.cancelled", language), json_message={"pobyt": {"language": language}}
            )
        return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None), *clear_check_slots(), SlotSet("language", language)]


def checks_menu(language: str) -> Answer:
    """Returns the offer of the three checks, one button each."""
    buttons = [Button(say(f"check.title.{check_id}", language), start_payload(check_id)) for check_id in CHECKS]
    return Answer(say("check.choose", language), buttons, {"language": language})


class ActionOfferChecks(Action):
    """Offers the checks ("which permit fits me?")."""

    def name(self) -> str:
        """Returns the action's name."""
        return "action_offer_checks"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Sends the three checks as buttons."""
        language = language_of(tracker)
        send(dispatcher, checks_menu(language))
        return [SlotSet("language", language)]
