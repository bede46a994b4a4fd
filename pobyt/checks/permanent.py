"""Check 3, permanent or long-term residence, and citizenship: current status and years held.

Sources: ``003_26cfb4ffbb39ae4a.txt`` ("You may apply for permanent residence for an unlimited time
period, if", "You may apply for long-term residence if") and ``002_4a54db00720a6002.txt``
("Permanent residence for an unlimited period of time", "Long-term residence (Dlhodobý pobyt)",
"Acquisition of the citizenship of the Slovak Republic by naturalization": 8 years and the shorter
periods it lists).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional, Tuple, Union

from pobyt.checks.checklist import add_fact, build_checklist, new_result
from pobyt.checks.dates import add_years
from pobyt.checks.models import AnswerKind, Answers, Checklist, Count, Label, Outcome, Phrase, Question, Result
from pobyt.kb.models import KnowledgeBase

CHECK_ID = "permanent"
GOAL = "check_goal"
STATUS = "check_status"
STATUS_YEARS = "check_status_years"
LEGAL_YEARS = "check_legal_years"
EU_YEARS = "check_blue_card_eu_years"
SPECIAL = "check_special"

PERMANENT = ("pr_5_years", "pr_unlimited")
STATUSES = (*PERMANENT, "temporary", "blue_card", "asylum", "temporary_protection", "none")
#: Decision time of permanent and long-term residence (003: "decision within 90 days").
DECISION_DAYS = 90


@dataclass(frozen=True)
class Route:
    """One way to the goal: who (status, special situation) and how many years of what.

    ``years`` names the answer counted (``check_status_years`` or ``check_legal_years``; for asylum
    the years with asylum are the years of legal stay), ``also`` an optional second condition
    (answer, minimum years), ``source`` the source text.
    """

    goal: str
    statuses: Tuple[str, ...]
    years: str
    minimum: int
    procedure: str
    reason: str
    source: str
    cites: Tuple[str, ...]
    special: Optional[str] = None
    also: Optional[Tuple[str, int]] = None

    def applies(self, answers: Answers) -> bool:
        """True when the person's goal, status and special situation fit this route."""
        return (
            answers.get(GOAL) == self.goal
            and answers.get(STATUS) in self.statuses
            and (self.special is None or answers.get(SPECIAL) == self.special)
        )

    def _missing(self, answers: Answers, field: str, minimum: int) -> int:
        return max(minimum - int(answers.get(field) or 0), 0)

    def missing_years(self, answers: Answers) -> int:
        """Years still missing on this route (0: the person can apply now)."""
        missing = self._missing(answers, self.years, self.minimum)
        if self.also is not None:
            missing = max(missing, self._missing(answers, *self.also))
        return missing


PR_UNLIMITED_SOURCE = (
    "003 § You may apply for permanent residence for an unlimited time period; "
    "002 § Permanent residence for an unlimited period of time"
)
LONG_TERM_SOURCE = "003 § You may apply for long-term residence if; 002 § Long-term residence (Dlhodobý pobyt) a), c)"
NATURALISATION = "002 § Acquisition of the citizenship of the Slovak Republic by naturalization, 1."
CITIZENSHIP = "citizenship_naturalization"

