"""Writes tests/stories/<lang>.yml from the conversations below.

The entities the knowledge-base recogniser finds (spans and values) are annotated. Run once after
changing the conversations and review the diff: the files are the test's expectations, frozen in git.

Usage: python scripts/make_test_stories.py
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import yaml

from pobyt.kb.loader import get_knowledge_base
from pobyt.recognition import recognise

ROOT = Path(__file__).resolve().parents[1]
Turn = Tuple[str, str, str]  # user text, intent, action
ANSWER, GREET, HELP, HUMAN, FALLBACK, THANKS, BYE, LANGUAGE, YES, NO, FEEDBACK = (
    "action_answer", "action_greet", "action_help", "action_human", "action_fallback", "action_thanks",
    "action_goodbye", "action_choose_language", "action_affirm", "action_deny", "action_feedback",
)  # fmt: skip
CHOOSE_UK = '/choose_language{"language": "uk"}'

CONVERSATIONS = {
    "en": [
        ("single: documents", [("what documents do i need for asylum", "ask_documents", ANSWER)]),
        ("single: fees", [("how much is the fee for long-term residence", "ask_fees", ANSWER)]),
        ("single: where", [("where do i apply for a national visa", "ask_where", ANSWER)]),
        ("single: steps", [("how do i apply for slovak citizenship by naturalisation", "ask_steps", ANSWER)]),
        ("single: eligibility", [("who can get the eu blue card", "ask_eligibility", ANSWER)]),
        ("single: processing time", [("how long does a decision on permanent residence for five years take", "ask_processing_time", ANSWER)]),
        ("single: deadline", [("until when is temporary protection valid", "ask_deadlines", ANSWER)]),
        ("single: contacts", [("what is the phone number of the iom migration information centre", "ask_contacts", ANSWER)]),
        ("follow-up: documents then fees", [("what do i need for temporary residence for study", "ask_documents", ANSWER),
                                            ("and how much is it", "ask_fees", ANSWER)]),
        ("follow-up: overview then where", [("tell me about the apostille", "ask_overview", ANSWER),
                                            ("where do i get it", "ask_where", ANSWER)]),
        ("ask back with buttons", [("what do i need for family reunion", "ask_documents", ANSWER),
                                   ('/ask_documents{"procedure": "permanent_residence_5_years"}', "ask_documents", ANSWER),
                                   ("how much does it cost", "ask_fees", ANSWER)]),
        ("language switch by request", [("hello", "greet", GREET), ("answer in ukrainian please", "choose_language", LANGUAGE)]),
        ("language buttons", [("change language", "choose_language", LANGUAGE), (CHOOSE_UK, "choose_language", LANGUAGE)]),
        ("fallback", [("who will win the football tonight", "out_of_scope", FALLBACK)]),
        ("handoff", [("i want to talk to a real person", "ask_human", HUMAN), ("thank you", "thank", THANKS)]),
        ("menu and goodbye", [("what can you do", "help", HELP), ("bye", "goodbye", BYE)]),
        ("feedback, yes and no", [("how much is the fee for long-term residence", "ask_fees", ANSWER),
                                  ("this information is outdated", "feedback", FEEDBACK),
                                  ("yes", "affirm", YES), ("no thanks", "deny", NO)]),
        ("answer engine: question entry", [("can i work while i have temporary protection", "ask_eligibility", ANSWER)]),
        ("answer engine: a question after thanks", [("thanks! and do i have to tell the police i moved?", "thank", THANKS)]),
        ("answer engine: follow-up by city", [("where do i apply for permanent residence for five years", "ask_where", ANSWER),
                                               ("and in kosice?", "ask_where", ANSWER)]),
        ("answer engine: two questions", [("how much does long-term residence cost and where do i apply?", "ask_fees", ANSWER)]),
    ],
    "uk": [
        ("single: documents", [("які документи потрібні для притулку", "ask_documents", ANSWER)]),
        ("single: fees", [("скільки коштує довгострокове проживання", "ask_fees", ANSWER)]),
        ("single: where", [("де подавати на національну візу", "ask_where", ANSWER)]),
        ("single: steps", [("як отримати словацьке громадянство через натуралізацію", "ask_steps", ANSWER)]),
        ("single: eligibility", [("хто може отримати блакитну карту єс", "ask_eligibility", ANSWER)]),
        ("single: processing time", [("скільки чекати рішення на постійне проживання на п'ять років", "ask_processing_time", ANSWER)]),
        ("single: deadline", [("до якого числа діє тимчасовий захист", "ask_deadlines", ANSWER)]),
        ("single: contacts", [("який телефон у міграційного інформаційного центру мом", "ask_contacts", ANSWER)]),
        ("follow-up: documents then fees", [("що треба для тимчасового проживання на навчання", "ask_documents", ANSWER),
                                            ("а скільки це коштує", "ask_fees", ANSWER)]),
        ("follow-up: overview then where", [("розкажіть про апостиль", "ask_overview", ANSWER),
                                            ("а де його зробити", "ask_where", ANSWER)]),
        ("ask back with buttons", [("які документи треба для возз'єднання родини", "ask_documents", ANSWER),
                                   ('/ask_documents{"procedure": "temporary_residence_family_reunion"}', "ask_documents", ANSWER),
                                   ("а скільки коштує", "ask_fees", ANSWER)]),
        ("language switch by request", [("добрий день", "greet", GREET), ("говори англійською", "choose_language", LANGUAGE)]),
        ("language buttons", [("змінити мову", "choose_language", LANGUAGE), (CHOOSE_UK, "choose_language", LANGUAGE)]),
        ("fallback", [("яка завтра погода у києві", "out_of_scope", FALLBACK)]),
        ("handoff", [("хочу поговорити з людиною", "ask_human", HUMAN), ("дякую", "thank", THANKS)]),
        ("menu and goodbye", [("що ти вмієш", "help", HELP), ("до побачення", "goodbye", BYE)]),
        ("feedback, yes and no", [("скільки коштує довгострокове проживання", "ask_fees", ANSWER),
                                  ("ця відповідь неправильна", "feedback", FEEDBACK),
                                  ("так", "affirm", YES), ("ні, дякую", "deny", NO)]),
        ("answer engine: question entry", [("чи можна працювати з тимчасовим захистом", "ask_eligibility", ANSWER)]),
        ("answer engine: a question after thanks", [("дякую! а чи треба повідомляти поліцію про переїзд?", "thank", THANKS)]),
        ("answer engine: follow-up by city", [("де подавати на постійне проживання на п'ять років", "ask_where", ANSWER),
                                               ("а в кошицях?", "ask_where", ANSWER)]),
        ("answer engine: two questions", [("скільки коштує довгострокове проживання і де подавати?", "ask_fees", ANSWER)]),
    ],
    "ru": [
        ("single: documents", [("какие документы нужны для убежища", "ask_documents", ANSWER)]),
        ("single: fees", [("сколько стоит долгосрочное проживание", "ask_fees", ANSWER)]),
        ("single: where", [("где подавать на национальную визу", "ask_where", ANSWER)]),
        ("single: steps", [("как получить словацкое гражданство через натурализацию", "ask_steps", ANSWER)]),
        ("single: eligibility", [("кто может получить голубую карту ес", "ask_eligibility", ANSWER)]),
        ("single: processing time", [("сколько ждать решения на постоянное проживание на пять лет", "ask_processing_time", ANSWER)]),
        ("single: deadline", [("до какого числа действует временная защита", "ask_deadlines", ANSWER)]),
        ("single: contacts", [("какой телефон у миграционного информационного центра мом", "ask_contacts", ANSWER)]),
        ("follow-up: documents then fees", [("что нужно для временного проживания на учебу", "ask_documents", ANSWER),
                                            ("а сколько это стоит", "ask_fees", ANSWER)]),
        ("follow-up: overview then where", [("расскажите про апостиль", "ask_overview", ANSWER),
                                            ("а где его сделать", "ask_where", ANSWER)]),
        ("ask back with buttons", [("какие документы нужны для воссоединения семьи", "ask_documents", ANSWER),
                                   ('/ask_documents{"procedure": "permanent_residence_5_years"}', "ask_documents", ANSWER),
                                   ("а сколько стоит", "ask_fees", ANSWER)]),
        ("language switch by request", [("здравствуйте", "greet", GREET), ("говори по-украински", "choose_language", LANGUAGE)]),
        ("language buttons", [("сменить язык", "choose_language", LANGUAGE), (CHOOSE_UK, "choose_language", LANGUAGE)]),
        ("fallback", [("какая завтра погода в москве", "out_of_scope", FALLBACK)]),
        ("handoff", [("хочу поговорить с человеком", "ask_human", HUMAN), ("спасибо", "thank", THANKS)]),
        ("menu and goodbye", [("что ты умеешь", "help", HELP), ("до свидания", "goodbye", BYE)]),
        ("feedback, yes and no", [("сколько стоит долгосрочное проживание", "ask_fees", ANSWER),
                                  ("этот ответ неправильный", "feedback", FEEDBACK),
                                  ("да", "affirm", YES), ("нет, спасибо", "deny", NO)]),
        ("answer engine: question entry", [("можно ли работать с временной защитой", "ask_eligibility", ANSWER)]),
        ("answer engine: a question after thanks", [("спасибо! а нужно ли сообщать полиции о переезде?", "thank", THANKS)]),
        ("answer engine: follow-up by city", [("где подавать на постоянное проживание на пять лет", "ask_where", ANSWER),
                                               ("а в кошице?", "ask_where", ANSWER)]),
        ("answer engine: two questions", [("сколько стоит долгосрочное проживание и где подавать?", "ask_fees", ANSWER)]),
    ],
}  # fmt: skip


def annotate(text: str) -> str:
    """Returns ``text`` with the recogniser's entities written in Rasa's inline syntax."""
    if text.startswith("/"):
        return text
    kb = get_knowledge_base()
    result, last = "", 0
    for entity in sorted(recognise(text, kb), key=lambda e: e["start"]):
        if entity["start"] < last:
            raise ValueError(f"overlapping entities in {text!r}: annotate by hand")
        value = f'{{"entity": "{entity["entity"]}", "value": "{entity["value"]}"}}'
        result += text[last : entity["start"]] + f"[{text[entity['start'] : entity['end']]}]{value}"
        last = entity["end"]
    return result + text[last:]


def stories(language: str) -> List[dict]:
    """Returns the stories of one language in Rasa's YAML structure."""
    result = []
    for title, turns in CONVERSATIONS[language]:
        steps = []
        for text, intent, action in turns:
            steps += [{"user": annotate(text) + "\n", "intent": intent}, {"action": action}]
        result.append({"story": f"{language} {title}", "steps": steps})
    return result


def main() -> None:
    """Writes the three files."""
    folder = ROOT / "tests" / "stories"
    folder.mkdir(exist_ok=True)
    for language in CONVERSATIONS:
        content = {"version": "3.1", "stories": stories(language)}
        text = yaml.dump(content, allow_unicode=True, sort_keys=False, width=200)
        (folder / f"{language}.yml").write_text(f"# Generated by scripts/make_test_stories.py; reviewed.\n{text}")


if __name__ == "__main__":
    main()
