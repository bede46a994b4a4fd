"""Check 1, family reunion: who the family member in Slovakia is, the relationship, where you are.

Sources: ``002_4a54db00720a6002.txt`` (sections "Temporary residence for the purpose of family
reunion", "Permanent residence for five years", "Subsidiary protection") and
``003_26cfb4ffbb39ae4a.txt`` (permanent residence for five years: fees, 90-day decision).
"""

from __future__ import annotations

import datetime as dt
from typing import Dict, List, Optional, Tuple

from pobyt.checks.checklist import add_fact, build_checklist, new_result
from pobyt.checks.models import Answers, Count, Label, Outcome, Phrase, Question, Renderable, Result, Rule, first_match
from pobyt.kb.models import KnowledgeBase

CHECK_ID = "family"
PR5 = "permanent_residence_5_years"
TRFR = "temporary_residence_family_reunion"
#: Days the police have to decide on permanent residence (003, "decision within 90 days").
PR_DECISION_DAYS = 90

MEMBER = "check_family_member"
RELATIONSHIP = "check_relationship"
BOTH_ADULT = "check_both_adult"
SPONSOR_MINOR = "check_sponsor_minor"
LOCATION = "check_location"

FOREIGNER = ("foreigner_temporary", "foreigner_permanent")
RELATIVES = ("child_under_18", "adult_child_dependent", "parent_dependent")

#: The decision table, first matching row wins. Each row names the source text it rests on.
RULES: Tuple[Rule, ...] = (
    Rule(
        {MEMBER: ("nobody",)},
        Outcome.not_eligible,
        TRFR,
        "family.reason.nobody",
        "002 § Temporary residence for the purpose of family reunion, WHO",
        ("legal_stay_guide",),
    ),
    Rule(
        {MEMBER: ("slovak_citizen",), RELATIONSHIP: ("spouse",)},
        Outcome.eligible,
        PR5,
        "family.reason.slovak_spouse",
        "002 § Permanent residence for five years, (a); 003 § Application for permanent residence for five years",
        ("legal_stay_guide", "iom_mic_leaflets"),
    ),
    Rule(
        {MEMBER: ("slovak_citizen",), RELATIONSHIP: RELATIVES},
        Outcome.eligible,
        PR5,
        "family.reason.slovak_relative",
        "002 § Permanent residence for five years, (a) and (b)",
        ("legal_stay_guide",),
    ),
    Rule(
        {MEMBER: FOREIGNER, RELATIONSHIP: ("spouse",), BOTH_ADULT: ("no",)},
        Outcome.not_eligible,
        TRFR,
        "family.reason.spouse_minor",
        "002 § Temporary residence for the purpose of family reunion: a spouse, if both of you are at least 18",
        ("legal_stay_guide",),
    ),
    Rule(
        {MEMBER: FOREIGNER, RELATIONSHIP: ("spouse",)},
        Outcome.eligible,
        TRFR,
        "family.reason.foreigner_family",
        "002 § Temporary residence for the purpose of family reunion, WHO",
        ("legal_stay_guide",),
    ),
    Rule(
        {MEMBER: ("foreigner_permanent",), RELATIONSHIP: ("child_under_18",)},
        Outcome.eligible,
        PR5,
        "family.reason.child_of_permanent",
        "002 § Permanent residence for five years, (c)",
        ("legal_stay_guide",),
    ),
    Rule(
        {MEMBER: ("foreigner_permanent",), RELATIONSHIP: ("adult_child_dependent",)},
        Outcome.eligible,
        PR5,
        "family.reason.adult_child_of_permanent",
        "002 § Permanent residence for five years, (d)",
        ("legal_stay_guide",),
    ),
    Rule(
        {MEMBER: FOREIGNER, RELATIONSHIP: RELATIVES},
        Outcome.eligible,
        TRFR,
        "family.reason.foreigner_family",
        "002 § Temporary residence for the purpose of family reunion, WHO (family member of a foreigner)",
        ("legal_stay_guide",),
    ),
    Rule(
        {MEMBER: ("asylum",), RELATIONSHIP: ("parent_dependent",), SPONSOR_MINOR: ("yes",)},
        Outcome.eligible,
        TRFR,
        "family.reason.parent_of_minor_asylum",
        "002 § Temporary residence for the purpose of family reunion, WHO "
        "(relative in a direct ascending line of a person granted asylum younger than 18)",
        ("legal_stay_guide",),
    ),
    Rule(
        {MEMBER: ("asylum",)},
        Outcome.other_procedure,
        "asylum",
        "family.reason.asylum_family",
        "002 § Subsidiary protection: family members, family reunification at the moment of application",
        ("legal_stay_guide",),
    ),
)


def _rule(answers: Answers) -> Optional[Rule]:
    return first_match(list(RULES), answers)


def _location_needed(answers: Answers) -> bool:
    rule = _rule(answers)
    return rule is not None and rule.outcome == Outcome.eligible


