"""Decisions the dialogue needs, as pure functions of the message and the conversation so far.

The Rasa actions in ``actions/`` only read the tracker, call these and send the result.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from pobyt.answers import (
    ASPECTS,
    HUMAN_HELP_OFFICES,
    Answer,
    Button,
    after_title,
    aspect_body_inherited,
    city_branches,
    human_button,
    human_line,
    named_city,
    overview_button,
    render_aspect,
    render_choice,
    render_office,
    validity_lines,
)
from pobyt.checks.registry import CHECKS
from pobyt.checks.text import say as check_say
from pobyt.engine.reading import (
    FAMILY_REUNION,
    MAX_PARTS,
    ROUTE_SURE,
    SUGGEST_SCORE,
    TEMPORARY_PROTECTION,
    about_other_office,
    asked_aspect,
    asks_what_to_do,
    born_here_question,
    choice_made,
    described_procedure,
    displaced_reading,
    inferred_procedure,
    off_reading,
    out_of_scope,
    overriding_procedure,
    protection_end_named,
    protection_instead,
    question_parts,
    relative_joins,
    routed_procedures,
    ruled_out,
    understood_surely,
    without_aspect_words,
    without_names,
)
from pobyt.engine.respond import (
    LEAD_SURE,
    OFFICE_DETAIL_CUES,
    Found,
    aspect_of_facts,
    asylum_pointer,
    best_question,
    direct_facts,
    fact_lines,
    facts_source_line,
    leading_facts,
    next_buttons,
    office_referral_lines,
    outside_topic_line,
    protection_pointer,
    render_question,
    uncovered,
)
from pobyt.engine.retrieval import analyse, fact_index
from pobyt.kb.loader import get_knowledge_base
from pobyt.kb.models import Category, KnowledgeBase, Question
from pobyt.language import choose_language
from pobyt.messages import DEFAULT_LANGUAGE, language_or_default, say
from pobyt.recognition import recognise, search_index

#: Two matches closer than this are equally good: the person is asked which one is meant.
AMBIGUITY_MARGIN = 0.01
#: How much better an office's name must match than the best procedure's for the office to win.
OFFICE_MARGIN = 0.1
#: A message of at most this many informative words, naming nothing, follows up on the procedure discussed.
FOLLOW_UP_WORDS = 4
#: Procedures offered as buttons in the help menu.
MENU_PROCEDURES = (
    "temporary_protection",
    "temporary_protection_transition",
    "permanent_residence",
    "citizenship_naturalization",
)
#: Slots the dialogue reads and writes (the contract with channels and tests).
SLOTS = ("procedure", "office", "language", "language_locked", "aspect", "disclaimer_shown")
#: Each language's name in that language (language buttons show these in every language).
NATIVE_LANGUAGE_NAMES = {"uk": "Українська", "ru": "Русский", "en": "English"}
#: How a message names a language: stems in the three languages.
LANGUAGE_NAMES = {
    "uk": ("ukrain", "україн", "украин"),
    "ru": ("russian", "русск", "російськ", "росій", "по-русски"),
    "en": ("english", "англ"),
}


def today() -> dt.date:
    """Returns today's date, or ``$POBYT_TODAY`` (ISO date) when set, so tests can fix the date."""
    override = os.environ.get("POBYT_TODAY")
    return dt.date.fromisoformat(override) if override else dt.date.today()


def resolve_language(text: str, current: Optional[str], locked: bool = False, hint: Optional[str] = None) -> str:
    """Returns the conversation's language after ``text`` (English when nothing tells).

    A language the person chose explicitly (``locked``) stays until they choose another. ``hint``
    (the channel's ``metadata.language``: Telegram's ``language_code``, the widget's page language)
    counts only for the first message, where the text itself does not tell.
    """
    current = current if current in ("en", "uk", "ru") else None
    if locked and current:
        return current
    return language_or_default(choose_language(text, current, hint) or DEFAULT_LANGUAGE)


def conversation_language(text: str, slots: Mapping[str, Any]) -> str:
    """Returns the language to answer ``text`` in, from the slots and the channel's ``language_hint``."""
    return resolve_language(text, slots.get("language"), bool(slots.get("language_locked")), slots.get("language_hint"))


def requested_language(text: str, entities: Sequence[Mapping[str, Any]]) -> Optional[str]:
    """Returns the language a person asks for ("говори українською", a button), or None."""
    for entity in entities:
        if entity.get("entity") == "language" and entity.get("value") in ("en", "uk", "ru"):
            return str(entity["value"])
    lowered = text.lower()
    found = [language for language, stems in LANGUAGE_NAMES.items() if any(stem in lowered for stem in stems)]
    return found[0] if len(found) == 1 else None


