"""Check 2, staying after temporary protection (the amendment in force from 15 July 2026).

Source: ``004_6ca9c542ae954527.txt`` — "Termination of Temporary Protection" (protection valid until
4 March 2027; protected on 3 March 2027 -> one more year as a displaced person), "To which displaced
persons does this regulation not apply?" (exclusions a-d), "Residence document for a displaced
person" (Section 131o(4): a purpose under Section 21(1)(a)-(f) pursued for at least 6 months),
"Required documents ..." (30 and 90 days), "Deadline for the issuance ..." (60 + 30 days, validity)
and "From when is it possible to apply ...?" (from 15 July 2026).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional, Tuple, Union

from pobyt.checks.checklist import add_fact, build_checklist, new_result
from pobyt.checks.dates import add_months, add_years
from pobyt.checks.models import (
    AnswerKind,
    Answers,
    Checklist,
    Count,
    Label,
    Outcome,
    Phrase,
    Question,
    Renderable,
    Result,
    Rule,
    first_match,
)
from pobyt.kb.models import KnowledgeBase

CHECK_ID = "after_protection"
PROCEDURE = "temporary_protection_transition"
SOURCES = ("amendment_2026",)

PROTECTED = "check_protected"
EXCLUSION = "check_exclusion"
PURPOSE = "check_purpose"
MONTHS = "check_purpose_months"

#: The purposes of Section 21(1)(a)-(f) (004, "Such purposes are understood to mean ...").
PURPOSES = ("employment", "business", "study", "special_activity", "research", "family_reunion")
EXCLUSIONS = ("asylum_applied", "residence_sk", "protection_eu", "residence_unlimited_other", "protection_other")


@dataclass(frozen=True)
class Timeline:
    """The amendment's dates (004); the knowledge base's dates are used when it has them."""

    in_force: dt.date = dt.date(2026, 7, 15)  # 004: "will enter into force on July 15, 2026"
    protection_until: dt.date = dt.date(2027, 3, 4)  # 004: "valid until March 4, 2027"
    protected_on: dt.date = dt.date(2027, 3, 3)  # 004, Section 131o(1): "as of March 3, 2027"
    min_months: int = 6  # 004, Section 131o(4): "at least six months"
    notify_days: int = 60  # 004: "a statutory period of 60 days"
    issue_days: int = 30  # 004: "an additional 30 days to issue the document"

    @property
    def displaced_until(self) -> dt.date:
        """004, Section 131o(1): a displaced person "for one year from the date of the expiry"."""
        return add_years(self.protection_until, 1)

    @property
    def purpose_since_latest(self) -> dt.date:
        """The latest start of the purpose that still gives 6 months before protection ends."""
        return add_months(self.protection_until, -self.min_months)


def timeline(kb: KnowledgeBase) -> Timeline:
    """Returns the amendment's dates, taking the two the knowledge base records from it."""
    base = Timeline()
    protection = kb.procedures.get("temporary_protection")
    transition = kb.procedures.get(PROCEDURE)
    until = protection.validity.valid_until if protection and protection.validity else None
    start = transition.validity.valid_from if transition and transition.validity else None
    return Timeline(in_force=start or base.in_force, protection_until=until or base.protection_until)


#: Who the amendment does not help, first matching row wins (004 sections as named).
RULES: Tuple[Rule, ...] = (
    Rule(
        {PROTECTED: ("no",)},
        Outcome.not_eligible,
        PROCEDURE,
        "ap.reason.not_protected",
        "004 § Termination of Temporary Protection, Section 131o(1)",
        SOURCES,
    ),
    Rule(
        {EXCLUSION: ("asylum_applied",)},
        Outcome.not_eligible,
        PROCEDURE,
        "ap.reason.asylum_applied",
        "004 § To which displaced persons does this regulation not apply? (a)",
        SOURCES,
    ),
    Rule(
        {EXCLUSION: ("residence_sk",)},
        Outcome.not_eligible,
        PROCEDURE,
        "ap.reason.residence_sk",
        "004 § To which displaced persons does this regulation not apply? (a)",
        SOURCES,
    ),
    Rule(
        {EXCLUSION: ("protection_eu",)},
        Outcome.not_eligible,
        PROCEDURE,
        "ap.reason.protection_eu",
        "004 § To which displaced persons does this regulation not apply? (b)",
        SOURCES,
    ),
    Rule(
        {EXCLUSION: ("residence_unlimited_other",)},
        Outcome.not_eligible,
        PROCEDURE,
        "ap.reason.residence_unlimited_other",
        "004 § To which displaced persons does this regulation not apply? (c)",
        SOURCES,
    ),
    Rule(
        {EXCLUSION: ("protection_other",)},
        Outcome.not_eligible,
        PROCEDURE,
        "ap.reason.protection_other",
        "004 § To which displaced persons does this regulation not apply? (d)",
        SOURCES,
    ),
    Rule(
        {PURPOSE: ("none",)},
        Outcome.not_eligible,
        PROCEDURE,
        "ap.reason.no_purpose",
        "004 § Residence document for a displaced person, Section 131o(4)",
        SOURCES,
    ),
)

QUESTIONS: Tuple[Question, ...] = (
    Question(PROTECTED, ("yes", "no")),
    Question(EXCLUSION, ("none", *EXCLUSIONS), asked_when=lambda a: a.get(PROTECTED) == "yes"),
    Question(
        PURPOSE,
        (*PURPOSES, "none"),
        asked_when=lambda a: a.get(PROTECTED) == "yes" and a.get(EXCLUSION) == "none",
    ),
    Question(MONTHS, kind=AnswerKind.months, asked_when=lambda a: a.get(PURPOSE) in PURPOSES),
)


