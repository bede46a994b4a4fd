"""Rasa custom actions: read the tracker, ask :mod:`pobyt.conversation`, send the reply."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from pobyt import conversation
from pobyt.answers import Answer, Button, human_button
from pobyt.engine.reading import asks_for_language
from pobyt.messages import say


def send(dispatcher: CollectingDispatcher, answer: Answer) -> None:
    """Sends one answer with its buttons and its machine-readable data (``custom``)."""
    buttons = [{"title": b.title, "payload": b.payload} for b in answer.buttons]
    dispatcher.utter_message(text=answer.text, buttons=buttons or None, json_message={"pobyt": answer.data})


def changed_slots(tracker: Tracker, slots: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Returns SlotSet events for the slots whose value changes.

    Unchanged ones would only make every stored conversation longer, and Rasa replays all of it on
    every message.
    """
    return [SlotSet(name, value) for name, value in slots.items() if tracker.get_slot(name) != value]


def latest_text(tracker: Tracker) -> str:
    """Returns the text of the latest user message ('' for button payloads)."""
    text = tracker.latest_message.get("text") or ""
    return "" if text.startswith("/") else text


#: A message of this many words read as a check's answer outside a check is a question, not a menu request.
NOT_A_MENU_REQUEST_WORDS = 4
#: A message of this many words classified as small talk is a question nothing in the knowledge base names.
LONG_SMALL_TALK_WORDS = 8


def answer_instead(tracker: Tracker) -> Optional[conversation.Reply]:
    """Returns the answer to the latest message when it names something in the knowledge base.

    Greetings, thanks, goodbyes, feedback, "yes"/"no", the menu and language choices must not
    swallow a question ("thanks, and can I work on temporary protection?"): when the message names a
    procedure, topic or office, or a question entry answers it, it is answered as a question, with
    the best aspect intent of the ranking as the aspect asked.
    """
    text = latest_text(tracker)
    entities = tracker.latest_message.get("entities") or []
    if not conversation.names_knowledge(text, entities):
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        # Feedback is often long ("the fee you gave is wrong..."): only a question mark makes it a question.
        asks = "?" in text if intent == "feedback" else len(text.split()) >= LONG_SMALL_TALK_WORDS
        if not asks:
            return None
        # A long message is never just "thanks" or "yes": it is answered when it describes a procedure
        # ("the address on my card is wrong because I moved, am I in trouble?"), else it is honestly
        # not understood.
        # A question about tax or rent is told plainly that the sources do not cover it.
        if conversation.describes_procedure(text) or conversation.asks_outside_sources(text):
            return answer_as_question(tracker)
        return fallback_reply(tracker)
    return answer_as_question(tracker)


def answer_as_question(tracker: Tracker) -> conversation.Reply:
    """Answers the latest message as a question, the best aspect intent of the ranking saying what is asked."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    aspect_intent = next((i.get("name") for i in ranking if conversation.aspect_of_intent(i.get("name"))), None)
    entities = tracker.latest_message.get("entities") or []
    return conversation.answer_question(latest_text(tracker), aspect_intent, entities, current_slots(tracker))


def fallback_reply(tracker: Tracker) -> conversation.Reply:
    """Returns the "not understood" reply to the latest message: the best matches and a person."""
    text = latest_text(tracker)
    language = conversation.conversation_language(text, current_slots(tracker))
    return conversation.Reply([conversation.fallback(text, language)], {"language": language})


class LanguageAwareAction(Action):
    """Base of the actions that reply in the conversation's language; ``name()`` stays abstract.

    A message that names something in the knowledge base is answered as a question instead
    (:func:`answer_instead`), whatever small-talk intent it was classified as.
    """

    @abstractmethod
    def name(self) -> str:
        """Returns the action's name (defined by each concrete action)."""

    @abstractmethod
    def replies(self, language: str, tracker: Tracker) -> List[Answer]:
        """Returns the answers to send in ``language``."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Sends the replies and keeps the ``language`` slot up to date."""
        instead = answer_instead(tracker)
        if instead is not None:
            for answer in instead.answers:
                send(dispatcher, answer)
            return changed_slots(tracker, instead.slots)
        language = conversation.conversation_language(latest_text(tracker), current_slots(tracker))
        for answer in self.replies(language, tracker):
            send(dispatcher, answer)
        return changed_slots(tracker, {"language": language})