def language_choice(text: str, entities: Sequence[Mapping[str, Any]], slots: Mapping[str, Any]) -> Reply:
    """Switches to the language asked for, or offers the three languages as buttons."""
    chosen = requested_language(text, entities)
    if chosen:
        return Reply([Answer(say("language.chosen", chosen), data={"language": chosen})],
                     {"language": chosen, "language_locked": True})  # fmt: skip
    language = conversation_language(text, slots)
    buttons = [
        Button(name, f'/choose_language{{"language": "{code}"}}') for code, name in NATIVE_LANGUAGE_NAMES.items()
    ]
    return Reply([Answer(say("language.choose", language), buttons, {"language": language})], {"language": language})


def aspect_of_intent(intent: Optional[str]) -> Optional[str]:
    """Returns the aspect an intent asks about (``ask_fees`` -> ``fees``), or None."""
    if intent and intent.startswith("ask_") and intent[4:] in ASPECTS:
        return intent[4:]
    return None


@dataclass
class Reply:
    """What to say and which slots to set after it."""

    answers: List[Answer]
    slots: Dict[str, Any] = field(default_factory=dict)


def _ranked(entities: Sequence[Mapping[str, Any]], kind: str) -> List[Mapping[str, Any]]:
    """Entities of one kind, best first; an entity without confidence (a button) ranks first."""
    found = [e for e in entities if e.get("entity") == kind and e.get("value")]
    return sorted(found, key=lambda e: -(e.get("confidence") if e.get("confidence") is not None else 99.0))


def _with_disclaimer(answers: List[Answer], slots: Dict[str, Any], language: str) -> List[Answer]:
    """Adds the disclaimer once per conversation, before the first answer."""
    if slots.get("disclaimer_shown"):
        return answers
    slots["disclaimer_shown"] = True
    return [Answer(say("disclaimer", language), data={"language": language}), *answers]


#: A message naming a topic or several procedures is read by the router when it says at least this many
#: other informative words (a bare "citizenship" is asked back with buttons).
CHOICE_BY_ROUTER_WORDS = 1
#: A message with no procedure and at most this many informative words is asked which procedure it means.
WHICH_PROCEDURE_WORDS = 2


