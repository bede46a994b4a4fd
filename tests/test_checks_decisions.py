"""The guided checks' decisions (issue 6): every branch of the three decision tables, dated cases.

Each case names the source text its expected result rests on (file in ../shared/sources/ and
section). Sources: 002 = 002_4a54db00720a6002.txt (guide to legal stay), 003 =
003_26cfb4ffbb39ae4a.txt (IOM MIC leaflets), 004 = 004_6ca9c542ae954527.txt (the 2026 amendment).
"""

from __future__ import annotations

import datetime as dt

import pytest

from pobyt.checks import Outcome, decide
from pobyt.checks.after_protection import RULES as AFTER_RULES
from pobyt.checks.after_protection import timeline
from pobyt.checks.family import RULES as FAMILY_RULES
from pobyt.checks.permanent import FALLBACKS, ROUTES
from tests.conftest import TODAY

D = dt.date
E, N, Y, OTHER = Outcome.eligible, Outcome.not_eligible, Outcome.not_yet, Outcome.other_procedure
PR5, TRFR = "permanent_residence_5_years", "temporary_residence_family_reunion"
TP = "temporary_protection_transition"
CIT, LTR, PRU = "citizenship_naturalization", "long_term_residence", "permanent_residence_unlimited"

# --- Check 1: family reunion -------------------------------------------------------------------
M, R, A, S, L = "check_family_member", "check_relationship", "check_both_adult", "check_sponsor_minor", "check_location"
FAMILY_CASES = [
    # 002 § Temporary residence for the purpose of family reunion, WHO: needs a family member in Slovakia.
    ({M: "nobody"}, N, TRFR),
    # 002 § Permanent residence for five years, WHERE (a): spouse of a Slovak citizen with permanent residence.
    ({M: "slovak_citizen", R: "spouse", L: "abroad"}, E, PR5),
    # 002 § Permanent residence for five years, WHERE (a): dependent relative in the direct line.
    ({M: "slovak_citizen", R: "parent_dependent", L: "in_slovakia"}, E, PR5),
    ({M: "slovak_citizen", R: "adult_child_dependent", L: "abroad"}, E, PR5),
    # 002 § Permanent residence for five years, WHERE (b): child under 18 in the care of the spouse.
    ({M: "slovak_citizen", R: "child_under_18", L: "abroad"}, E, PR5),
    # 002 § Temporary residence ... family reunion: "a spouse, if both of you are at least 18".
    ({M: "foreigner_temporary", R: "spouse", A: "no"}, N, TRFR),
    ({M: "foreigner_permanent", R: "spouse", A: "no"}, N, TRFR),
    # 002 § Temporary residence ... family reunion, WHO: family member of a foreigner with temporary residence.
    ({M: "foreigner_temporary", R: "spouse", A: "yes", L: "abroad"}, E, TRFR),
    ({M: "foreigner_temporary", R: "child_under_18", L: "abroad"}, E, TRFR),
    ({M: "foreigner_temporary", R: "adult_child_dependent", L: "in_slovakia"}, E, TRFR),
    ({M: "foreigner_temporary", R: "parent_dependent", L: "abroad"}, E, TRFR),
    # 002 § Temporary residence ... family reunion, WHO: ... or permanent residence.
    ({M: "foreigner_permanent", R: "spouse", A: "yes", L: "in_slovakia"}, E, TRFR),
    ({M: "foreigner_permanent", R: "parent_dependent", L: "abroad"}, E, TRFR),
    # 002 § Permanent residence for five years, WHERE (c): child under 18 of a foreigner with it.
    ({M: "foreigner_permanent", R: "child_under_18", L: "abroad"}, E, PR5),
    # 002 § Permanent residence for five years, WHERE (d): dependent adult child of a foreigner with PR.
    ({M: "foreigner_permanent", R: "adult_child_dependent", L: "in_slovakia"}, E, PR5),
    # 002 § Temporary residence ... family reunion, WHO: ascending relative of a person granted asylum under 18.
    ({M: "asylum", R: "parent_dependent", S: "yes", L: "abroad"}, E, TRFR),
    # 002 § Subsidiary protection: family members (spouse, children under 18, parents of a single person)
    # can get the protection; reunification is asked for when applying.
    ({M: "asylum", R: "parent_dependent", S: "no"}, OTHER, "asylum"),
    ({M: "asylum", R: "spouse"}, OTHER, "asylum"),
    ({M: "asylum", R: "child_under_18"}, OTHER, "asylum"),
]


