"""Reading a message: what it asks besides the names it gives, its questions, the procedure it describes.

Pure functions of the text and the knowledge base; :mod:`pobyt.conversation` decides with them.
"""

from __future__ import annotations

import re
from typing import Any, List, Mapping, Optional, Sequence

from pobyt.engine.respond import NEAR_PROTECTION, SENTENCE, came_from_ukraine
from pobyt.engine.retrieval import analyse, procedure_index
from pobyt.engine.router import Route, procedure_router
from pobyt.kb.models import OUT_OF_SCOPE, KnowledgeBase, Question
from pobyt.kb.search import spanned_tokens, token_similarity, tokens
from pobyt.recognition import recognise

#: A procedure described without its name is taken when it shares this share of the message's words...
INFER_COVERAGE = 0.5
#: ...at least this many different words...
INFER_WORDS = 3
#: ...and scores this many times the second best.
INFER_MARGIN = 1.5


def inferred_procedure(kb: KnowledgeBase, text: str) -> Optional[str]:
    """Returns the procedure a message describes without naming it, when one clearly stands out.

    The message is ranked against each procedure's whole text (:func:`procedure_index`); the best
    counts only when it shares enough of the message's words and clearly beats the second.
    """
    hits = procedure_index(kb).search(analyse(text), limit=2)
    if not hits:
        return None
    best = hits[0]
    second = hits[1].score if len(hits) > 1 else 0.0
    clear = best.coverage >= INFER_COVERAGE and best.matched >= INFER_WORDS and best.score >= INFER_MARGIN * second
    return best.fact.procedure if clear else None


#: The router's best procedure answers a message that names none when its score reaches this; below
#: :data:`ROUTE_SURE` the reply says how it understood the message and offers the next likeliest...
ROUTE_SCORE = -0.5
ROUTE_SURE = -0.3
#: ...and when the message has at least this many informative words (not "ok", "thanks a lot").
ROUTE_WORDS = 2


#: A procedure the router ranks at least this high is worth offering as a button.
SUGGEST_SCORE = -0.6


#: Procedures only for children (002: tolerated stay of an unaccompanied minor, under 18), and the words
#: by which a message says a child is concerned. A reading of one of them from a message that says no
#: such thing is dropped: an adult at the border "without documents" is not an unaccompanied minor
#: (graded harmful when answered so).
CHILD_ONLY = frozenset({"tolerated_stay_unaccompanied_minor"})
_CHILD = re.compile(
    r"\b(1[0-7]|[1-9])\b|minor|under 18|child|kid|teen|\bson\b|daughter|parent|alone|unaccompan|orphan|"
    r"дит|діт|неповнолітн|підліт|батьк|син|доч|донь|сам[аи]?\b|сирот|"
    r"ребен|ребён|дет|несовершеннолетн|подрост|родител|сын|одна\b|один\b",
    re.IGNORECASE,
)