class ReplyAction(Action):
    """Base of the actions whose reply also sets slots; ``name()`` stays abstract."""

    @abstractmethod
    def name(self) -> str:
        """Returns the action's name (defined by each concrete action)."""

    @abstractmethod
    def reply(self, tracker: Tracker) -> conversation.Reply:
        """Returns the answers and the slots to set."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Sends the answers and sets the slots."""
        reply = self.reply(tracker)
        for answer in reply.answers:
            send(dispatcher, answer)
        return changed_slots(tracker, reply.slots)


def current_slots(tracker: Tracker) -> Dict[str, Any]:
    """Returns the slots the dialogue reads, and the channel's language hint as ``language_hint``.

    Channels send the person's app or page language as message metadata ``{"language": "uk"}``;
    it is not a slot because it only matters for the first message.
    """
    slots: Dict[str, Any] = {name: tracker.get_slot(name) for name in conversation.SLOTS}
    metadata = tracker.latest_message.get("metadata") or {}
    slots["language_hint"] = metadata.get("language") if isinstance(metadata, dict) else None
    return slots


class ActionAnswer(ReplyAction):
    """Answers an aspect (documents, fees, ...) of the procedure asked about."""

    def name(self) -> str:
        """Returns the action's name."""
        return "action_answer"

    def reply(self, tracker: Tracker) -> conversation.Reply:
        """Finds the procedure and renders the answer (sets ``procedure``, ``language``, ``aspect``)."""
        return conversation.answer_question(
            text=latest_text(tracker),
            intent=(tracker.latest_message.get("intent") or {}).get("name"),
            entities=tracker.latest_message.get("entities") or [],
            slots=current_slots(tracker),
        )


class ActionGreet(LanguageAwareAction):
    """Greets and shows the disclaimer."""

    def name(self) -> str:
        """Returns the action's name."""
        return "action_greet"

    def replies(self, language: str, tracker: Tracker) -> List[Answer]:
        """Returns the greeting and the disclaimer."""
        data = {"language": language}
        return [Answer(say("greet", language), data=data), Answer(say("disclaimer", language), data=data)]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Greets; the disclaimer counts as shown for the rest of the conversation."""
        events = await super().run(dispatcher, tracker, domain)
        shown = any(e.get("name") == "disclaimer_shown" for e in events)
        return events if shown else [*events, SlotSet("disclaimer_shown", True)]


class ActionHelp(LanguageAwareAction):
    """Shows the menu of topics."""

    def name(self) -> str:
        """Returns the action's name."""
        return "action_help"

    def replies(self, language: str, tracker: Tracker) -> List[Answer]:
        """Returns the menu; a question read as a check's answer outside a check is not understood instead.

        "пенсійний вік в словаччині для жінок" can look like an answer to a check's question; the menu
        would ignore it, so the reply says it is not understood and names a person.
        """
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = latest_text(tracker)
        if intent != "help" and len(text.split()) >= NOT_A_MENU_REQUEST_WORDS:
            return [conversation.fallback(text, language)]
        return [conversation.menu(language)]


class ActionThanks(LanguageAwareAction):
    """Answers thanks."""

    def name(self) -> str:
        """Returns the action's name."""
        return "action_thanks"

    def replies(self, language: str, tracker: Tracker) -> List[Answer]:
        """Returns "you are welcome"."""
        return [Answer(say("thanks", language), data={"language": language})]