@pytest.mark.parametrize(("answers", "outcome", "procedure"), FAMILY_CASES)
def test_family_decision(real_kb, answers, outcome, procedure):
    result = decide("family", answers, TODAY, real_kb)
    assert (result.outcome, result.procedure) == (outcome, procedure)
    assert result.reasons and result.facts and result.sources
    assert (result.checklist is not None) == (outcome == E)


def test_family_where_follows_the_location(real_kb):
    # 002 § Permanent residence for five years, HOW: embassy abroad, Foreign Police if already legally here.
    abroad = decide("family", {M: "slovak_citizen", R: "spouse", L: "abroad"}, TODAY, real_kb).checklist
    here = decide("family", {M: "slovak_citizen", R: "spouse", L: "in_slovakia"}, TODAY, real_kb).checklist
    assert [i.text.en for i in abroad.where[1:]] == ["Slovak embassies and consulates abroad"]
    assert [i.text.en for i in here.where[1:]] == ["Foreign Police Department"]
    # 002 § Temporary residence ... family reunion, HOW: in Slovakia only without a visa requirement.
    trfr = decide("family", {M: "foreigner_temporary", R: "child_under_18", L: "in_slovakia"}, TODAY, real_kb)
    assert trfr.checklist.where[0].text.key == "family.where.trfr_in_slovakia"


def test_family_fee_exemption_and_documents_follow_the_answers(real_kb):
    # 003 § permanent residence for five years, fee: not paid by the spouse of a Slovak citizen.
    spouse = decide("family", {M: "slovak_citizen", R: "spouse", L: "abroad"}, TODAY, real_kb).checklist
    assert any(getattr(rule, "key", "") == "family.fee_exempt" for rule in spouse.fees[0].rules)
    # 002 § Permanent residence for five years, documents 5): the guardian's consent only for a child.
    assert "guardian_consent" not in {getattr(d.text, "en", "") for d in spouse.documents}
    names = [d.text.en for d in spouse.documents if hasattr(d.text, "en")]
    assert "Consent of the other legal guardian" not in " ".join(names)
    child = decide("family", {M: "foreigner_permanent", R: "child_under_18", L: "abroad"}, TODAY, real_kb)
    assert any("guardian" in d.text.en.lower() for d in child.checklist.documents if hasattr(d.text, "en"))
    parent = decide("family", {M: "foreigner_permanent", R: "parent_dependent", L: "abroad"}, TODAY, real_kb)
    assert not any(
        getattr(rule, "key", "") == "family.fee_exempt" for fee in parent.checklist.fees for rule in fee.rules
    )


def test_permanent_residence_decision_date_is_90_days_from_today(real_kb):
    # 003 § Application for permanent residence for five years: "decision within 90 days".
    result = decide("family", {M: "slovak_citizen", R: "spouse", L: "abroad"}, D(2026, 11, 24), real_kb)
    decision = result.checklist.when[0]
    assert dict(decision.values)["date"] == D(2027, 2, 22)


# --- Check 2: after temporary protection --------------------------------------------------------
P, X, U, MO = "check_protected", "check_exclusion", "check_purpose", "check_purpose_months"


def protected(purpose: str = "employment", months: int = 8, exclusion: str = "none") -> dict:
    return {P: "yes", X: exclusion, U: purpose, MO: months}