#: The routes, in the order they are preferred when several fit.
ROUTES: Tuple[Route, ...] = (
    Route("residence", ("pr_5_years",), STATUS_YEARS, 4, "permanent_residence_unlimited", "perm.reason.unlimited",
          PR_UNLIMITED_SOURCE, ("iom_mic_leaflets", "legal_stay_guide")),
    Route("residence", ("temporary", "blue_card"), LEGAL_YEARS, 5, "long_term_residence", "perm.reason.long_term",
          LONG_TERM_SOURCE, ("iom_mic_leaflets", "legal_stay_guide")),
    Route("residence", ("asylum",), STATUS_YEARS, 5, "long_term_residence", "perm.reason.long_term",
          LONG_TERM_SOURCE, ("iom_mic_leaflets", "legal_stay_guide")),
    Route("residence", ("blue_card",), EU_YEARS, 5, "long_term_residence", "perm.reason.long_term_blue_card",
          LONG_TERM_SOURCE, ("iom_mic_leaflets", "legal_stay_guide"), also=(STATUS_YEARS, 2)),
    Route("citizenship", ("asylum",), STATUS_YEARS, 4, CITIZENSHIP, "perm.reason.citizenship_asylum",
          NATURALISATION + " (granted asylum for at least 4 years)", ("legal_stay_guide",)),
    Route("citizenship", PERMANENT, STATUS_YEARS, 5, CITIZENSHIP, "perm.reason.citizenship_married",
          NATURALISATION + " (marriage with the Slovak citizen after 5 years of residence)", ("legal_stay_guide",),
          special="married_slovak"),
    Route("citizenship", (*PERMANENT, "temporary", "blue_card"), LEGAL_YEARS, 3, CITIZENSHIP,
          "perm.reason.citizenship_slovak_abroad", NATURALISATION + " (Slovak living abroad, residence 3 years)",
          ("legal_stay_guide",), special="slovak_abroad"),
    Route("citizenship", ("asylum",), STATUS_YEARS, 3, CITIZENSHIP, "perm.reason.citizenship_slovak_abroad",
          NATURALISATION + " (Slovak living abroad, residence 3 years)", ("legal_stay_guide",),
          special="slovak_abroad"),
    Route("citizenship", PERMANENT, STATUS_YEARS, 8, CITIZENSHIP, "perm.reason.citizenship_8_years",
          NATURALISATION + " (permanent residence for at least 8 consecutive years)", ("legal_stay_guide",)),
    Route("citizenship", PERMANENT, LEGAL_YEARS, 10, CITIZENSHIP, "perm.reason.citizenship_10_years",
          NATURALISATION + " (10 years of continuous lawful residence and permanent residence granted)",
          ("legal_stay_guide",)),
)  # fmt: skip


@dataclass(frozen=True)
class Fallback:
    """What to say when no route applies to the status at all."""

    goal: str
    statuses: Tuple[str, ...]
    outcome: Outcome
    procedure: str
    reason: str
    source: str
    cites: Tuple[str, ...]


FALLBACKS: Tuple[Fallback, ...] = (
    Fallback("residence", ("pr_unlimited",), Outcome.other_procedure, CITIZENSHIP, "perm.reason.has_unlimited",
             "003 § Permanent residence for an unlimited time period; 002 § naturalization 1.", ("legal_stay_guide",)),
    Fallback("residence", ("temporary_protection",), Outcome.other_procedure, "temporary_protection_transition",
             "perm.reason.protection_first", "004 § Residence document for a displaced person", ("amendment_2026",)),
    Fallback("citizenship", ("temporary_protection",), Outcome.other_procedure, "temporary_protection_transition",
             "perm.reason.protection_first", "004 § Residence document for a displaced person; 002 § naturalization",
             ("amendment_2026", "legal_stay_guide")),
    Fallback("residence", ("none",), Outcome.not_eligible, "long_term_residence", "perm.reason.no_residence",
             "003 § You may apply for long-term residence if", ("iom_mic_leaflets",)),
    Fallback("citizenship", ("none",), Outcome.not_eligible, CITIZENSHIP, "perm.reason.no_residence_citizenship",
             NATURALISATION, ("legal_stay_guide",)),
    Fallback("citizenship", ("temporary", "blue_card"), Outcome.not_yet, CITIZENSHIP,
             "perm.reason.citizenship_needs_permanent", NATURALISATION, ("legal_stay_guide",)),
)  # fmt: skip


def _needs_legal_years(a: Answers) -> bool:
    status = a.get(STATUS)
    if status in ("temporary", "blue_card"):
        return True
    return a.get(GOAL) == "citizenship" and status in PERMANENT


QUESTIONS: Tuple[Question, ...] = (
    Question(GOAL, ("residence", "citizenship")),
    Question(STATUS, STATUSES),
    Question(
        STATUS_YEARS,
        kind=AnswerKind.years,
        asked_when=lambda a: a.get(STATUS) in (*PERMANENT, "blue_card", "asylum")
        and not (a.get(GOAL) == "residence" and a.get(STATUS) == "pr_unlimited"),
    ),
    Question(LEGAL_YEARS, kind=AnswerKind.years, asked_when=_needs_legal_years),
    Question(
        EU_YEARS,
        kind=AnswerKind.years,
        asked_when=lambda a: a.get(GOAL) == "residence"
        and a.get(STATUS) == "blue_card"
        and int(a.get(LEGAL_YEARS) or 0) < 5,
    ),
    Question(
        SPECIAL,
        ("married_slovak", "slovak_abroad", "none"),
        asked_when=lambda a: a.get(GOAL) == "citizenship" and a.get(STATUS) not in ("temporary_protection", "none"),
    ),
)