def answer_question(
    text: str,
    intent: Optional[str],
    entities: Sequence[Mapping[str, Any]],
    slots: Mapping[str, Any],
    kb: Optional[KnowledgeBase] = None,
    on: Optional[dt.date] = None,
) -> Reply:
    """Answers a question: the facts that answer it first, then the aspect asked, sources and buttons.

    In order: a question entry that answers the message (the answer engine, :mod:`pobyt.engine`);
    a topic or several equally good procedures: the person is asked which one, with buttons; an
    office named without a procedure: its contacts; else the procedure (named by a button, by the
    message, or discussed before: follow-ups such as "and how much is it?") with the statements that
    match what is asked about it leading its aspect block. Nothing recognised: the best matches as
    buttons and a person to ask.
    """
    kb = kb or get_knowledge_base()
    on = on or today()
    language = conversation_language(text, slots)
    intent_aspect = aspect_of_intent(intent)
    aspect = intent_aspect or slots.get("aspect") or "overview"
    new_slots: Dict[str, Any] = {
        "language": language,
        "aspect": aspect,
        "disclaimer_shown": slots.get("disclaimer_shown"),
    }

    def reply(*answers: Answer) -> Reply:
        protection_pointer(kb, list(answers), text, language)
        asylum_pointer(kb, list(answers), text, language)
        outside_topic_line(kb, list(answers), text, language)
        return Reply(_with_disclaimer(list(answers), new_slots, language), new_slots)

    # The NLU component recognises names in production; callers without it (tests, the staff console) get the same.
    entities = list(entities) or (recognise(text, kb) if text else [])
    parts = question_parts(text) if text and not any(e.get("confidence") is None for e in entities) else []
    if len(parts) > 1:
        return _answer_parts(parts, intent, slots, kb, on)
    # A button's entity has no confidence: the person chose exactly that; no search on top.
    pressed = any(e.get("confidence") is None for e in entities if e.get("entity") in ("procedure", "topic", "office"))
    subject = decide_subject(entities, kb)
    passed_over: Optional[str] = None
    if subject is not None and subject.kind == "procedure" and text and not pressed:
        # A name in passing is not what the message is about: the router reads the whole message.
        instead = overriding_procedure(kb, text, subject.id)
        passed_over = subject.id if instead else None
        subject = Subject("procedure", instead) if instead else subject
    if subject is not None and subject.kind == "procedure" and text and not pressed and ruled_out(subject.id, text):
        # "I'm not on TP": the name is what the person does not have; what the rest describes decides.
        passed_over, subject = subject.id, None
    if (
        subject is not None
        and subject.kind == "procedure"
        and text
        and not pressed
        and _loosely_named(entities, subject.id)
        and protection_instead(kb, text, subject.id)
    ):
        # "came from ukraine ... to be here legally" matched "legalise my stay" (irregular stay) loosely:
        # a person from Ukraine is first of all a case for temporary protection.
        passed_over, subject = subject.id, Subject("procedure", TEMPORARY_PROTECTION)
    if text and not pressed and (subject is None or subject.kind == "procedure"):
        named_id = subject.id if subject is not None else None
        if protection_end_named(text, named_id):
            # "у меня карточка до 4.3.2027, что будет потом?": the date is temporary protection's end.
            passed_over, subject = named_id, Subject("procedure", TEMPORARY_PROTECTION)
    if text and not pressed and subject is not None and subject.kind in ("procedure", "choice"):
        further = further_status(kb, text, subject)
        if further is not None:
            # "on temporary residence since 2020 ... does the gap reset my 5 years for permanent
            # residence?": the residence held is the situation; the further one is what is asked.
            passed_over = subject.id if subject.kind == "procedure" else passed_over
            subject = further
    if text and not pressed and subject is not None and UNDOCUMENTED_WORK in (subject.id, *subject.choices):
        # "can I work on TP without a work permit?" asks what the status allows, not about undeclared work.
        status = status_named(kb, text)
        if status is not None:
            passed_over, subject = UNDOCUMENTED_WORK, Subject("procedure", status)
    if text and not pressed and held_status(kb, subject) and relative_joins(kb, text):
        # "I'm here on a residence card, can my mum come and live with me?": the card is the person's
        # situation; what is asked is the mother's family reunion.
        passed_over = subject.id if subject is not None and subject.kind == "procedure" else passed_over
        subject = Subject("procedure", FAMILY_REUNION)
    subject = transition_instead(subject, [e for e in entities if e.get("value") != passed_over], text, kb)
    named = subject.id if subject is not None and subject.kind == "procedure" else None
    asked = without_names(text, entities)
    # "can I get a mortgage?", "how much is child benefit?": nothing in the sources; said so, not the nearest.
    outside = bool(text) and not pressed and out_of_scope(kb, text)
    # "and in Košice?" asks where, about what was discussed: no question entry is looked up.
    city_only = bool(named_city(text)) and len(analyse(asked)) <= FOLLOW_UP_WORDS // 2
    if text and not pressed and not city_only:
        context = named or (slots.get("procedure") if subject is None else None)
        found = best_question(kb, asked, context, intent_aspect, strict=named is not None, full_text=text)
        born_here = born_here_question(kb, text) if found is None or found.question is None else None
        if born_here is not None:
            # A child born here, and no entry answers the message: the entry about such a child
            # answers better than what its other words name (a passport, a birth certificate).
            found = Found(question=born_here, score=1.0)
        if found is not None and found.question is not None and context is None:
            found = None if outside or off_reading(kb, found.question, text) else found
        if found is not None and found.question is not None and subject is not None and subject.kind == "office":
            # "opening hours of the foreign police" is not answered by the IOM centre's hours.
            # "phone number of the foreign police in Košice" asks for that office's details: an entry
            # that names no office (which organisations help, and where) does not answer it either.
            asks_details = any(cue.search(text) for _, cue in OFFICE_DETAIL_CUES)
            found = None if about_other_office(kb, found.question, subject.id, strict=asks_details) else found
        if found is not None and found.question is not None:
            question = found.question
            new_slots["procedure"] = question.procedure or slots.get("procedure")
            new_slots["aspect"] = question.aspect.value if question.aspect else aspect
            answer = render_question(kb, question, language, on, found.also)
            if born_here is not None:
                # What a child born here needs depends on the parents' status, which the sources do
                # not settle for every case (temporary protection): whom to ask is part of the answer.
                answer.text += "\n" + human_line(kb, language, text)
            return reply(answer)
    if subject is not None and subject.kind in ("topic", "choice"):
        choices = kb.topics[subject.id].procedures if subject.kind == "topic" else list(subject.choices)
        chosen = choice_made(kb, choices, asked)
        if chosen is None and subject.kind == "choice":
            # No entry answers it, and no word tells: "апостиль на свідоцтво про народження" asks the apostille.
            chosen = verification_asked(kb, choices)
        said = analyse(without_aspect_words(asked))
        if chosen is None and text and not pressed and len(said) >= CHOICE_BY_ROUTER_WORDS:
            # "гражданство, экзамен какие вопросы": the rest of the message says which one it is.
            chosen = next(
                (r.procedure for r in routed_procedures(kb, text, 3, ROUTE_SURE) if r.procedure in choices), None
            )
        if chosen is None:
            question = kb.topics[subject.id].question.get(language) if subject.kind == "topic" else None
            return reply(render_choice(kb, choices, question, aspect, language))
        # "my wife is Slovak, ... family reunion": the message already says which one.
        subject = Subject("procedure", chosen)
    if subject is not None and subject.kind == "office":
        new_slots["office"] = subject.id
        answer = render_office(kb, subject.id, language)
        # "phone of the foreign police in Nitra": what the sources lack is said, with who can tell.
        answer.text = after_title(answer.text, office_referral_lines(kb, subject.id, text, language))
        return reply(answer)
    procedure_id = subject.id if subject is not None else None
    described = False
    if procedure_id is None and text and not pressed:
        # Nothing named: a follow-up about the procedure discussed before ("and for my child?"),
        # or a situation described without any name ("my company in Poland sends me here").
        previous = slots.get("procedure") if slots.get("procedure") in kb.procedures else None
        if previous and (len(analyse(asked)) <= FOLLOW_UP_WORDS or direct_facts(kb, asked, previous)):
            procedure_id = previous
        else:
            procedure_id = None if outside else (described_procedure(kb, text) or displaced_reading(kb, text))
            described = procedure_id is not None
            if described and protection_instead(kb, text, procedure_id):
                # Came from Ukraine, read as irregular or tolerated stay: temporary protection first,
                # the other reading one tap away.
                passed_over, procedure_id = procedure_id, TEMPORARY_PROTECTION
    elif procedure_id is None:
        procedure_id = slots.get("procedure")
    if procedure_id not in kb.procedures:
        suggested = suggestions(kb, text)
        common = [p for p in MENU_PROCEDURES if p in kb.procedures] if intent_aspect or outside else []
        choices = suggested or common
        if not choices:
            return reply(fallback(text, language, kb))
        if not suggested and not outside and len(analyse(text)) <= WHICH_PROCEDURE_WORDS:
            # "how much does it cost?": a genuine question back, the common procedures as buttons.
            answer = render_choice(kb, choices, say("which_procedure", language), aspect, language)
        elif not suggested or outside:
            # "how much pension will I get after 10 years of work?": nothing in the sources matches;
            # say so and name a person, with the common procedures in case it is about one of them.
            contacts = human_line(kb, language, text)
            said = f"{say('outside_sources', language)}\n" if outside else ""
            answer = render_choice(
                kb, choices, f"{said}{say('not_found_at_all', language)}\n{contacts}", aspect, language
            )
        else:
            # Not sure what is asked: say so, offer the likeliest procedures, and name a person.
            contacts = human_line(kb, language, text)
            answer = render_choice(kb, choices, f"{say('not_found', language)}\n{contacts}", aspect, language)
        answer.buttons.append(human_button(language))
        return reply(answer)
    new_slots["procedure"] = procedure_id
    answer = _answer_procedure(
        kb, procedure_id, text, asked, language, aspect, intent_aspect, pressed, new_slots, on,
        described=described, passed_over=passed_over, outside=outside,
    )  # fmt: skip
    return reply(answer)