#: What a message says that rules a procedure out (each was graded harmful when read anyway): an
#: application filed in time is not irregular stay ("I submitted the renewal two weeks before it
#: expired, my card expired yesterday"), and a person who says they have no temporary protection is
#: not answered about it or about the transition that requires it ("I'm Nigerian, I was told I can't
#: get temporary protection").
_PENDING = re.compile(
    r"(?<!not )(?<!n't )(?<!never )\b(applied|submitted|filed|handed in)\b|"
    r"\brenewal\b.{0,40}\b(before|in time|receipt|pending)|receipt|pending|"
    r"(?<!не )(?<!ні )(?<!нічого не )\b(подав|подал|подала|подали)\b|"
    r"на розгляді|на рассмотрении|чекаю рішенн|жду решени",
    re.IGNORECASE,
)
_NO_PROTECTION = re.compile(
    r"\b(not on|not under|no|without|never had|refused|denied|can'?t get|cannot get|didn'?t get|not eligible for)"
    r"\W+(\w+\W+){0,3}(tp\b|temporary protection|temporary refuge)|"
    r"\b(не маю|не має|не мав|не мала|немає|нема|без|нет|не имею|не было|отказали в|відмовили в|не дали|не дают|"
    r"не дають|не отримал\w*|не отримав\w*|не получил\w*|не на|не по)\W+(\w+\W+){0,2}(тз\b|захист|защит|útočisk)",
    re.IGNORECASE,
)
#: Moving *to Slovakia* ("сын хочет переехать ко мне в Словакию", "move here with my family") is coming to
#: live here, not the change of address "переехал" names, unless a flat or an address is spoken of.
_MOVING_TO_SLOVAKIA = re.compile(
    r"^(?!.*(квартир|адрес|flat|apartment|address|житл|жиль)).*?("
    r"\b(move|moving|moved|relocat\w*)\s+(\w+\s+){0,3}(to|into)\s+slovakia\b|\bmov(e|ing) here\b|"
    r"переїх\w*\s+(\w+\s+){0,3}(до|в|у)\s+словаччин|переїх\w*\s+(сюди|туди|до (нас|мене))|"
    r"перее[хз]\w*\s+(\w+\s+){0,3}(в|во)\s+словаки|перее[хз]\w*\s+(сюда|туда|к (нам|мне))|"
    r"(сюда|туда|сюди|туди) (перее[хз]|переї[хз])|(here|there) to live)",
    re.IGNORECASE | re.DOTALL,
)
RULED_OUT_BY = {
    "address_change": _MOVING_TO_SLOVAKIA,
    "irregular_residence": _PENDING,
    "temporary_protection": _NO_PROTECTION,
    "temporary_protection_transition": _NO_PROTECTION,
}


def ruled_out(procedure: str, text: str) -> bool:
    """True when the message says something that rules ``procedure`` out (:data:`RULED_OUT_BY`, children's)."""
    cue = RULED_OUT_BY.get(procedure)
    if cue is not None and cue.search(text):
        return True
    return procedure in CHILD_ONLY and not _CHILD.search(text)


def routed_procedures(kb: KnowledgeBase, text: str, limit: int = 3, floor: float = SUGGEST_SCORE) -> List[Route]:
    """Returns the procedures the learned router (:mod:`pobyt.engine.router`) ranks best for ``text``.

    Only those scoring at least ``floor``; none for a message with too few informative words; a
    procedure only for children only when the message speaks of a child, and none the message rules out.
    """
    if len(set(analyse(text))) < ROUTE_WORDS:
        return []
    routes = procedure_router(kb).rank(text, limit + 3)
    return [
        r for r in routes if r.score >= floor and r.procedure in kb.procedures and not ruled_out(r.procedure, text)
    ][:limit]


#: A message is about nothing the sources cover when the router's best reading is
#: :data:`~pobyt.kb.models.OUT_OF_SCOPE` with at least this score...
OUT_OF_SCOPE_SCORE = -0.3
#: ...and the best procedure scores at most this (a pension question that also asks about the permit is not out).
OUT_OF_SCOPE_BEST_PROCEDURE = -0.5


def out_of_scope(kb: KnowledgeBase, text: str) -> bool:
    """True when a message asks about something outside legal stay ("can I get a mortgage?", "child benefit").

    The router learned it from messages about tax, rent, pensions, banks, doctors and the like
    (``knowledge/situations/out_of_scope.yml``); the sources say nothing about these, so the honest
    answer is that, and whom to ask, not the nearest procedure.
    """
    if len(set(analyse(text))) < ROUTE_WORDS:
        return False
    router = procedure_router(kb)
    best = router.rank(text, 2)
    if not best or best[0].procedure != OUT_OF_SCOPE or best[0].score < OUT_OF_SCOPE_SCORE:
        return False
    return len(best) < 2 or best[1].score <= OUT_OF_SCOPE_BEST_PROCEDURE


def described_procedure(kb: KnowledgeBase, text: str) -> Optional[str]:
    """Returns the procedure a message describes without naming it: the keyword match, else the router's.

    "my company in Poland is sending me to Bratislava for four months" names nothing; the router,
    trained on how the knowledge base and people write about each procedure, reads it as a posted
    worker's case.
    """
    inferred = inferred_procedure(kb, text)
    if inferred is not None and not ruled_out(inferred, text):
        return inferred
    routes = routed_procedures(kb, text, 1, floor=ROUTE_SCORE)
    return routes[0].procedure if routes else None