def told_me(answers: Answers) -> List[Union[Label, Phrase]]:
    """The answers of this check: option labels, and the years as counts."""
    told: List[Union[Label, Phrase]] = []
    for question in QUESTIONS:
        if question.id in answers:
            value = answers[question.id]
            told.append(
                Label(question.id, value)
                if question.kind == AnswerKind.choice
                else Phrase.of(f"told.{question.id}", value=Count("years", int(value)))
            )
    return told


def _result(kb: KnowledgeBase, answers: Answers, today: dt.date, outcome: Outcome, procedure: str) -> Result:
    result = new_result(kb, CHECK_ID, outcome, procedure, today)
    result.told = told_me(answers)
    return result


def decide(answers: Answers, today: dt.date, kb: KnowledgeBase) -> Result:
    """Decides between permanent residence for an unlimited period, long-term residence and citizenship.

    Args:
        answers: the answers given (question id -> option id or number of years).
        today: the date the earliest date to apply is computed against.
        kb: the knowledge base.

    Returns:
        Eligible on the first route whose years are met; otherwise not yet, with the route that
        opens soonest and its date; otherwise another procedure or not eligible.

    Raises:
        ValueError: when the answers are not enough to decide.
    """
    if GOAL not in answers or STATUS not in answers:
        raise ValueError("the permanent-residence check needs the goal and the status")
    routes = [route for route in ROUTES if route.applies(answers)]
    ready = next((route for route in routes if route.missing_years(answers) == 0), None)
    if ready is not None:
        result = _result(kb, answers, today, Outcome.eligible, ready.procedure)
        result.earliest = today
        result.reasons.append(Phrase.of(ready.reason, years=Count("years", ready.minimum)))
        add_fact(kb, result, Phrase.of(f"{ready.reason}.fact"), *ready.cites)
        _add_citizenship_conditions(kb, result)
        result.checklist = _checklist(kb, ready.procedure, answers, today)
        return result
    if routes:
        soonest = min(routes, key=lambda route: route.missing_years(answers))
        missing = soonest.missing_years(answers)
        result = _result(kb, answers, today, Outcome.not_yet, soonest.procedure)
        result.earliest = add_years(today, missing)
        result.reasons.append(Phrase.of(soonest.reason, years=Count("years", soonest.minimum)))
        result.reasons.append(Phrase.of("perm.reason.missing", missing=Count("years", missing), date=result.earliest))
        add_fact(kb, result, Phrase.of(f"{soonest.reason}.fact"), *soonest.cites)
        _add_citizenship_conditions(kb, result)
        result.checklist = _checklist(kb, soonest.procedure, answers, result.earliest)
        return result
    fallback = next(f for f in FALLBACKS if f.goal == answers[GOAL] and answers[STATUS] in f.statuses)
    result = _result(kb, answers, today, fallback.outcome, fallback.procedure)
    result.reasons.append(Phrase.of(fallback.reason))
    add_fact(kb, result, Phrase.of(f"{fallback.reason}.fact"), *fallback.cites)
    return result


def _add_citizenship_conditions(kb: KnowledgeBase, result: Result) -> None:
    """Citizenship needs more than years (002, naturalization 2.-4.): said every time it is the goal."""
    if result.procedure == CITIZENSHIP:
        add_fact(kb, result, Phrase.of("perm.fact.citizenship_other_conditions"), "legal_stay_guide")


def _checklist(kb: KnowledgeBase, procedure: str, answers: Answers, apply_on: dt.date) -> Checklist:
    when = [Phrase.of("perm.when.apply_from", date=apply_on)]
    if procedure != CITIZENSHIP:
        decided = apply_on + dt.timedelta(days=DECISION_DAYS)
        when.append(
            Phrase.of("checklist.decision_by", applied=apply_on, days=Count("days", DECISION_DAYS), date=decided)
        )
    fee_rules = {}
    if procedure == CITIZENSHIP and answers.get(STATUS) == "asylum":
        # 002, naturalization GOOD TO KNOW: exceptions from the fee, e.g. for refugee status.
        fee_rules = {0: [Phrase.of("perm.fee.asylum", answer=Label(STATUS, "asylum"))]}
    return build_checklist(kb, procedure, fee_rules=fee_rules, when=when)
