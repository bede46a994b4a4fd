"""Decides which facts answer a message, and composes the reply: the direct answer first.

A reply leads with the one to three facts that answer the question (a question entry's answer, or
the statements of the procedure that match the question's words), then the procedure's block for the
aspect asked when that helps, then source and date, then buttons for the natural next questions.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from pobyt.answers import (
    BULLET,
    CHECK_OF_PROCEDURE,
    Answer,
    Button,
    after_title,
    aspect_body_inherited,
    aspect_payload,
    human_button,
    human_line,
    overview_button,
    review_lines,
    source_line,
    validity_lines,
)
from pobyt.engine.facts import Fact
from pobyt.engine.retrieval import Hit, analyse, fact_index, procedure_index
from pobyt.kb.models import KnowledgeBase, Office, Question, SourceRef
from pobyt.messages import say

#: A question entry answers a message when its adjusted coverage reaches this.
QUESTION_THRESHOLD = 0.62
#: A question entry must share at least this many words with the message.
MIN_MATCHED_WORDS = 2
#: Added to a question entry's coverage when it is about the procedure the message names...
SAME_PROCEDURE_BONUS = 0.15
#: ...and taken off when the message names another procedure.
OTHER_PROCEDURE_PENALTY = 0.5
#: Added when the entry answers the aspect the intent asks about.
SAME_ASPECT_BONUS = 0.08
#: An entry about the named procedure matched on the whole message must cover this much of it.
WHOLE_MESSAGE_COVERAGE = 0.75
#: What a message asks about a procedure is not covered when at least this many of its words, carrying
#: this share of its weight, appear nowhere in the procedure's text.
UNCOVERED_MIN_WORDS = 2
UNCOVERED_SHARE = 0.75
#: Taken off when the entry answers another aspect than the one the intent asks about.
OTHER_ASPECT_PENALTY = 0.2
#: A procedure's statement is a direct answer when it covers this much of the message's other words.
FACT_THRESHOLD = 0.6
#: Entries within this of the best count as tied with it; more than MAX_TIED tied means no clear answer.
TIE_MARGIN = 0.02
MAX_TIED = 2
#: An entry about the same procedure scoring within this of the best is shown with it.
SECOND_MARGIN = 0.1
#: At most this many statements lead a reply.
MAX_DIRECT_FACTS = 3
#: Aspects whose whole block follows the direct answer (short lists the person usually wants whole).
ASPECT_ORDER = ("overview", "eligibility", "documents", "fees", "where", "steps", "processing_time", "deadlines")


@dataclass
class Found:
    """What the engine found for a message: a question entry, or direct facts of a procedure."""

    question: Optional[Question] = None
    score: float = 0.0
    facts: List[Fact] = field(default_factory=list)
    #: Another entry about the same procedure that matches almost as well: both are shown.
    also: Optional[Question] = None


def related(kb: KnowledgeBase, question: Question, procedure_id: Optional[str]) -> bool:
    """True when ``question`` is about ``procedure_id`` (or a topic's procedures), its general procedure or kinds."""
    if procedure_id is None:
        return False
    own = {question.procedure, *question.procedures} - {None}
    if procedure_id in kb.topics:
        # A topic ("citizenship") relates the entries about any of its procedures.
        return bool(own & set(kb.topics[procedure_id].procedures))
    family = {procedure_id}
    proc = kb.procedures.get(procedure_id)
    if proc is not None and proc.part_of:
        family.add(proc.part_of)
    family |= {p.id for p in kb.procedures.values() if p.part_of == procedure_id}
    return bool(own & family)


def best_question(
    kb: KnowledgeBase,
    text: str,
    procedure_id: Optional[str],
    aspect: Optional[str],
    strict: bool = False,
    full_text: Optional[str] = None,
) -> Optional[Found]:
    """Returns the question entry that answers ``text``, or None when none fits well enough.

    Args:
        kb: the knowledge base.
        text: what the message asks, without the names it gives (see ``full_text``).
        procedure_id: the procedure the message names or the conversation is about (None: none).
        aspect: the aspect the intent asks about (None: no aspect intent).
        strict: the message itself names ``procedure_id``: entries about other procedures lose.
        full_text: the whole message. A name can carry the question ("lost residence card",
            "dual citizenship" are names): an entry about the named procedure may then match the
            whole message, if it shares a word with it beyond the procedure's title.
    """
    best: Optional[Found] = None
    scores: Dict[str, float] = {}
    # Scores before the intent's aspect counts: the aspect is the classifier's guess at the whole message.
    plain: Dict[str, float] = {}

    def procedure_score(hit: Hit, question: Question, is_related: bool) -> float:
        if is_related and procedure_id in {question.procedure, *question.procedures}:
            # Only an entry about the procedure itself gets the bonus: one about its general
            # procedure ("fees of temporary residence") must not beat the kind's own answer.
            return hit.coverage + SAME_PROCEDURE_BONUS
        if strict and (question.procedure or question.procedures):
            return hit.coverage - OTHER_PROCEDURE_PENALTY
        return hit.coverage

    for hit, question, is_related in _question_hits(kb, text, procedure_id, full_text, aspect, strict):
        score = procedure_score(hit, question, is_related)
        plain[question.id] = max(score, plain.get(question.id, 0.0))
        if aspect is not None and question.aspect is not None:
            # The intent says what is asked ("how much does it cost"): an entry about another aspect
            # of the same procedure answers a different question.
            score += SAME_ASPECT_BONUS if question.aspect.value == aspect else -OTHER_ASPECT_PENALTY
        if score >= QUESTION_THRESHOLD:
            scores[question.id] = max(score, scores.get(question.id, 0.0))
        if score >= QUESTION_THRESHOLD and (best is None or score > best.score):
            best = Found(question=question, score=score)
    if best is not None and sum(1 for s in scores.values() if s >= best.score - TIE_MARGIN) > MAX_TIED:
        # "пмж через сколько лет": two common words match many entries equally; none is the answer.
        return None
    if best is not None and best.question is not None and best.question.procedure:
        # "moved flat, must I tell the police?" matches the new card's documents and the 5 working
        # days equally well: the person gets both rather than the half the guessed aspect prefers
        # (the whole message is matched against entries of every aspect for this).
        if aspect not in (None, "overview"):
            for hit, question, is_related in _question_hits(kb, text, procedure_id, full_text, None, strict):
                plain[question.id] = max(procedure_score(hit, question, is_related), plain.get(question.id, 0.0))
        first = plain[best.question.id]
        close = [
            q_id
            for q_id, score in sorted(plain.items(), key=lambda kv: -kv[1])
            if q_id != best.question.id
            and score >= max(first - SECOND_MARGIN, QUESTION_THRESHOLD)
            and kb.questions[q_id].procedure == best.question.procedure
        ]
        best.also = kb.questions[close[0]] if close else None
    return best


def _question_hits(
    kb: KnowledgeBase,
    text: str,
    procedure_id: Optional[str],
    full_text: Optional[str],
    aspect: Optional[str] = None,
    strict: bool = False,
):
    """Yields ``(hit, question, related)`` for the entries that share enough words with the message."""
    index = fact_index(kb)
    words = analyse(text)
    for hit in index.search(words, limit=8, kinds=("question",)) if words else []:
        question = kb.questions.get(hit.fact.id.split(":", 1)[1])
        is_related = question is not None and related(kb, question, procedure_id)
        # One word in common is chance ("work", "child"): a question needs two, or one about the
        # procedure the message itself names ("can I work" + "temporary protection"); a follow-up
        # ("how much is it?") is answered from the procedure discussed, not by a one-word match.
        if question is not None and hit.matched >= (1 if is_related and strict else MIN_MATCHED_WORDS):
            yield hit, question, is_related
    if not full_text or procedure_id not in kb.procedures:
        return
    whole = analyse(full_text)
    title = set(analyse(" ".join(getattr(kb.procedures[procedure_id].title, lang) for lang in ("en", "uk", "ru"))))
    if not set(whole) - title:
        return
    for hit in index.search(whole, limit=8, kinds=("question",)):
        question = kb.questions.get(hit.fact.id.split(":", 1)[1])
        if question is None or not related(kb, question, procedure_id):
            continue
        if aspect not in (None, "overview") and question.aspect is not None and question.aspect.value != aspect:
            continue  # "married to a Slovak, how much is it": the name matches, the question is the fee
        beyond_title = (set(whole) - title) & index.searched_words(hit.fact)
        if beyond_title and hit.coverage >= WHOLE_MESSAGE_COVERAGE:
            yield Hit(hit.fact, hit.score, hit.coverage - SAME_PROCEDURE_BONUS, hit.matched), question, True


def uncovered(kb: KnowledgeBase, text: str, procedure_id: str) -> bool:
    """True when most of what a message asks about a procedure is in none of the procedure's statements.

    "Can I travel to Germany with temporary protection?" asks about travelling, which the sources
    never mention for temporary protection: the reply must say so before what they do say.
    """
    words = set(analyse(text))
    index = procedure_index(kb)
    position = next((i for i, fact in enumerate(index.facts) if fact.procedure == procedure_id), None)
    if position is None or len(words) < UNCOVERED_MIN_WORDS:
        return False
    missing = [w for w in words if w not in index.vocabulary(position)]
    share = sum(index.weight(w) for w in missing) / sum(index.weight(w) for w in words)
    return len(missing) >= UNCOVERED_MIN_WORDS and share >= UNCOVERED_SHARE


def direct_facts(kb: KnowledgeBase, text: str, procedure_id: str) -> List[Fact]:
    """Returns the procedure's statements (its own and its general procedure's) that answer ``text``.

    ``text`` is the message without the words that named the procedure, so the statements are
    chosen by what is asked about the procedure ("in person", "moved", "child").
    """
    words = analyse(text)
    if not words:
        return []
    proc = kb.procedures[procedure_id]
    scope = [procedure_id, proc.part_of] if proc.part_of else [procedure_id]
    hits: Sequence[Hit] = fact_index(kb).search(words, limit=6, procedures=scope)
    chosen = [h.fact for h in hits if h.coverage >= FACT_THRESHOLD and h.fact.kind != "question"]
    return chosen[:MAX_DIRECT_FACTS]


#: Once the procedure is known, its statements and question entries are ranked against what is asked,
#: and the best lead the reply if they share at least this share of the asked words' weight (one
#: informative word of a long message): ranking within one procedure is far more reliable than
#: across the whole knowledge base, where :data:`FACT_THRESHOLD` and :data:`QUESTION_THRESHOLD` apply.
LEAD_FLOOR = 0.05
#: Below this coverage the best leading fact is only related: the reply says so and names a person.
LEAD_SURE = 0.3


def leading_facts(kb: KnowledgeBase, text: str, procedure_id: str, limit: int = MAX_DIRECT_FACTS) -> List[Hit]:
    """Returns the procedure's statements and question entries that best answer ``text``, best first.

    Its own and its general procedure's (``part_of``); ``text`` is the message without the names it
    gives. "I overstayed by 10 days, what happens at the border?" about irregular stay leads with the
    fines and the entry ban, whatever aspect the intent guessed.
    """
    words = analyse(text)
    if not words:
        return []
    proc = kb.procedures[procedure_id]
    scope = [procedure_id, proc.part_of] if proc.part_of else [procedure_id]
    hits = fact_index(kb).search(words, limit=limit, procedures=scope)
    return [h for h in hits if h.coverage >= LEAD_FLOOR]


_YES_OR_NO = re.compile(r"^\W*(yes|no|так|ні|да|нет)\b[.,:;]?\s*", re.IGNORECASE)


def fact_lines(kb: KnowledgeBase, facts: Sequence[Fact], language: str) -> List[str]:
    """Returns the lines that state ``facts``: a bullet each, and a question entry's review warnings.

    A question entry's leading "Yes."/"No." is dropped and what follows it kept: it answers the
    entry's own question, which the bullet does not show ("Do I need to apply for the card?" "No."
    read as the answer to "can my mother come?", graded harmful).
    """
    lines: List[str] = []
    for fact in facts:
        text = fact.text(language)
        if fact.kind == "question" and _YES_OR_NO.match(text):
            rest = _YES_OR_NO.sub("", text, count=1)
            text = rest[:1].upper() + rest[1:] if rest else text
        lines.append(BULLET + text)
        question = kb.questions.get(fact.id.split(":", 1)[1]) if fact.kind == "question" else None
        if question is not None:
            lines += review_lines(question.review, kb, language) + referral_lines(kb, question, language)
    return list(dict.fromkeys(lines))


def facts_source_line(kb: KnowledgeBase, facts: Sequence[Fact], language: str) -> str:
    """Returns the "Source: ..." line for ``facts``: their sources, checked when their entries were last."""
    refs = [SourceRef(source=source) for source in dict.fromkeys(s for fact in facts for s in fact.sources)]
    reviewed = []
    for fact in facts:
        if fact.kind == "question":
            question = kb.questions.get(fact.id.split(":", 1)[1])
            reviewed += [question.last_reviewed] if question is not None else []
        elif fact.procedure in kb.procedures:
            reviewed += [kb.procedures[fact.procedure].last_reviewed]
    return source_line(kb, refs, language, min(reviewed) if reviewed else None)


#: The aspects offered as next questions after a procedure's answer, in this order, at most three.
NEXT_ASPECTS = ("documents", "fees", "where", "processing_time", "eligibility", "steps", "deadlines")
MAX_NEXT_ASPECTS = 3


def next_buttons(kb: KnowledgeBase, procedure_id: str, shown: str, language: str, on: dt.date) -> List[Button]:
    """Returns the natural next questions after an answer about ``procedure_id``'s ``shown`` aspect.

    Up to three other aspects the sources answer, the guided check when the procedure has one, and
    a person.
    """
    proc = kb.procedures[procedure_id]
    buttons: List[Button] = []
    for aspect in NEXT_ASPECTS:
        if len(buttons) == MAX_NEXT_ASPECTS:
            break
        if aspect != shown and aspect_body_inherited(kb, proc, aspect, language, on)[0]:
            buttons.append(Button(say(f"heading.{aspect}", language).rstrip(":"), aspect_payload(aspect, procedure_id)))
    if procedure_id in CHECK_OF_PROCEDURE:
        buttons.append(Button(say("button.check", language), f"/check_{CHECK_OF_PROCEDURE[procedure_id]}"))
    buttons.append(human_button(language))
    return buttons


def referral_lines(kb: KnowledgeBase, question: Question, language: str) -> List[str]:
    """Returns whom to ask, with contacts, when the sources do not answer the entry's point."""
    return [human_line(kb, language)] if question.not_in_sources else []


def render_question(
    kb: KnowledgeBase,
    question: Question,
    language: str,
    today: Optional[dt.date] = None,
    also: Optional[Question] = None,
) -> Answer:
    """Answers with a question entry: the answer, warnings, source and date, and next-question buttons.

    ``also`` is a second entry about the same procedure that matched almost as well; its answer follows.
    """
    # Each answer under the question it answers: a terse answer ("For one year.") matched to a message
    # that asked something else must not read as the answer to that message.
    lines = [say("question_heading", language, question=question.question.get(language)), question.answer.get(language)]
    if also is not None:
        lines += [say("question_heading", language, question=also.question.get(language)), also.answer.get(language)]
    proc = kb.procedures.get(question.procedure or "")
    if proc is not None and proc.validity:
        # Dates are computed against today ("that is in 87 days"), and a law's extension is dated:
        # whatever is asked about temporary protection, when it ends is part of the answer.
        lines += validity_lines(proc, language, today or dt.date.today())[: 2 if proc.validity.note else None]
    lines += review_lines(question.review, kb, language) + referral_lines(kb, question, language)
    lines.append(source_line(kb, question.sources, language, question.last_reviewed))
    buttons: List[Button] = []
    procedures = [p for p in dict.fromkeys([question.procedure, *question.procedures, *question.related]) if p]
    for proc_id in procedures[:3]:
        if proc_id in kb.procedures:
            buttons.append(overview_button(kb, proc_id, language))
    check = next((CHECK_OF_PROCEDURE[p] for p in procedures if p in CHECK_OF_PROCEDURE), None)
    if check:
        buttons.append(Button(say("button.check", language), f"/check_{check}"))
    buttons.append(human_button(language))
    data: Dict[str, Any] = {
        "question": question.id,
        "procedure": question.procedure,
        "aspect": question.aspect.value if question.aspect else None,
        "language": language,
        "sources": list(dict.fromkeys(ref.source for ref in question.sources)),
    }
    return Answer("\n".join(lines), buttons, data)


def aspect_of_facts(facts: Sequence[Fact]) -> Optional[str]:
    """Returns the aspect most of ``facts`` answer (the first one's on a tie), or None."""
    aspects = [f.aspect for f in facts if f.aspect]
    return max(dict.fromkeys(aspects), key=aspects.count) if aspects else None


def today_or(value: Optional[dt.date]) -> dt.date:
    """Returns ``value`` or today's date."""
    return value or dt.date.today()


#: What a question about an office asks for, by the words it uses (stems, three languages).
OFFICE_DETAIL_CUES = (
    ("phone", re.compile(r"phone|\bcall\b|number|телефон|номер|зателефон|подзвон|позвон", re.I)),
    (
        "hours",
        re.compile(
            r"hours|\bopen|годин\w* (роботи|прийому)|графік|час\w* (работы|приема)|режим|розклад|расписан",
            re.I,
        ),
    ),
    ("booking", re.compile(r"\bbook|appointment|reserv|запис|резерв|онлайн|online|черг|очеред|termín", re.I)),
)


def missing_office_details(office: Office, text: str) -> List[str]:
    """Returns what ``text`` asks about an office that the knowledge base does not give (phone, hours, booking).

    "телефон поліції для іноземців у Братиславі": the sources give no phone number of the Foreign
    Police, so the reply must say so and name someone who can tell, not only describe the office.
    """
    phones = office.phones + [p for location in office.locations for p in location.phones]
    given = {"phone": bool(phones), "hours": any(location.hours for location in office.locations), "booking": False}
    return [detail for detail, cue in OFFICE_DETAIL_CUES if cue.search(text) and not given[detail]]


def office_referral_lines(kb: KnowledgeBase, office_id: str, text: str, language: str) -> List[str]:
    """Lines saying which asked details of an office the sources lack, and who can tell (none when all are given)."""
    missing = missing_office_details(kb.offices[office_id], text)
    if not missing:
        return []
    what = ", ".join(say(f"office_detail.{detail}", language) for detail in missing)
    return [say("office_detail_missing", language, what=what), human_line(kb, language, text)]


#: Procedures people displaced from Ukraine are sometimes read into (a tolerated stay, asylum, irregular
#: stay...) when temporary protection is what applies to most of them (001, 004).
NEAR_PROTECTION = frozenset(
    {
        "asylum",
        "subsidiary_protection",
        "humanitarian_residence",
        "irregular_residence",
        "tolerated_stay_departure_impossible",
        "tolerated_stay_expulsion_obstacle",
        "tolerated_stay_other",
        "tolerated_stay_unaccompanied_minor",
    }
)
#: Family reunion: a relative coming from Ukraine may get temporary protection in their own right.
RELATIVE_JOINS = "temporary_residence_family_reunion"
_FROM_UKRAINE = re.compile(
    r"ukrain|україн|украин|kharkiv|kyiv|kiev|odes|dnipro|lviv|zaporizh|mariupol|kherson|"
    r"харк|харьк|київ|києв|киев|одес|дніпр|днепр|львів|львов|запоріж|запорож|маріупол|мариупол|херсон",
    re.IGNORECASE,
)


def came_from_ukraine(text: str) -> bool:
    """True when a message says the person (or someone) came from Ukraine or lived there."""
    return bool(_FROM_UKRAINE.search(text))


#: Words by which a message says the person fears going home ("I'm afraid to go back", "вдома мене
#: переслідували", "посадят за протесты").
_FEARS_RETURN = re.compile(
    r"\bafraid|\bfear|persecut|\bdanger|\bthreat|\bkill|\btortur|\bjail|\bprison|\barrest|"
    r"боюс|боїмо|переслід|загроз|небезпе|вб.ють|посадять|в.язниц|катуван|"
    r"боюсь|боимся|преслед|угроз|опасн|убьют|посадят|тюрьм|пытк",
    re.IGNORECASE,
)
#: Answers that do not protect a person who fears going home: they get a pointer to asylum first.
UNPROTECTED_ANSWERS = frozenset(
    {"voluntary_return", "irregular_residence", "passport", "aliens_passport", "visa_schengen", "visa_national"}
)


def asylum_pointer(kb: KnowledgeBase, answers: List[Answer], text: str, language: str) -> None:
    """Points a person who says they fear going home, answered about return or papers, to asylum.

    "I'm Afghan and afraid to go back, what can I do?" answered only with voluntary return was graded
    harmful (002: asylum is for people who fear persecution in their own country).
    """
    if not text or not _FEARS_RETURN.search(text) or "asylum" not in kb.procedures:
        return
    for answer in answers:
        if answer.data.get("procedure") in UNPROTECTED_ANSWERS:
            _point_to(kb, answer, "asylum_pointer", "asylum", language)
            return


def protection_pointer(kb: KnowledgeBase, answers: List[Answer], text: str, language: str) -> None:
    """Points a person from Ukraine answered about a neighbouring procedure to temporary protection.

    "I'm 17 and came from Ukraine alone" read as tolerated stay for unaccompanied minors must also say
    that temporary protection is the status for people displaced from Ukraine (graded harmful without it).
    """
    if not text or not _FROM_UKRAINE.search(text) or "temporary_protection" not in kb.procedures:
        return
    about = [a.data.get("procedure") for a in answers]
    if any(p in ("temporary_protection", "temporary_protection_transition") for p in about):
        return
    for answer in answers:
        procedure = answer.data.get("procedure")
        if procedure in NEAR_PROTECTION or procedure == RELATIVE_JOINS:
            # A relative joining from Ukraine may be displaced too: the line is about them.
            line = "protection_pointer_relative" if procedure == RELATIVE_JOINS else "protection_pointer"
            _point_to(kb, answer, line, "temporary_protection", language)
            return


#: What people ask that the sources never answer, by topic, as the question is put (three languages).
#: The router's ``out_of_scope`` label reads such a message only when no procedure is near; these say
#: it also when the person names their permit ("how much tax on my živnosť?").
OUTSIDE_TOPICS = {
    "tax": re.compile(
        r"\btax(es)? return|\bfile (my |the |a )?tax|\bpay (\w+ )?tax|\bhow much tax|\btax(es)? (here|in slovakia)|"
        r"\bdo (my|the) taxes|\btaxes\b|daňov\w* priznan|податков\w* декларац|скільки податк|(платити|сплачувати|"
        r"повернути) \w*\s?податк|налогов\w* декларац|сколько налог|(платить|заплатить|вернуть|возврат\w*) \w*\s?налог|"
        r"переплаченн\w* налог|\bналоги\b|\bподатки\b|(подавати|подати|подать|подавать) \w*\s?декларац|"
        r"декларац\w* (про|о) доход",
        re.IGNORECASE,
    ),
    "pension": re.compile(
        r"\bpension\b(?! insurance)|\bpensions\b|\bпенсі[юяї]\b|\bпенси[юяи]\b|\bdôchod", re.IGNORECASE
    ),
    # Opening an account; the bank confirmations a business residence needs are in the sources.
    "bank": re.compile(
        r"open(ing)? (a |an )?(bank )?acc?ount|(відкри|откры)\w* (банківськ\w* |банковск\w* )?(рахун|сч[её]т)",
        re.IGNORECASE,
    ),
    "mortgage": re.compile(r"mortgage|іпотек|ипотек|hypot[eé]k", re.IGNORECASE),
    "rent": re.compile(r"\bdeposit\b|kauci|депозит|\bзастав[уаи]\b|\bзалог\w*\b", re.IGNORECASE),
    "vehicle": re.compile(
        r"\b(number )?plates\b|vehicle registration|register (my |a |the )?car|номер\w* на (машин|авто)|"
        r"(українськ|украинск)\w* номер|розмитн|растаможк|техогляд|техосмотр|"
        r"(зареєструвати|перереєструвати) (авто|машин)|(зарегистрировать|перерегистрировать) (авто|машин)",
        re.IGNORECASE,
    ),
    "benefits": re.compile(
        r"child benefit|\bmaternity\b|parental (benefit|allowance)|декретн|материнськ\w* (виплат|допомог)|"
        r"материнск\w* (выплат|капитал|пособ)|"
        r"(допомог|виплат)\w* (на|по) (дит|догляд)|(пособи|выплат)\w* (на|по) (ребен|ребён|дет|уход)|"
        r"rodičovsk\w* príspev|materské|prídav\w* na die",
        re.IGNORECASE,
    ),
    "traffic": re.compile(
        r"speeding|(parking|traffic) (fine|ticket)|штраф\w* за (швидк|скорост|парк)|за швидкість|за скорость|"
        r"(дали|виписали|выписали) штраф|штраф\w* (на|за) (трас|дорог)|\bpokut",
        re.IGNORECASE,
    ),
}


#: A sentence with its closing punctuation (also how :func:`pobyt.engine.reading.question_parts` splits).
SENTENCE = re.compile(r"[^.?!]+[?!.]*")
#: Topics people also mention as their situation ("I pay taxes here", "she gets a pension").
QUESTION_ONLY_TOPICS = frozenset({"tax", "pension"})


def outside_topic(text: str) -> Optional[str]:
    """Returns the topic outside the sources a message asks about (tax, pension, bank...), or None.

    Taxes and pensions count only in its questions (the sentences ending in "?", or the whole message
    if none does): "I work and pay taxes here, how do I get citizenship?" asks about citizenship, and
    "she gets a small Ukrainian pension" is the mother's situation. The other topics are rarely a
    situation: "I got a speeding fine. Can I pay it later?" asks about the fine.
    """
    sentences = [m.group().strip() for m in SENTENCE.finditer(text or "")]
    asked = " ".join(x for x in sentences if x.endswith("?")) or (text or "")
    return next(
        (
            topic
            for topic, cue in OUTSIDE_TOPICS.items()
            if cue.search(asked if topic in QUESTION_ONLY_TOPICS else text or "")
        ),
        None,
    )


def outside_topic_line(kb: KnowledgeBase, answers: List[Answer], text: str, language: str) -> None:
    """Says first that the sources do not answer the topic a message asks about, and whom to ask.

    "how much tax on my živnosť?" got the business residence's statements under "I am not sure";
    graded: "never says the sources do not cover taxes". What the sources say stays below it.
    """
    topic = outside_topic(text)
    if topic is None:
        return
    line = say("outside_topic", language, topic=say(f"outside_topic_name.{topic}", language))
    for answer in answers:
        if not answer.text:
            continue
        if line not in answer.text and say("outside_sources", language) not in answer.text:
            person = human_line(kb, language, text)
            extra = [line] if person in answer.text else [line, person]
            # After the title: channels show an answer's first line as its title (bold, or once above).
            titled = bool(answer.data.get("procedure") or answer.data.get("office") or answer.data.get("question"))
            answer.text = after_title(answer.text, extra) if titled else "\n".join(extra + [answer.text])
        return


def _point_to(kb: KnowledgeBase, answer: Answer, line: str, procedure_id: str, language: str) -> None:
    """Puts the message ``line`` under ``answer``'s title and ``procedure_id``'s button before its last one."""
    answer.text = after_title(answer.text, [say(line, language)])
    button = overview_button(kb, procedure_id, language)
    if button.payload not in {b.payload for b in answer.buttons}:
        position = max(len(answer.buttons) - 1, 0)
        answer.buttons[position:position] = [button]