#: A named procedure gives way to the router's best when the router scores that one at least this...
OVERRIDE_BEST = -0.2
#: ...and the named one below this: the name was incidental ("I'm a bus driver from Ukraine and want
#: to work here" names the driving licence; "a passport like the Slovaks have" names the passport).
OVERRIDE_NAMED = -0.5


def overriding_procedure(kb: KnowledgeBase, text: str, named: str) -> Optional[str]:
    """Returns the procedure the whole message is about when the one it names is only incidental, else None."""
    routes = routed_procedures(kb, text, 1, floor=OVERRIDE_BEST)
    if not routes or routes[0].procedure == named:
        return None
    return routes[0].procedure if procedure_router(kb).score(text, named) < OVERRIDE_NAMED else None


#: The procedure a relative joining a foreigner who lives in Slovakia applies for (002).
FAMILY_REUNION = "temporary_residence_family_reunion"
#: A relative and their coming to live with the person: "can my mum come and live with me?", "хочу забрати
#: батьків до себе", "перевезти жену и дочь". The status the person holds ("I'm here on a residence card",
#: "я на ПМЖ") is then their situation, not the question (graded harmful when answered about that status).
_RELATIVE = re.compile(
    r"\b(mother|mom|mum|father|dad|parents?|wife|husband|spouse|kids|children|child|son|daughter|"
    r"grand(mother|ma|father|pa|parents?)|family)\b|"
    r"\b(мам|мати|матір|батьк|тато|тата|дружин|чолов|діт|дитин|син|доньк|дочк|бабус|дідус|сім.ю|родин)\w*|"
    r"\b(мать|матер|отц|отец|папу|папа|родител|жену|жена|жены|муж|дет|ребен|ребён|сын|доч|бабушк|дедушк|семь)\w*",
    re.IGNORECASE,
)
_JOINS = re.compile(
    r"\b(come|join|bring|invite|reunite|move (here|in) with|live (here )?with (me|us))\b|"
    r"\b(забрат|перевезт|привезт|запросит|приїхат|приїде|приїдуть)\w*|\bдо (себе|мене|нас)\b|"
    r"\b(забрат|перевезт|привезт|пригласит|приехат|приедет|приедут)\w*|\b(к себе|ко мне|к нам)\b",
    re.IGNORECASE,
)
#: What leaves the reading to others: a Slovak relative (permanent residence as a Slovak's family
#: member, or the family check) or temporary protection (a displaced person's family gets it too).
_NOT_REUNION = re.compile(
    r"\bslovak\b|\bсловак(|и|а|у|ом|ів|ов|ам)\b|словачк|словацьк|словацк|"
    r"\btp\b|\bтз\b|temporary protection|захист|защит|útočisk",
    re.IGNORECASE,
)
#: Family reunion counts for :func:`relative_joins` when the router scores it at least this.
JOIN_FLOOR = -1.0


def relative_joins(kb: KnowledgeBase, text: str) -> bool:
    """True when a message asks whether a relative can come to live with the person (family reunion).

    The router must rank family reunion among its three best for the message, so a message that only
    mentions family ("my son goes to school here") is not read so.
    """
    if not (_RELATIVE.search(text) and _JOINS.search(text)) or _NOT_REUNION.search(text):
        return False
    return any(r.procedure == FAMILY_REUNION for r in routed_procedures(kb, text, 3, floor=JOIN_FLOOR))


#: The status for people displaced from Ukraine (004), and how high the router must rank it among its
#: three best readings for a message from Ukraine read as a neighbouring procedure to be read as it.
TEMPORARY_PROTECTION = "temporary_protection"
PROTECTION_FLOOR = -1.0


#: The day temporary protection ends (004), however it is written: "4 марта 2027", "04.03.2027", "4/3/2027".
TP_END_DATE = re.compile(
    r"\b0?4\s*[./-]\s*0?3\s*[./-]\s*(20)?27\b|\b(0?4\.?\s*)?(march|березн\w*|март\w*)\s*(20)?27\b|"
    r"\b(march|березн\w*|март\w*)\s*0?4\s*,?\s*(20)?27\b",
    re.IGNORECASE,
)
#: What a person may call the card or status that temporary protection gives ("внж", "карточка").
NAMES_FOR_A_PROTECTION_CARD = frozenset({"temporary_residence", "residence_card", "health_insurance_card"})