class ActionGoodbye(LanguageAwareAction):
    """Says goodbye."""

    def name(self) -> str:
        """Returns the action's name."""
        return "action_goodbye"

    def replies(self, language: str, tracker: Tracker) -> List[Answer]:
        """Returns the goodbye."""
        return [Answer(say("goodbye", language), data={"language": language})]


class ActionHuman(LanguageAwareAction):
    """Gives the contacts of people who can help."""

    def name(self) -> str:
        """Returns the action's name."""
        return "action_human"

    def replies(self, language: str, tracker: Tracker) -> List[Answer]:
        """Returns the human contacts (with the branches in the city the person named)."""
        return [conversation.human_help(language, text=latest_text(tracker))]


class ActionAffirm(LanguageAwareAction):
    """Answers a "yes" that is not the answer to a question (questions come with buttons)."""

    def name(self) -> str:
        """Returns the action's name."""
        return "action_affirm"

    def replies(self, language: str, tracker: Tracker) -> List[Answer]:
        """Returns an invitation to ask more."""
        return [Answer(say("affirm", language), data={"language": language})]


class ActionDeny(LanguageAwareAction):
    """Answers a "no": invites the person to say what they need, or to ask for a person."""

    def name(self) -> str:
        """Returns the action's name."""
        return "action_deny"

    def replies(self, language: str, tracker: Tracker) -> List[Answer]:
        """Returns the invitation with a button to the menu and one to a person."""
        buttons = [Button(say("button.menu", language), "/help"), human_button(language)]
        return [Answer(say("deny", language), buttons, data={"language": language})]


class ActionFeedback(LanguageAwareAction):
    """Thanks for feedback on an answer; the message stays in the tracker store for curators."""

    def name(self) -> str:
        """Returns the action's name."""
        return "action_feedback"

    def replies(self, language: str, tracker: Tracker) -> List[Answer]:
        """Returns the thanks followed by the human contacts, and names what the feedback is about."""
        answer = conversation.human_help(language, intro=say("feedback", language))
        answer.data.update({"feedback_on": tracker.get_slot("procedure"), "aspect": tracker.get_slot("aspect")})
        return [answer]


class ActionFallback(ReplyAction):
    """Answers a message the intent classifier was unsure of."""

    def name(self) -> str:
        """Returns the action's name."""
        return "action_fallback"

    def reply(self, tracker: Tracker) -> conversation.Reply:
        """Answers it as a question when it names or describes a procedure, else offers the best matches.

        "The address on my card is wrong because I moved six months ago, am I in trouble?" names
        nothing and matches no intent well, but describes a change of address: it is answered.
        """
        text = latest_text(tracker)
        entities = tracker.latest_message.get("entities") or []
        # "how do I get my tax back?" is answered too: the reply says the sources do not cover it.
        if (
            conversation.names_knowledge(text, entities)
            or conversation.describes_procedure(text)
            or conversation.asks_outside_sources(text)
        ):
            return answer_as_question(tracker)
        return fallback_reply(tracker)


class ActionChooseLanguage(ReplyAction):
    """Switches to the language the person asks for (it sticks), or offers the languages."""

    def name(self) -> str:
        """Returns the action's name."""
        return "action_choose_language"

    def reply(self, tracker: Tracker) -> conversation.Reply:
        """Confirms the chosen language or offers buttons (sets ``language``/``language_locked``).

        A question that only mentions a language ("can I speak English at the office?") is answered.
        """
        entities = tracker.latest_message.get("entities") or []
        if not any(e.get("entity") == "language" and e.get("confidence") is None for e in entities):
            instead = answer_instead(tracker)
            if instead is not None:
                return instead
            if not asks_for_language(latest_text(tracker)):
                # "техогляд на українську машину": a language named, but nothing asked of the assistant.
                return fallback_reply(tracker)
        return conversation.language_choice(
            latest_text(tracker), tracker.latest_message.get("entities") or [], current_slots(tracker)
        )