AFTER_CASES = [
    # 004 § Termination of Temporary Protection, Section 131o(1): only displaced persons with protection.
    ({P: "no"}, TODAY, N, None),
    # 004 § To which displaced persons does this regulation not apply? (a) asylum/subsidiary protection applied.
    ({P: "yes", X: "asylum_applied"}, TODAY, N, None),
    # ... (a) granted temporary or permanent residence in Slovakia.
    ({P: "yes", X: "residence_sk"}, TODAY, N, None),
    # ... (b) asylum or subsidiary protection from another EU member state.
    ({P: "yes", X: "protection_eu"}, TODAY, N, None),
    # ... (c) residence without a time limit from another state.
    ({P: "yes", X: "residence_unlimited_other"}, TODAY, N, None),
    # ... (d) temporary protection from another state.
    ({P: "yes", X: "protection_other"}, TODAY, N, None),
    # 004 § Residence document ..., Section 131o(4): a purpose under Section 21(1)(a)-(f) is required.
    ({P: "yes", X: "none", U: "none"}, TODAY, N, None),
    # Before 15 July 2026 — 004 § From when is it possible to apply: "from July 15, 2026".
    (protected(months=8), D(2026, 5, 1), Y, D(2026, 7, 15)),
    # 004 § From when ...: 6 months reached on 1 July 2026, but applications open on 15 July 2026.
    (protected(months=4), D(2026, 5, 1), Y, D(2026, 7, 15)),
    # 004 § Residence document ...: "at least six months immediately preceding the submission" -> 1 Oct 2026.
    (protected(months=1), D(2026, 5, 1), Y, D(2026, 10, 1)),
    # On 15 July 2026 with 6 months: 004 § From when ...: "immediately upon the entry into force".
    (protected(months=6), D(2026, 7, 15), E, D(2026, 7, 15)),
    # Between 15 July 2026 and 4 March 2027 — 004 § From when ...: 6 months before applying.
    (protected("study", 7), D(2026, 11, 24), E, D(2026, 11, 24)),
    (protected("business", 4), D(2026, 11, 24), Y, D(2027, 1, 24)),
    # 004 § Residence document ..., Section 131o(4): 6 months immediately preceding the expiry (4 March
    # 2027), i.e. since 4 September 2026 at the latest; a purpose begun 24 September 2026 never qualifies.
    (protected("research", 2), D(2026, 11, 24), N, None),
    # 4 March 2027, the last day of protection (004 § Termination: "valid until March 4, 2027").
    (protected("family_reunion", 6), D(2027, 3, 4), E, D(2027, 3, 4)),
    (protected("family_reunion", 5), D(2027, 3, 4), N, None),
    # Between 4 March 2027 and 4 March 2028 — 004 § Termination: one more year as a displaced person;
    # Section 131o(4): 6 months before the expiry and continuously since.
    (protected("employment", 9), D(2027, 3, 5), E, D(2027, 3, 5)),
    (protected("special_activity", 9), D(2027, 6, 1), E, D(2027, 6, 1)),
    (protected("employment", 8), D(2027, 6, 1), N, None),
    (protected("employment", 20), D(2028, 3, 4), E, D(2028, 3, 4)),
    # After 4 March 2028 — 004 § Residence document ...: must leave at the end of the one-year period.
    (protected("employment", 20), D(2028, 3, 5), N, None),
    (protected("employment", 30), D(2028, 4, 1), N, None),
]


@pytest.mark.parametrize(("answers", "today", "outcome", "earliest"), AFTER_CASES)
def test_after_protection_decision(real_kb, answers, today, outcome, earliest):
    result = decide("after_protection", answers, today, real_kb)
    assert (result.outcome, result.procedure, result.earliest) == (outcome, TP, earliest)
    assert result.reasons and result.facts and set(result.sources) == {"amendment_2026"}
    assert (result.checklist is not None) == (outcome in (E, Y))


def test_after_protection_dates_come_from_the_knowledge_base(real_kb):
    times = timeline(real_kb)
    # 004 § Termination of Temporary Protection; § From when ...; Section 131o(1): one year after expiry.
    assert (times.in_force, times.protection_until, times.protected_on) == (
        D(2026, 7, 15),
        D(2027, 3, 4),
        D(2027, 3, 3),
    )
    assert times.displaced_until == D(2028, 3, 4)
    assert times.purpose_since_latest == D(2026, 9, 4)