def protection_end_named(text: str, procedure_id: Optional[str]) -> bool:
    """True when a message dates its status to the day temporary protection ends, and names no other one.

    "внж после 4 марта 2027 шо будет?", "у меня карточка до 4.3.2027": the card is the protection's.
    """
    if not TP_END_DATE.search(text) or ruled_out(TEMPORARY_PROTECTION, text):
        return False
    return procedure_id is None or procedure_id in NAMES_FOR_A_PROTECTION_CARD


#: A child born in Slovakia: "born here", "народилась в Пряшеві", "родился в Братиславе".
_BORN_HERE = re.compile(
    r"\bborn\b[^.?!]{0,30}\b(here|in (slovakia|bratislava|ko[sš]ice|pre[sš]ov|nitra|[zž]ilina|trnava|"
    r"tren[cč][ií]n|bansk|martin|poprad|humenn))|"
    r"\b(народил\w*|родил\w*)\b[^.?!]{0,30}(\bтут\b|\bздесь\b|\bу нас\b|словаччин|словаки|братислав|кошиц|"
    r"пряшев|прешов|нітр|нитр|жилін|жилин|трнав|тренчин|тренчін|бистриц|быстриц|мартін|мартин|попрад|гуменн)|"
    r"(\bhere\b|\bтут\b|\bздесь\b)[^.?!]{0,10}\b(born|народил\w*|родил\w*)",
    re.IGNORECASE,
)
_SELF_BORN = re.compile(r"\bi (was|am) born\b|\bя (сам\w* )?(народив|народилас|родился|родилась)", re.IGNORECASE)
#: The question entry for a child born in Slovakia: citizenship, the child's own status, the birth certificate.
BORN_HERE_QUESTION = "baby_born_in_slovakia"


def born_here_question(kb: KnowledgeBase, text: str) -> Optional[Question]:
    """Returns the entry about a child born in Slovakia when a message says one was, else None.

    "сын родился в Братиславе, у нас паспорта россии, что делать с его документами?" is read as a
    passport, a birth certificate or temporary protection by its other words; the entry answers all
    three (a Slovak citizen or not, the child's own status, the birth certificate from the registry).
    """
    # "I was born in Slovakia 20 years ago" is an adult's own case, not a newborn's.
    if not _BORN_HERE.search(text) or _SELF_BORN.search(text):
        return None
    return kb.questions.get(BORN_HERE_QUESTION)


#: "the war": in these messages, the one in Ukraine (the router must still rank protection among its three best).
_WAR = re.compile(r"\bwar\b|війн|войн", re.IGNORECASE)
#: What a displaced person from Ukraine is read as when nothing else is: the status, or the way from it.
DISPLACED_READINGS = (TEMPORARY_PROTECTION, "temporary_protection_transition")


def displaced_reading(kb: KnowledgeBase, text: str) -> Optional[str]:
    """Returns temporary protection (or the transition) for a person from Ukraine whom nothing else reads.

    "Мы приехали из Харькова на прошлой неделе, я и двое детей, куда идти в первую очередь?": the
    router is not sure enough of any procedure, but a person who came from Ukraine, with temporary
    protection among the three likeliest readings, is first of all its case (001, 004).
    """
    if not (came_from_ukraine(text) or _WAR.search(text)) or ruled_out(TEMPORARY_PROTECTION, text):
        return None
    routes = routed_procedures(kb, text, 3, floor=PROTECTION_FLOOR)
    return next((r.procedure for r in routes if r.procedure in DISPLACED_READINGS), None)


#: An adult a child from Ukraine lives with ("приехала с тётей", "living with my grandmother").
_WITH_ADULT = re.compile(
    r"\b(aunt|uncle|grand(mother|ma|father|pa|parents?)|cousin|relatives?|family friends?)\b|"
    r"\b(тіт|тет|тёт|дяд|бабус|бабуш|дідус|дедуш|родич|родственни|знайом|знаком)\w*",
    re.IGNORECASE,
)