def _answer_procedure(
    kb: KnowledgeBase,
    procedure_id: str,
    text: str,
    asked: str,
    language: str,
    aspect: str,
    intent_aspect: Optional[str],
    pressed: bool,
    new_slots: Dict[str, Any],
    on: dt.date,
    described: bool = False,
    passed_over: Optional[str] = None,
    outside: bool = False,
) -> Answer:
    """Answers about one procedure: the statements that match what is asked lead its aspect block.

    Which aspect: the one asked (intent or words), else the one the matching statements are about;
    the steps for "what do I do?"; the overview when the sources lack the one asked (said so when the
    person's own words asked it). A weak match says it is not sure and names a person; a reading
    from a description says how the message was understood, with the next likeliest as buttons.
    ``new_slots["aspect"]`` is set to the aspect answered. ``outside``: the router reads the message as
    about nothing the sources cover; the reply then says the sources say nothing about it.
    """
    proc = kb.procedures[procedure_id]
    city = named_city(text)
    if city and intent_aspect is None and aspect not in ("where", "contacts"):
        aspect = new_slots["aspect"] = "where"  # "and in Košice?"
    hits = leading_facts(kb, asked, procedure_id) if text and not pressed else []
    # "my firm in Poland sends me to a site in Slovakia, what do I need?": the situation's own words
    # are not the sources' words, and no statement matches; the procedure's steps answer.
    what_to_do = bool(text) and not pressed and not hits and asks_what_to_do(asked) and asked_aspect(asked) is None
    if what_to_do:
        has_steps = bool(aspect_body_inherited(kb, proc, "steps", language, on)[0])
        aspect = intent_aspect = new_slots["aspect"] = "steps" if has_steps else "overview"
    leading = [h.fact for h in hits]
    # "how long do they take to decide?" of asylum: the sources give no such time, and the reply says
    # so before the statements that come closest (which would otherwise choose the aspect silently).
    wanted = asked_aspect(asked) if text and not pressed else None
    not_given: Optional[str] = None
    # Only "how long": "how much money must I have?" is no question about fees.
    if wanted == "processing_time" == intent_aspect and not aspect_body_inherited(kb, proc, wanted, language, on)[0]:
        not_given = wanted
    if leading and (intent_aspect is None or not aspect_body_inherited(kb, proc, aspect, language, on)[0]):
        # No aspect asked, or the sources say nothing about the one asked: the matching facts decide.
        aspect = new_slots["aspect"] = aspect_of_facts(leading) or aspect
        if not aspect_body_inherited(kb, proc, aspect, language, on)[0]:
            aspect = new_slots["aspect"] = "overview"
    substituted = False
    if text and not pressed and aspect != "overview" and not aspect_body_inherited(kb, proc, aspect, language, on)[0]:
        # "does an Indian birth certificate need an apostille?" read as "documents": the apostille has
        # no document list, but its overview answers. An aspect the person's own words ask ("how
        # much?") is said to be missing from the sources, before what they do say.
        not_given = not_given or (aspect if wanted == aspect else None)
        substituted = not_given is None
        aspect = new_slots["aspect"] = "overview"
    answer = render_aspect(kb, procedure_id, aspect, language, on)
    if city and aspect in ("where", "contacts"):
        # "and in Košice?": the branches there lead the list.
        offices = list(proc.where_to_apply) + (list(HUMAN_HELP_OFFICES) if aspect == "contacts" else [])
        branches = city_branches(kb, offices, city, language)
        if branches:
            answer.text = after_title(answer.text, branches)
    # The facts that answer lead, unless the aspect's block already states them.
    shown = [f for f in leading if f.kind == "question" or f.aspect != aspect]
    # Only a message that asks something besides the names it gives can be answered weakly.
    asks = bool(text) and not pressed and bool(fact_index(kb).known(analyse(asked)))
    # The aspect asked ("how much?") answered by its block is no weak match, whatever else was said.
    by_block = intent_aspect is not None and aspect == intent_aspect and not hits
    weak = (
        substituted
        or outside
        or (asks and not by_block and not what_to_do and (not hits or hits[0].coverage < LEAD_SURE))
    )
    # "Nothing about this" only when no statement shares a word with the question; else "not sure".
    unsure = weak and (outside or (not hits and uncovered(kb, asked, procedure_id)))
    # When temporary protection ends matters whatever is asked about it (the block already says it
    # for deadlines and the overview).
    dated = validity_lines(proc, language, on) if proc.validity and aspect not in ("deadlines", "overview") else []
    # Other words besides the aspect's, matching nothing: the block answers, and a person is named too.
    refer = weak or (by_block and asks) or not_given is not None
    if shown or refer or dated:
        lines = []
        if not_given:
            heading = say(f"heading.{not_given}", language).rstrip(":")
            lines.append(say("aspect_not_given", language, heading=heading, title=proc.title.get(language)))
        if weak and not not_given:
            # Most of what is asked is in none of the procedure's statements, or the best of them
            # shares little with it: say so first, then what comes closest, and whom to ask.
            lines.append(say("not_covered" if unsure else "not_sure", language, title=proc.title.get(language)))
            answer.data["uncovered"] = unsure
        # The block of an aspect the message asked ("what documents do they need?") answers, however
        # unsure the statements are: it stays.
        block_asked = aspect in (intent_aspect, wanted)
        if (weak or not_given) and shown and not outside and not block_asked:
            # Not sure the statements answer it: say so, give the closest ones and their sources, and
            # leave the aspect's whole block one tap away instead of under them (graders read a hedge
            # followed by a block as "dumps the procedure instead of saying plainly").
            title_line = answer.text.split("\n", 1)[0]
            sources = facts_source_line(kb, shown, language)
            answer.text = "\n".join([title_line, *lines, *fact_lines(kb, shown, language), *dated, sources])
            if aspect != "overview":
                answer.buttons.insert(0, overview_button(kb, procedure_id, language))
        else:
            answer.text = after_title(answer.text, lines + fact_lines(kb, shown, language) + dated)
        if refer:
            answer.text += "\n" + human_line(kb, language, text)
        if shown:
            answer.data["facts"] = [f.id for f in shown]
    if text or pressed:
        # What people usually ask next, the guided check, a person (kept: related procedures first).
        taken = {b.payload for b in answer.buttons}
        answer.buttons += [b for b in next_buttons(kb, procedure_id, aspect, language, on) if b.payload not in taken]
    if described or (passed_over and procedure_id != passed_over):
        # Read from a description, not a name (or not by the name it gives): the next likeliest
        # procedures, the named one first, are one tap away, and when the reading is not sure or
        # went past the name the reply says how it understood the message.
        if passed_over or not understood_surely(kb, text, procedure_id):
            answer.text = after_title(answer.text, [say("understood_as", language, title=proc.title.get(language))])
            if not refer:
                # Not sure what the message is about: whom to ask is part of the answer.
                answer.text += "\n" + human_line(kb, language, text)
        others = [p for p in dict.fromkeys([passed_over, *suggestions(kb, text)]) if p and p != procedure_id][:2]
        position = max(len(answer.buttons) - 1, 0)
        answer.buttons[position:position] = [overview_button(kb, p, language) for p in others]
    return answer