def test_after_protection_deadlines_are_counted_from_the_earliest_date(real_kb):
    # 004 § Deadline for the issuance ...: 60 days to assess and notify, then 30 more days to issue.
    result = decide("after_protection", protected(months=8), D(2026, 5, 1), real_kb)
    deadlines = dict(result.checklist.when[2].values)
    assert (deadlines["notified"], deadlines["issued"]) == (D(2026, 9, 13), D(2026, 10, 13))


@pytest.mark.parametrize(
    ("purpose", "present", "absent"),
    [
        # 004 § Required documents ...: employment is proven by the Social Insurance Agency confirmation
        # (not older than 30 days); other purposes by a document under Section 32(5)(c)-(n).
        ("employment", "social_insurance_confirmation", "proof_of_purpose"),
        ("study", "proof_of_purpose", "social_insurance_confirmation"),
    ],
)
def test_after_protection_documents_follow_the_purpose(real_kb, purpose, present, absent):
    result = decide("after_protection", protected(purpose, 8), TODAY, real_kb)
    names = {real_kb.documents[d].name.en for d in (present, absent)}
    listed = {item.text.en for item in result.checklist.documents if hasattr(item.text, "en")}
    assert real_kb.documents[present].name.en in listed
    assert real_kb.documents[absent].name.en not in listed
    assert names - listed == {real_kb.documents[absent].name.en}


# --- Check 3: permanent / long-term residence and citizenship ------------------------------------
G, ST, SY, LY, EU, SP = (
    "check_goal", "check_status", "check_status_years", "check_legal_years", "check_blue_card_eu_years", "check_special"
)  # fmt: skip
PERMANENT_CASES = [
    # 003 § "You may apply for permanent residence for an unlimited time period, if ... at least 4 years".
    ({G: "residence", ST: "pr_5_years", SY: 4}, E, PRU, TODAY),
    ({G: "residence", ST: "pr_5_years", SY: 2}, Y, PRU, D(2028, 11, 24)),
    # 002 § naturalization 1. (8 years of permanent residence): the step after unlimited residence.
    ({G: "residence", ST: "pr_unlimited"}, OTHER, CIT, None),
    # 003 § "You may apply for long-term residence if ... legally resided in Slovakia for at least 5 years".
    ({G: "residence", ST: "temporary", LY: 5}, E, LTR, TODAY),
    ({G: "residence", ST: "temporary", LY: 3}, Y, LTR, D(2028, 11, 24)),
    ({G: "residence", ST: "asylum", SY: 6}, E, LTR, TODAY),
    # 003 § long-term residence: Blue Card, 5 years in the EU and at least 2 years in Slovakia.
    ({G: "residence", ST: "blue_card", SY: 2, LY: 3, EU: 5}, E, LTR, TODAY),
    ({G: "residence", ST: "blue_card", SY: 1, LY: 3, EU: 5}, Y, LTR, D(2027, 11, 24)),
    ({G: "residence", ST: "blue_card", SY: 5, LY: 5}, E, LTR, TODAY),
    # 004 § Residence document for a displaced person: temporary protection first needs a residence.
    ({G: "residence", ST: "temporary_protection"}, OTHER, TP, None),
    ({G: "citizenship", ST: "temporary_protection"}, OTHER, TP, None),
    # 003 § long-term residence (5 years of legal residence) — nothing to count without a residence.
    ({G: "residence", ST: "none"}, N, LTR, None),
    # 002 § naturalization 1.: permanent residence for at least 8 consecutive years.
    ({G: "citizenship", ST: "pr_unlimited", SY: 8, LY: 8, SP: "none"}, E, CIT, TODAY),
    ({G: "citizenship", ST: "none"}, N, CIT, None),
    # 002 § naturalization 1., exceptions: "marriage with the Slovak citizen after 5 years of residence".
    ({G: "citizenship", ST: "pr_5_years", SY: 5, LY: 5, SP: "married_slovak"}, E, CIT, TODAY),
    ({G: "citizenship", ST: "pr_5_years", SY: 3, LY: 6, SP: "married_slovak"}, Y, CIT, D(2028, 11, 24)),
    # ... "continuous lawful temporary or tolerated residence for at least 10 years and already granted PR".
    ({G: "citizenship", ST: "pr_unlimited", SY: 6, LY: 10, SP: "none"}, E, CIT, TODAY),
    # 8 years: 2 missing; 10 years: 3 missing -> the sooner route decides.
    ({G: "citizenship", ST: "pr_unlimited", SY: 6, LY: 7, SP: "none"}, Y, CIT, D(2028, 11, 24)),
    # ... "granted asylum for at least 4 years".
    ({G: "citizenship", ST: "asylum", SY: 4, SP: "none"}, E, CIT, TODAY),
    ({G: "citizenship", ST: "asylum", SY: 2, SP: "none"}, Y, CIT, D(2028, 11, 24)),
    # ... "Slovak living abroad with residence at least 3 years".
    ({G: "citizenship", ST: "temporary", LY: 3, SP: "slovak_abroad"}, E, CIT, TODAY),
    ({G: "citizenship", ST: "temporary", LY: 2, SP: "slovak_abroad"}, Y, CIT, D(2027, 11, 24)),
    ({G: "citizenship", ST: "asylum", SY: 3, SP: "slovak_abroad"}, E, CIT, TODAY),
    # 002 § naturalization 1.: temporary residence alone is not permanent residence.
    ({G: "citizenship", ST: "temporary", LY: 9, SP: "none"}, Y, CIT, None),
    ({G: "citizenship", ST: "blue_card", SY: 3, LY: 3, SP: "married_slovak"}, Y, CIT, None),
]