def protection_instead(kb: KnowledgeBase, text: str, procedure_id: str) -> bool:
    """True when a situation read as a neighbour of temporary protection is a displaced person's from Ukraine.

    The neighbours are :data:`~pobyt.engine.respond.NEAR_PROTECTION` (irregular and tolerated stay, asylum...).

    "i am 16 and came from ukraine with my aunt, what papers do i need?" was read as irregular stay
    ("you can be deported"), graded harmful: a person who came from Ukraine is first of all a case for
    temporary protection, unless the message rules it out ("they refused me protection").
    """
    if procedure_id not in NEAR_PROTECTION or not came_from_ukraine(text):
        return False
    # A child alone keeps the minors' reading (care), with the pointer to protection; a teenager living
    # with an aunt or a grandmother read as an unaccompanied minor (placement in a facility) was graded
    # "wrong procedure" in four blind sets: protection first, the minors' tolerated stay a tap away.
    if procedure_id in CHILD_ONLY and not _WITH_ADULT.search(text):
        return False
    if ruled_out(TEMPORARY_PROTECTION, text):
        return False
    routes = routed_procedures(kb, text, 3, floor=PROTECTION_FLOOR)
    return any(r.procedure == TEMPORARY_PROTECTION for r in routes)


def understood_surely(kb: KnowledgeBase, text: str, procedure_id: str) -> bool:
    """True when ``procedure_id`` is clearly what ``text`` describes (a keyword match or a sure routing)."""
    if inferred_procedure(kb, text) == procedure_id:
        return True
    routes = routed_procedures(kb, text, 1, floor=ROUTE_SURE)
    return bool(routes) and routes[0].procedure == procedure_id


def off_reading(kb: KnowledgeBase, question: Question, text: str) -> bool:
    """True when a question entry is about something else than the procedure the message clearly describes.

    "Меня уволили, у меня побыт по работе, что делать?" shares "что делать" with the displaced
    persons' "what must I do" entry, but the router reads employment residence surely: an entry about
    a procedure that is neither that one, its general procedure or kinds, nor one it lists as related,
    answers another person's situation. So does an entry only for children when the message speaks of none.
    """
    own = {question.procedure, *question.procedures} - {None}
    if own and all(ruled_out(procedure, text) for procedure in own):
        return True  # ruled out by the message (:func:`ruled_out`): no child, no protection...
    routes = routed_procedures(kb, text, 1, ROUTE_SURE)
    if not own or not routes:
        return False
    reading = kb.procedures[routes[0].procedure]
    near = {reading.id, reading.part_of, *reading.related}
    near |= {p.id for p in kb.procedures.values() if p.part_of == reading.id}
    return not own & near


def about_other_office(kb: KnowledgeBase, question: Question, office_id: str, strict: bool = False) -> bool:
    """True when a question entry is about an office, and not about ``office_id``.

    ``strict``: an entry that names no office at all counts as about another office too.
    """
    offices = {e["value"] for e in recognise(question.question.get("en"), kb) if e.get("entity") == "office"}
    return (bool(offices) or strict) and office_id not in offices