def told_me(answers: Answers) -> List[Union[Label, Phrase]]:
    """The answers of this check: option labels, and the months as a count."""
    told: List[Union[Label, Phrase]] = []
    for question in QUESTIONS:
        if question.id not in answers:
            continue
        value = answers[question.id]
        told.append(
            Phrase.of(f"told.{question.id}", value=Count("months", int(value)))
            if question.kind == AnswerKind.months
            else Label(question.id, value)
        )
    return told


def _timed_outcome(months: int, today: dt.date, times: Timeline) -> Tuple[Outcome, str, Optional[dt.date]]:
    """The six-month condition against today's date: outcome, reason key and earliest date to apply."""
    start = add_months(today, -months)
    if today > times.displaced_until:
        return Outcome.not_eligible, "ap.reason.period_over", None
    if today > times.protection_until:
        # After protection ends: 6 months immediately before it ended, and without a break since.
        if start <= times.purpose_since_latest:
            return Outcome.eligible, "ap.reason.ok_after_end", today
        return Outcome.not_eligible, "ap.reason.short_before_end", None
    if start > times.purpose_since_latest:
        return Outcome.not_eligible, "ap.reason.cannot_reach_before_end", None
    earliest = max(add_months(start, times.min_months), times.in_force, today)
    if earliest > today:
        key = "ap.reason.wait_in_force" if months >= times.min_months else "ap.reason.wait_months"
        return Outcome.not_yet, key, earliest
    return Outcome.eligible, "ap.reason.ok_before_end", today


def _status_facts(kb: KnowledgeBase, result: Result, today: dt.date, times: Timeline) -> None:
    """What happens if the person does nothing, computed against today (004, Section 131o(1))."""
    if today <= times.protected_on:
        add_fact(kb, result, Phrase.of("ap.fact.protected_on", date=times.protected_on), *SOURCES)
    if today <= times.protection_until:
        left = (times.protection_until - today).days
        fact = Phrase.of("ap.fact.protection_until", date=times.protection_until, days=Count("days", left))
        add_fact(kb, result, fact, *SOURCES)
    if today <= times.displaced_until:
        left = (times.displaced_until - today).days
        fact = Phrase.of("ap.fact.displaced_until", date=times.displaced_until, days=Count("days", left))
        add_fact(kb, result, fact, *SOURCES)
    else:
        add_fact(kb, result, Phrase.of("ap.fact.displaced_ended", date=times.displaced_until), *SOURCES)


def decide(answers: Answers, today: dt.date, kb: KnowledgeBase) -> Result:
    """Decides whether the person can get temporary residence after temporary protection, and when.

    Args:
        answers: the answers given (question id -> option id or number of months).
        today: the date every date is computed against.
        kb: the knowledge base.

    Returns:
        The result with the reason, the dates and, when the person can or will be able to apply,
        the checklist.

    Raises:
        ValueError: when the answers are not enough to decide.
    """
    times = timeline(kb)
    rule = first_match(list(RULES), answers)
    if rule is None and MONTHS not in answers:
        raise ValueError("the after-protection check needs more answers")
    if rule is not None:
        outcome, reason, earliest = rule.outcome, rule.reason, None
    else:
        outcome, reason, earliest = _timed_outcome(int(answers[MONTHS]), today, times)
    result = new_result(kb, CHECK_ID, outcome, PROCEDURE, today)
    result.told = told_me(answers)
    result.earliest = earliest
    dates = {"latest": times.purpose_since_latest, "until": times.protection_until, "in_force": times.in_force}
    months = Count("months", times.min_months)
    result.reasons.append(Phrase.of(reason, date=earliest or today, months=months, end=times.displaced_until, **dates))
    add_fact(kb, result, Phrase.of("ap.fact.condition", months=Count("months", times.min_months)), *SOURCES)
    if answers.get(PROTECTED) == "yes" and answers.get(EXCLUSION) in (None, "none"):
        _status_facts(kb, result, today, times)
    if outcome in (Outcome.eligible, Outcome.not_yet) and earliest is not None:
        result.checklist = _checklist(kb, str(answers[PURPOSE]), earliest, times)
    return result


def _checklist(kb: KnowledgeBase, purpose: str, earliest: dt.date, times: Timeline) -> Checklist:
    """Documents for the purpose given, and the deadlines counted from the earliest day to apply."""
    excluded = ("proof_of_purpose",) if purpose == "employment" else ("social_insurance_confirmation",)
    documents = [r.document for r in kb.procedures[PROCEDURE].documents if r.document not in excluded]
    notified = earliest + dt.timedelta(days=times.notify_days)
    issued = notified + dt.timedelta(days=times.issue_days)
    when: List[Renderable] = [
        Phrase.of("ap.when.apply_from", date=earliest),
        Phrase.of("ap.when.apply_by", date=times.displaced_until),
        Phrase.of(
            "ap.when.deadlines",
            date=earliest,
            notified=notified,
            issued=issued,
            first=Count("days", times.notify_days),
            second=Count("days", times.issue_days),
        ),
    ]
    purpose_rule = Phrase.of("ap.doc.purpose", purpose=Label(PURPOSE, purpose))
    extra = {"proof_of_purpose": [purpose_rule], "social_insurance_confirmation": [purpose_rule]}
    # The 60 + 30 days are computed above from the earliest date, so the KB's deadlines are not repeated.
    return build_checklist(kb, PROCEDURE, documents=documents, extra_rules=extra, when=when, kb_deadlines=False)