@pytest.mark.parametrize(("answers", "outcome", "procedure", "earliest"), PERMANENT_CASES)
def test_permanent_decision(real_kb, answers, outcome, procedure, earliest):
    result = decide("permanent", answers, TODAY, real_kb)
    assert (result.outcome, result.procedure, result.earliest) == (outcome, procedure, earliest)
    assert result.reasons and result.facts and result.sources


def test_citizenship_always_names_the_other_conditions(real_kb):
    # 002 § naturalization 2.-4.: clean record, no expulsion, language interview, legal duties.
    result = decide("permanent", {G: "citizenship", ST: "asylum", SY: 4, SP: "none"}, TODAY, real_kb)
    assert "perm.fact.citizenship_other_conditions" in [f.text.key for f in result.facts]
    # 002 § naturalization GOOD TO KNOW: fee exceptions, e.g. refugee status.
    assert any(getattr(r, "key", "") == "perm.fee.asylum" for r in result.checklist.fees[0].rules)


def test_every_decision_row_names_its_source(real_kb):
    rows = [*FAMILY_RULES, *AFTER_RULES, *ROUTES, *FALLBACKS]
    for row in rows:
        assert row.source[:3] in ("002", "003", "004"), row
        assert row.cites and set(row.cites) <= set(real_kb.sources), row
        assert row.procedure in real_kb.procedures, row


def test_every_branch_of_the_tables_is_covered(real_kb):
    """Each row of every table is the one deciding at least one case above."""
    used = set()
    for answers, *_ in FAMILY_CASES:
        used.add(decide("family", answers, TODAY, real_kb).reasons[0].key)
    for answers, today, *_ in AFTER_CASES:
        used.add(decide("after_protection", answers, today, real_kb).reasons[0].key)
    for answers, *_ in PERMANENT_CASES:
        used.add(decide("permanent", answers, TODAY, real_kb).reasons[0].key)
    table_keys = {r.reason for r in (*FAMILY_RULES, *AFTER_RULES, *ROUTES, *FALLBACKS)}
    timed = {f"ap.reason.{k}" for k in ("period_over", "ok_after_end", "short_before_end", "cannot_reach_before_end",
                                        "wait_in_force", "wait_months", "ok_before_end")}  # fmt: skip
    assert table_keys | timed <= used


def test_decide_refuses_incomplete_answers_and_ignores_stale_ones(real_kb):
    with pytest.raises(ValueError, match="check_relationship"):
        decide("family", {M: "slovak_citizen"}, TODAY, real_kb)
    # After "go back" to "nobody", the earlier relationship answer no longer counts.
    result = decide("family", {M: "nobody", R: "spouse", L: "abroad"}, TODAY, real_kb)
    assert result.outcome == N and [t.question for t in result.told] == [M]