def choice_made(kb: KnowledgeBase, procedure_ids: Sequence[str], text: str) -> Optional[str]:
    """Returns the one procedure of ``procedure_ids`` the message's own words point to, or None.

    Each procedure is read by its button label, title and aliases in all languages; words every
    candidate shares do not count. Only a single clear winner is returned.
    """
    words = set(analyse(text))
    if not words:
        return None
    vocabularies = {}
    for proc_id in procedure_ids:
        proc = kb.procedures[proc_id]
        names = [getattr(proc.title, lang) for lang in ("en", "uk", "ru")] + [n for _, n in proc.aliases.all()]
        if proc.choice_label:
            names += [getattr(proc.choice_label, lang) for lang in ("en", "uk", "ru")]
        vocabularies[proc_id] = set(analyse(" ".join(names)))
    shared = set.intersection(*vocabularies.values()) if vocabularies else set()
    scores = {p: len((vocab - shared) & words) for p, vocab in vocabularies.items()}
    best = max(scores.values(), default=0)
    winners = [p for p, score in scores.items() if score == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


def without_names(text: str, entities: Sequence[Mapping[str, Any]]) -> str:
    """Returns ``text`` without the words that named procedures, topics or offices: what is asked about them.

    "do I have to come in person for family reunion" asks "come in person" about family reunion;
    a question entry or a statement must match that part, not merely the name.
    """
    spans = sorted(
        (e["start"], e["end"], e.get("matched_name"))
        for e in entities
        if e.get("entity") in ("procedure", "topic", "office") and isinstance(e.get("start"), int) and e.get("end")
    )
    kept, position = [], 0
    for start, end, name in spans:
        kept.append(text[position:start] if start > position else "")
        # A kind named by its general name and a purpose word far apart ("работать пока жду решение
        # по внж" is employment residence by "работа" + "внж"): the words between are what is asked.
        kept.append(_words_between(text[max(start, position) : end], name))
        position = max(position, end)
    kept.append(text[position:])
    return " ".join(kept)


#: A word of a name's span at least this similar to one of the name's words is the name's (a typo counts).
NAME_WORD_SIMILARITY = 0.8
#: A name's span with more than this many words besides the name's own is a name read far apart.
NAME_GAP_WORDS = 2


def _words_between(span: str, name: Optional[str]) -> str:
    """Returns the words of a name's span that are not its own, for a kind named by a purpose word.

    Only a purpose match ("внж + работа") keeps words: the general name and purpose word are far
    apart, and the words between are what is asked. The purpose word itself is the name's when
    written as in it ("trp на живность"); another form of it ("можно работать...?") asks something.
    A name read as a phrase, even with a word or two between, is removed whole; a name whose words
    lie far apart ("учебу в Польше, ему 24, хочет переехать ко мне в Словакию" read as "учеба в
    Словакии") keeps the words between, which are what the message says.
    """
    if not name:
        return ""
    if " + " not in name:
        own = tokens(name)
        spanned = spanned_tokens(span)
        if len(spanned) <= len(own) + NAME_GAP_WORDS:
            return ""
        return " ".join(
            span[start:end]
            for token, start, end in spanned
            if not any(token_similarity(token, word) >= NAME_WORD_SIMILARITY for word in own)
        )
    general, purpose = name.split(" + ", 1)
    own, exact = tokens(general), set(tokens(purpose))
    return " ".join(
        span[start:end]
        for token, start, end in spanned_tokens(span)
        if token not in exact and not any(token_similarity(token, word) >= NAME_WORD_SIMILARITY for word in own)
    )


#: Words that start a question in the three languages (a clause after ", and" that starts with one
#: is a second question: "how long does it take, and what must she do after arriving?").
_QUESTION_START = re.compile(
    r"^(how|what|when|where|who|which|why|do|does|did|can|could|is|are|will|must|should|"
    r"як|що|коли|де|хто|який|яка|які|чому|чи|скільки|треба|потрібно|можна|"
    r"как|что|когда|где|кто|какой|какая|какие|почему|сколько|нужно|надо|можно|ли)\b",
    re.IGNORECASE,
)
_AND = re.compile(r",?\s+(?:and also|and|also|а також|і|та|а ещё|а еще|и)\s+", re.IGNORECASE)
#: At most this many questions of one message are answered (the rest would be a wall of text).
MAX_PARTS = 2


def question_parts(text: str) -> List[str]:
    """Splits a message that asks several things into one text per question, each with the situation.

    "My wife applied for family reunion. How long does it take, and what must she do on arrival?"
    gives "My wife applied for family reunion. How long does it take?" and "My wife applied for
    family reunion. What must she do on arrival?". A message with one question gives ``[]``.
    """
    sentences = [m.group().strip() for m in SENTENCE.finditer(text) if m.group().strip()]
    context = [s for s in sentences if not s.endswith("?")]
    questions: List[str] = []
    for sentence in (s for s in sentences if s.endswith("?")):
        clauses = _AND.split(sentence.rstrip("?"))
        if len(clauses) > 1 and all(_QUESTION_START.match(c.strip()) for c in clauses[1:]):
            questions += [c.strip() + "?" for c in clauses]
        else:
            questions.append(sentence)
    if len(questions) < 2:
        return []
    situation = " ".join(context)
    return [f"{situation} {q}".strip() for q in questions]


#: Words of a request to change the language ("speak", "відповідай", "по-русски"...), as stems.
_LANGUAGE_REQUEST = re.compile(
    r"speak|talk|write|answer|reply|respond|switch|change|language|english|"
    r"говор|розмовл|пиш|відповід|переклад|перейд|перейт|мов[аиоуі]|"
    r"разговар|отвеча|ответ|перевед|язык|по-|^\W*\w+\W*$",
    re.IGNORECASE,
)


#: Places where a language is spoken with officials: a question about them is not a request to the assistant.
_OFFICIAL_SETTING = re.compile(
    r"office|police|interview|exam|test|court|embass|офіс|поліц|співбесід|іспит|суд|посольств|"
    r"офис|полиц|собеседован|экзамен|посольств",
    re.IGNORECASE,
)


def asks_for_language(text: str) -> bool:
    """True when a message asks the assistant to use a language (a button, one word, or a request).

    "Can I speak English at the office?" names a language but asks about the office, not the assistant.
    """
    if not text or len(text.split()) <= 3:
        return True
    return bool(_LANGUAGE_REQUEST.search(text)) and not _OFFICIAL_SETTING.search(text)


#: Words that say which aspect a question asks, for the questions of a message after the first (the
#: intent classifier reads the whole message once). Conservative: only unmistakable cues.
_ASPECT_CUES = (
    ("fees", re.compile(r"\b(how much|cost|fee|price)|скільки кошт|вартіст|збір|сколько сто|стоимост|пошлин", re.I)),
    (
        "processing_time",
        re.compile(
            r"how long (does|will|do)|how long[^.?!]{0,40}\b(take|takes|decid\w*|process\w*)\b|"
            r"\b(processing|waiting) time|скільки ((?!рок|рік)\w+ ){0,2}(триває|чекати|розгляда\w*|займа\w*)|"
            r"як довго (чекати|розгляда\w*|вирішу\w*|триває)|(строк|термін)\w* розгляду|"
            r"сколько ((?!лет|год)\w+ ){0,2}(длится|ждать|рассматрива\w*|занима\w*)|"
            r"как долго (ждать|рассматрива\w*|решают|длится)|срок\w* рассмотрения",
            re.I,
        ),
    ),
    ("documents", re.compile(r"\bdocuments?\b|\bpapers\b|документ|довідк|справк", re.I)),
    ("where", re.compile(r"\bwhere\b|\bде\b|\bкуди\b|\bгде\b|\bкуда\b", re.I)),
)


def asked_aspect(text: str) -> Optional[str]:
    """Returns the aspect a question's own words ask about ("how much", "куди подавати"), or None."""
    return next((aspect for aspect, cue in _ASPECT_CUES if cue.search(text)), None)


#: "What do I do now?", "шо мені треба?", "с чего начать?": a request for the steps of whatever the
#: situation is, not for a particular fact.
_WHAT_TO_DO = re.compile(
    r"\bwhat (do|should|must|can|shall) (i|we) (do|need|arrange|apply for)\b|\bwhat now\b|\bwhat next\b|"
    r"\bwhat are my options\b|\bwhat happens( to (me|us))?\b|\bwhere (do|should) (i|we) (start|begin)\b|"
    r"\b(що|шо|чо) (ж )?(мені|нам)? ?(треба|потрібно|робити|оформлювати|оформляти|подавати|далі|буде)\b|"
    r"\bз чого (почати|починати)\b|\bяк (мені )?бути\b|"
    r"\b(что|шо|чо) (же )?(мне|нам)? ?(делать|нужно|надо|оформлять|подавать|дальше|будет)\b|"
    r"\bс чего (начать|начинать)\b|\bкак (мне )?быть\b",
    re.IGNORECASE,
)


def asks_what_to_do(text: str) -> bool:
    """True when a message asks what to do in its situation ("what do I need?", "що мені робити?")."""
    return bool(_WHAT_TO_DO.search(text))


def without_aspect_words(text: str) -> str:
    """Returns ``text`` without the words that only say which aspect is asked ("documents", "скільки коштує").

    "які документи потрібні для возз'єднання сім'ї" says nothing about *which* family reunion: the
    topic must still be asked back.
    """
    for _, cue in _ASPECT_CUES:
        text = cue.sub(" ", text)
    return text