def _loosely_named(entities: Sequence[Mapping[str, Any]], procedure_id: str) -> bool:
    """True when ``procedure_id`` was recognised in the message only approximately (not a whole name)."""
    scores = [e.get("confidence") for e in entities if e.get("value") == procedure_id]
    return bool(scores) and all(score is not None and score < 1.0 for score in scores)


#: Statuses in the order a person moves through them: temporary residence, then permanent (or
#: long-term) residence, then citizenship.
STATUS_ORDER = {Category.temporary_residence: 1, Category.permanent_residence: 2, Category.citizenship: 3}
#: A status counts as named by a message whose name it matches at least this well.
FURTHER_STATUS_SCORE = 0.97


def further_status(kb: KnowledgeBase, text: str, subject: Subject) -> Optional[Subject]:
    """Returns the furthest status a message names beyond the one chosen, or None.

    "I have had temporary residence since 2020... can I get permanent residence?", "был внж, потом
    пмж, хочу подавать на гражданство": the earlier statuses are the person's history.
    """
    chosen = [subject.id] if subject.kind == "procedure" else list(subject.choices)
    ranks = [STATUS_ORDER.get(kb.procedures[p].category, 0) for p in chosen if p in kb.procedures]
    if not ranks or min(ranks) == 0:
        return None
    best: Optional[Tuple[int, float, Subject]] = None
    for match in search_index(kb).match(text, limit=8):
        if match.score < FURTHER_STATUS_SCORE:
            continue
        if match.kind == "procedure" and match.id in kb.procedures:
            rank, found = STATUS_ORDER.get(kb.procedures[match.id].category, 0), Subject("procedure", match.id)
        elif match.kind == "topic" and match.id in kb.topics:
            categories = {kb.procedures[p].category for p in kb.topics[match.id].procedures if p in kb.procedures}
            rank = STATUS_ORDER.get(categories.pop(), 0) if len(categories) == 1 else 0
            found = Subject("topic", match.id)
        else:
            continue
        if rank > max(ranks) and (best is None or (rank, match.score) > best[:2]):
            best = (rank, match.score, found)
    return best[2] if best is not None else None