QUESTIONS: Tuple[Question, ...] = (
    Question(MEMBER, ("slovak_citizen", "foreigner_temporary", "foreigner_permanent", "asylum", "nobody")),
    Question(RELATIONSHIP, ("spouse", *RELATIVES), asked_when=lambda a: a.get(MEMBER) != "nobody"),
    Question(
        BOTH_ADULT,
        ("yes", "no"),
        asked_when=lambda a: a.get(MEMBER) in FOREIGNER and a.get(RELATIONSHIP) == "spouse",
    ),
    Question(
        SPONSOR_MINOR,
        ("yes", "no"),
        asked_when=lambda a: a.get(MEMBER) == "asylum" and a.get(RELATIONSHIP) == "parent_dependent",
    ),
    Question(LOCATION, ("abroad", "in_slovakia"), asked_when=_location_needed),
)

#: Where to apply, by procedure and where the person is (002 HOW sections of both procedures).
WHERE: Dict[Tuple[str, str], Tuple[Tuple[str, ...], str]] = {
    (PR5, "abroad"): (("slovak_embassies",), "family.where.embassy"),
    (PR5, "in_slovakia"): (("foreign_police",), "family.where.pr5_in_slovakia"),
    (TRFR, "abroad"): (("slovak_embassies",), "family.where.embassy"),
    (TRFR, "in_slovakia"): (("foreign_police", "slovak_embassies"), "family.where.trfr_in_slovakia"),
}


def _fee_rules(rule: Rule, answers: Answers) -> Dict[int, List[Renderable]]:
    """Fee exemptions that apply to the answers.

    The permanent-residence fee is not paid by a Slovak citizen's spouse or dependent relative, nor
    for a child under 18 (003, fees of permanent residence for five years).
    """
    if rule.procedure != PR5:
        return {}
    if answers.get(MEMBER) == "slovak_citizen" or answers.get(RELATIONSHIP) == "child_under_18":
        told = Label(RELATIONSHIP, str(answers.get(RELATIONSHIP)))
        return {0: [Phrase.of("family.fee_exempt", answer=told)]}
    return {}


def _documents(answers: Answers) -> Tuple[Tuple[str, ...], Dict[str, List[Renderable]]]:
    """The documents that do not apply, and what the proof of the relationship is.

    The guardian's consent is only for a child's stay; the proof of the relationship is a marriage
    certificate for a spouse, a birth certificate otherwise (002, documents of both procedures).
    """
    relation_doc = "family.doc.marriage" if answers.get(RELATIONSHIP) == "spouse" else "family.doc.birth"
    extra: Dict[str, List[Renderable]] = {"proof_of_purpose": [Phrase.of(relation_doc)]}
    if answers.get(RELATIONSHIP) == "child_under_18":
        return (), extra
    return ("guardian_consent",), extra


def told_me(answers: Answers) -> List[Label]:
    """The answers of this check, as option labels, in question order."""
    return [Label(q.id, str(answers[q.id])) for q in QUESTIONS if q.id in answers and q.id != LOCATION]


def decide(answers: Answers, today: dt.date, kb: KnowledgeBase) -> Result:
    """Decides which family-reunion procedure fits, and builds the checklist.

    Args:
        answers: the answers given (question id -> option id).
        today: the date the dates are computed against.
        kb: the knowledge base.

    Returns:
        The result; a procedure's checklist when the person can apply.

    Raises:
        ValueError: when the answers are not enough to decide (ask :func:`next_question` first).
    """
    rule = _rule(answers)
    if rule is None:
        raise ValueError("the family check needs more answers")
    result = new_result(kb, CHECK_ID, rule.outcome, rule.procedure, today)
    result.told = list(told_me(answers))
    result.reasons.append(Phrase.of(rule.reason))
    add_fact(kb, result, Phrase.of(f"{rule.reason}.fact"), *rule.cites)
    if rule.procedure == PR5 and answers.get(MEMBER) == "foreigner_permanent":
        # 003: a child under 18 of a foreigner with unlimited permanent residence applies for that instead.
        add_fact(kb, result, Phrase.of("family.fact.unlimited_child"), "iom_mic_leaflets")
    if rule.outcome != Outcome.eligible or rule.procedure is None:
        return result
    location = str(answers.get(LOCATION, "abroad"))
    offices, where_key = WHERE[(rule.procedure, location)]
    when: List[Renderable] = []
    if rule.procedure == PR5:
        decided = today + dt.timedelta(days=PR_DECISION_DAYS)
        days = Count("days", PR_DECISION_DAYS)
        when.append(Phrase.of("checklist.decision_by", applied=today, days=days, date=decided))
    excluded, extra = _documents(answers)
    documents = [r.document for r in kb.procedures[rule.procedure].documents if r.document not in excluded]
    result.checklist = build_checklist(
        kb,
        rule.procedure,
        documents=documents,
        extra_rules=extra,
        fee_rules=_fee_rules(rule, answers),
        where=offices,
        where_rules=[Phrase.of(where_key)],
        when=when,
        kb_deadlines=False,  # the knowledge base's deadlines of these procedures are the duties after the grant
    )
    return result