#: What is done to a document for use in another country: asked about a document, it is the question.
VERIFICATIONS = ("apostille", "superlegalization", "judicial_translation")


def verification_asked(kb: KnowledgeBase, choices: Sequence[str]) -> Optional[str]:
    """Returns the verification a choice between it and documents asks about, or None.

    "чи треба апостиль на свідоцтво про народження дитини" names the apostille and the birth
    certificate equally well; what is asked is the apostille (of that certificate), not which one.
    """
    verifications = [p for p in choices if p in VERIFICATIONS]
    documents = [p for p in choices if p not in VERIFICATIONS]
    if len(verifications) == 1 and all(kb.procedures[p].category == Category.documents for p in documents):
        return verifications[0]
    return None


#: Kinds of residence a person holds while family joins them (and the card that shows it).
HELD_CATEGORIES = (Category.temporary_residence, Category.permanent_residence)
#: The categories of a status a person holds and works on: protection or one of those residences.
STATUS_CATEGORIES = (Category.protection, *HELD_CATEGORIES)
#: Working without the papers the law requires; "without a work permit" names it.
UNDOCUMENTED_WORK = "undocumented_work"


def status_named(kb: KnowledgeBase, text: str) -> Optional[str]:
    """Returns the status (protection or residence) the message names by a whole name, or None.

    Read from every name the message matches: the entities keep only the name that explains most of
    it ("робота без дозволу" over "TP").
    """
    return next(
        (
            m.id
            for m in search_index(kb).match(text, limit=6)
            if m.kind == "procedure"
            and m.id in kb.procedures
            and kb.procedures[m.id].category in STATUS_CATEGORIES
            and m.score >= 1.0
        ),
        None,
    )


def held_status(kb: KnowledgeBase, subject: Optional[Subject]) -> bool:
    """True when ``subject`` is nothing, or a residence a person may hold (or its card, or the family topic)."""
    if subject is None:
        return True
    if subject.kind == "topic":
        return FAMILY_REUNION in kb.topics[subject.id].procedures
    return subject.kind == "procedure" and (
        subject.id == "residence_card" or kb.procedures[subject.id].category in HELD_CATEGORIES
    )


def _answer_parts(
    parts: Sequence[str], intent: Optional[str], slots: Mapping[str, Any], kb: KnowledgeBase, on: Optional[dt.date]
) -> Reply:
    """Answers each question of a message that asks several, once each, in order.

    Each part is read with the message's situation (its sentences that are not questions); the
    intent, classified on the whole message, guides the first part only.
    """
    answers: List[Answer] = []
    merged: Dict[str, Any] = dict(slots)
    seen = set()
    for index, part in enumerate(parts):
        # The intent was classified on the whole message: it tells the first part's aspect only.
        part_slots = {**merged, "disclaimer_shown": True, **({"aspect": None} if index else {})}
        # The first part has the intent; the others say their aspect in their own words, if at all.
        question = part.rsplit(".", 1)[-1]
        cue = asked_aspect(question) if index else None
        part_intent = intent if index == 0 else (f"ask_{cue}" if cue else None)
        # "... 8 years with permanent residence. How many years for citizenship? What is the fee?": a
        # later question for an aspect ("how much", "how long") that names nothing asks about what the
        # one before was answered about, not about the status its situation names.
        previous = merged.get("procedure") if index else None
        entities: List[Dict[str, Any]] = []
        if cue and previous in kb.procedures and not recognise(question, kb):
            entities = [{"entity": "procedure", "value": previous, "confidence": 1.0}]
        part_reply = answer_question(part, part_intent, entities, part_slots, kb, on)
        merged.update(part_reply.slots)
        for answer in part_reply.answers:
            key = (answer.data.get("question"), answer.data.get("procedure"), answer.data.get("aspect"))
            if key not in seen and answer.text not in {a.text for a in answers}:
                seen.add(key)
                answers.append(answer)
    language = merged.get("language") or DEFAULT_LANGUAGE
    merged["disclaimer_shown"] = slots.get("disclaimer_shown")
    return Reply(_with_disclaimer(answers[:MAX_PARTS], merged, language), merged)


#: The procedure for moving from temporary protection to temporary residence (the 2026 amendment).
TRANSITION = "temporary_protection_transition"


def transition_instead(
    subject: Optional[Subject], entities: Sequence[Mapping[str, Any]], text: str, kb: KnowledgeBase
) -> Optional[Subject]:
    """Returns the transition procedure for a message about temporary residence from temporary protection.

    "I have temporary protection, what documents for residence for work?" names the employment permit,
    whose general documents (proof of funds...) are wrong for a displaced person: the 2026 amendment
    gives them their own application (graded harmful when answered with the general permit).
    """
    if subject is None or subject.kind not in ("procedure", "choice") or TRANSITION not in kb.procedures:
        return subject
    if ruled_out(TRANSITION, text):
        return subject  # "I was told I can't get temporary protection": not a displaced person's case
    chosen = [subject.id] if subject.kind == "procedure" else list(subject.choices)
    # "з dočasné útočisko на прехідний побит": from protection to residence, named second.
    from_protection = chosen == ["temporary_protection"]
    named = [e.get("value") for e in entities if e.get("entity") == "procedure" and e.get("value") in kb.procedures]
    named = named if from_protection else []
    candidates = [kb.procedures[p] for p in dict.fromkeys(chosen + named)]
    residence = any(
        p.id in ("temporary_residence", TRANSITION) or p.part_of == "temporary_residence" for p in candidates
    )
    named_protection = any(e.get("value") in ("temporary_protection", TRANSITION) for e in entities)
    # Temporary protection read by its own names in the knowledge base (also when another name won).
    if residence and (
        named_protection or any(m.id == "temporary_protection" for m in search_index(kb).match(text, 12))
    ):
        return Subject("procedure", TRANSITION)
    return subject


def asked_part(text: str, kb: KnowledgeBase) -> str:
    """Returns what a message asks about the things it names (the message without their names)."""
    return without_names(text, recognise(text, kb))


@dataclass(frozen=True)
class Subject:
    """What a message is about: a ``procedure``, ``office`` or ``topic`` id, or a ``choice`` of procedures."""

    kind: str
    id: str = ""
    choices: Tuple[str, ...] = ()


def decide_subject(entities: Sequence[Mapping[str, Any]], kb: KnowledgeBase) -> Optional[Subject]:
    """Decides what a message is about from the recognised entities (None: it names nothing).

    A button's entity (no confidence) wins. A topic beats a procedure matched no better. Procedures
    within :data:`AMBIGUITY_MARGIN` of the best are offered as a choice. An office counts when no
    procedure is named, or when its name matched clearly better (:data:`OFFICE_MARGIN`) than any
    procedure's ("матрика часи роботи": the registry office, not a near-miss of "метрика").
    """
    procedures = [e for e in _ranked(entities, "procedure") if e["value"] in kb.procedures]
    topics = [e for e in _ranked(entities, "topic") if e["value"] in kb.topics]
    offices = [e for e in _ranked(entities, "office") if e["value"] in kb.offices]
    best = procedures[0] if procedures else None
    if best is not None and best.get("confidence") is None:
        return Subject("procedure", best["value"])
    if offices and best is not None and (offices[0].get("confidence") or 0) >= best["confidence"] + OFFICE_MARGIN:
        best, procedures = None, []
    if topics and (best is None or (topics[0].get("confidence") or 0) >= best["confidence"]):
        return Subject("topic", topics[0]["value"])
    if best is not None:
        close = tuple(e["value"] for e in procedures if best["confidence"] - e["confidence"] < AMBIGUITY_MARGIN)
        return Subject("choice", choices=close) if len(close) > 1 else Subject("procedure", best["value"])
    if offices:
        return Subject("office", offices[0]["value"])
    return None


def question_for(text: str, entities: Sequence[Mapping[str, Any]], kb: KnowledgeBase) -> Optional[Question]:
    """Returns the question entry that answers a typed message on its own (no conversation), or None."""
    entities = list(entities) or recognise(text, kb)
    named = decide_subject(entities, kb)
    procedure = named.id if named is not None and named.kind == "procedure" else None
    found = best_question(
        kb, without_names(text, entities), procedure, None, strict=procedure is not None, full_text=text
    )
    return found.question if found is not None else None


def direct_answer(text: str, entities: Sequence[Mapping[str, Any]], language: str) -> Optional[Answer]:
    """Returns a question entry's answer to ``text``, or None when no entry answers it."""
    kb = get_knowledge_base()
    question = question_for(text, entities, kb)
    return render_question(kb, question, language, today()) if question is not None else None


def describes_procedure(text: str) -> bool:
    """True when a message describes a procedure without naming it (the router reads it surely enough)."""
    return bool(text) and described_procedure(get_knowledge_base(), text) is not None


def asks_outside_sources(text: str) -> bool:
    """True when a message asks about something the sources do not cover (tax, rent, pensions...)."""
    return bool(text) and out_of_scope(get_knowledge_base(), text)


def names_knowledge(text: str, entities: Sequence[Mapping[str, Any]], kb: Optional[KnowledgeBase] = None) -> bool:
    """True when a typed message names a procedure, topic or office, or a question entry answers it."""
    if not text:
        return False
    kb = kb or get_knowledge_base()
    entities = entities or recognise(text, kb)
    if any(e.get("entity") in ("procedure", "topic", "office") for e in entities):
        return True
    return question_for(text, entities, kb) is not None or inferred_procedure(kb, text) is not None


def menu(language: str, kb: Optional[KnowledgeBase] = None) -> Answer:
    """Returns the help menu: what the assistant can do, the topics, and a few buttons."""
    kb = kb or get_knowledge_base()
    lines = [say("help", language), *(f"• {say('category.' + c.value, language)}" for c in Category)]
    buttons = [overview_button(kb, p, language) for p in MENU_PROCEDURES if p in kb.procedures]
    # The guided checks ("which permit fits me?"), started by their intents check_<id> (actions/checks.py).
    buttons += [Button(check_say(f"check.title.{check_id}", language), f"/check_{check_id}") for check_id in CHECKS]
    buttons.append(human_button(language))
    return Answer("\n".join(lines), buttons, {"language": language})


def fallback(text: str, language: str, kb: Optional[KnowledgeBase] = None) -> Answer:
    """Answers a message that was not understood: a question entry, else the best matches and a person.

    Nothing dead-ends: up to three procedures the message may be about are offered as buttons,
    together with the contacts of people who can help.
    """
    kb = kb or get_knowledge_base()
    found = best_question(kb, asked_part(text, kb), None, None) if text else None
    if found is not None and found.question is not None:
        return render_question(kb, found.question, language, today())
    choices = suggestions(kb, text)
    contacts = human_line(kb, language, text)
    if choices:
        buttons = [overview_button(kb, p, language) for p in choices]
        buttons.append(human_button(language))
        text_lines = [say("not_found", language), contacts]
        return Answer("\n".join(text_lines), buttons, {"choices": choices, "language": language})
    return human_help(language, kb, say("fallback", language), text)


#: A message with at least this many informative words describes a situation at length...
LONG_DESCRIPTION_WORDS = 5
#: ...and its router readings down to this score are offered as buttons.
SUGGEST_SCORE_LONG = -0.8


def suggestions(kb: KnowledgeBase, text: str, limit: int = 3) -> List[str]:
    """Returns up to ``limit`` procedures a message may be about: named ones first, then by its words."""
    found = [m.id for m in search_index(kb).match(text) if m.kind == "procedure"]
    # A long description the router is unsure of still gets its likeliest readings as buttons, not
    # "I did not understand".
    floor = SUGGEST_SCORE_LONG if len(analyse(text)) >= LONG_DESCRIPTION_WORDS else SUGGEST_SCORE
    found += [route.procedure for route in routed_procedures(kb, text, limit, floor)]
    return list(dict.fromkeys(found))[:limit]


def human_help(language: str, kb: Optional[KnowledgeBase] = None, intro: str = "", text: str = "") -> Answer:
    """Returns the contacts of the people who can help, preceded by ``intro`` if given."""
    kb = kb or get_knowledge_base()
    lines = [intro] if intro else []
    lines.append(human_line(kb, language, text))
    return Answer("\n".join(lines), data={"language": language, "offices": ["iom_mic"]})
