"""Operational (CP activity) measures on the hand-readable fixture tests/fixtures/marts/cp_ops.

The fixture covers 2024 (claims from Jan 5 to Dec 27, so periods 2024Q1-2024Q4; 12-month
measures only have 2024Q4). CP C1 is a BH CP (members O1, O2, O3, O8, O9, O11, O13), C2 an
LTSS CP (O4, O5, O6, O7, O10, O12); N1 has no CP. Everyone is enrolled all of 2024 except O8
(died: enrolled and assigned to C1 until 2024-08-01). C1 members are attributed to ACO A1,
C2 members to A2. Jan 1 2024 was a Monday. Expected values are worked out by hand below from
the fixture's cp_enrollment.csv, cp_activity.csv (ids A01-A32) and medical_claim.csv.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from scorecard import engine, stats
from scorecard.specs import load_specs

ROOT = Path(__file__).resolve().parents[1]
CP_OPS = ROOT / "tests" / "fixtures" / "marts" / "cp_ops"


@pytest.fixture(scope="module")
def results():
    # Only the operational family is run, to keep the tests fast.
    specs = [s for s in load_specs(ROOT / "measures") if s.family == "operational"]
    run = engine.run(CP_OPS, ROOT / "measures" / "value_sets", specs)
    assert run.period_id == "2024Q4"
    assert run.periods == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    return run.results


def cell(
    results, measure, period="2024Q4", level="program", entity="ALL", stratum="all", value="all"
):
    rows = results[
        (results.measure_id == measure)
        & (results.period_id == period)
        & (results.level == level)
        & (results.entity_id == entity)
        & (results.stratum == stratum)
        & (results.stratum_value == value)
    ]
    assert len(rows) == 1, f"expected one row for {measure} {period} {level} {entity}"
    row = rows.iloc[0]
    return row.numerator, row.denominator


def median_of(results, measure, period="2024Q4", level="program", entity="ALL"):
    rows = results.query(
        "measure_id == @measure and period_id == @period and level == @level "
        "and entity_id == @entity and stratum == 'all'"
    )
    assert len(rows) == 1
    return rows.value.iloc[0], rows.denominator.iloc[0]


def test_participation_form_30d(results):
    # Deadline = assignment + 30 days, in 2024: O1 Feb 9 (form Feb 9, on the deadline: yes),
    # O3 Jan 1 (window's first day; form Jan 2: no), O4 Dec 31 (window's last day; no form:
    # no), O7 Mar 31 (left Mar 20 but signed Mar 10 first: counted, yes), O12 Jul 1 (form
    # Jun 5: yes). Out: O2 (deadline 2023-12-31), O5 (2025-01-01), O6 (left Mar 20 without a
    # form), O8-O11, O13 (deadlines in 2023).
    assert cell(results, "cp_participation_form_30d") == (3, 5)
    assert cell(results, "cp_participation_form_30d", level="cp", entity="C1") == (1, 2)
    assert cell(results, "cp_participation_form_30d", level="cp", entity="C2") == (2, 3)
    assert cell(results, "cp_participation_form_30d", stratum="cp_type", value="BH") == (1, 2)
    assert cell(results, "cp_participation_form_30d", stratum="cp_type", value="LTSS") == (2, 3)
    assert cell(results, "cp_participation_form_30d", level="aco", entity="A2") == (2, 3)


def test_assessment_90d(results):
    # Deadline = assignment + 90 days: O1 Apr 9 (assessed Apr 10, a day late: no), O2 Feb 29
    # (assigned 2023-12-01; assessed Jan 15: yes), O3 Mar 1 (never: no), O12 Aug 30 (Jun 20:
    # yes). Out: O6, O7 (left Mar 20, not assessed), O4, O5 (deadlines in 2025), O8-O11, O13
    # (2023).
    assert cell(results, "cp_assessment_90d") == (2, 4)


def test_engagement_122d(results):
    # Deadline = assignment + 122 days: O1 May 11 (care plan May 11: yes), O2 Apr 1 (plan Apr
    # 2: no), O3 Apr 2 (none: no), O9 2024-01-01 (assigned 2023-09-01, the window's first day;
    # plan 2023-12-15: yes), O12 Oct 1 (Jul 1: yes). Out: O6, O7 (left before the deadline
    # without a plan), O4, O5 (2025), O8, O10, O11, O13 (2023).
    assert cell(results, "cp_engagement_122d") == (3, 5)
    assert cell(results, "cp_engagement_122d", level="cp", entity="C1") == (2, 4)
    assert cell(results, "cp_engagement_122d", level="cp", entity="C2") == (1, 1)
    practice = results.query("measure_id == 'cp_engagement_122d' and level == 'practice'")
    assert practice.empty


def test_annual_care_plan(results):
    # Care plans due for renewal (plan + 12 months) in 2024, member still with the CP then:
    # O8 plan 2023-06-01, due 2024-06-01 (A20 T2024 without U4 on May 1 is not a plan; A21
    # T2024-U4 on Jun 2 is a day late: no); O9 plan 2023-12-15 (also recorded as A22, counted
    # once), due 2024-12-15 (A24 renewal Nov 1: yes); O11 renewal A25 2023-12-10, due
    # 2024-12-10 (A26 is by C2, not O11's CP: no). Out: O10 (left 2024-02-15, before its due
    # date 2024-03-01), O11's first plan (due 2023-12-20), plans signed in 2024 (due in 2025).
    assert cell(results, "cp_annual_care_plan") == (1, 3)


def test_annual_care_plan_counts_a_plan_recorded_twice_once(tmp_path):
    # Three more C1 members assigned 2023-01-10, enrolled all 2024, whose plan is recorded twice:
    # O14 signed Mar 10, 2023 and A40 (T2024-U4) Mar 1, 9 days apart: one plan dated Mar 1,
    # due Mar 1, 2024, no renewal: no. O15 signed Feb 1, 2023, A41 Feb 20 (19 days later, the
    # same plan), A42 Jan 15, 2024 (a renewal): the plan due Feb 1, 2024 is renewed: yes; the
    # renewal is due in 2025. O16 signed Jan 15, 2023, A43 Mar 16, exactly 60 days later (the
    # same plan): due Jan 15, 2024, no renewal: no. (1, 3) + (1, 3) = (2, 6). Taking each record
    # as its own plan renewed by the next would give O14 1 of 2, O15 2 of 2, O16 1 of 2: (5, 9).
    folder = tmp_path / "cp_ops"
    shutil.copytree(CP_OPS, folder)
    members = {"O14": "2023-03-10", "O15": "2023-02-01", "O16": "2023-01-15"}
    with open(folder / "eligibility.csv", "a", encoding="utf-8") as rows:
        for member in members:
            rows.write(f"{member},female,White,1980,2024-01-01,2024-12-31,medicaid,aco\n")
    with open(folder / "cp_enrollment.csv", "a", encoding="utf-8") as rows:
        for member, signed in members.items():
            rows.write(f"{member},C1,BH,2023-01-10,2023-01-12,2023-01-13,{signed},\n")
    with open(folder / "cp_activity.csv", "a", encoding="utf-8") as rows:
        for activity, member, day in (
            ("A40", "O14", "2023-03-01"),
            ("A41", "O15", "2023-02-20"),
            ("A42", "O15", "2024-01-15"),
            ("A43", "O16", "2023-03-16"),
        ):
            rows.write(f"{activity},{member},C1,{day},T2024,U4,true,T1\n")
    specs = [s for s in load_specs(ROOT / "measures") if s.id == "cp_annual_care_plan"]
    results = engine.run(folder, ROOT / "measures" / "value_sets", specs).results
    assert cell(results, "cp_annual_care_plan") == (2, 6)


def test_days_to_first_contact(results):
    # First successful contact of the assignment's CP, in 2024: O1 Jan 15 (A01 on Jan 11 was
    # an unsuccessful attempt): 5 days; O3 Jan 2: 31 days (assigned 2023-12-02); O4 Dec 1
    # (successful_contact empty counts as a contact): 0; O7 Mar 3 (A18 is by another CP): 2;
    # O12 Jun 3: 2. Out: O2, O8, O9, O11 (first contact in 2023), O6 (attempts only), O5, O10.
    # Median of 0, 2, 2, 5, 31 = 2; C1: 5 and 31 -> 18; C2: 0, 2, 2 -> 2.
    assert median_of(results, "cp_days_to_first_contact") == (2, 5)
    assert median_of(results, "cp_days_to_first_contact", level="cp", entity="C1") == (18, 2)
    assert median_of(results, "cp_days_to_first_contact", level="cp", entity="C2") == (2, 3)


def test_days_to_participation_form(results):
    # Forms signed in 2024: O1 30 days, O3 31, O5 0 (signed Nov 30, two days before the Dec 2
    # assignment: counted as 0), O7 9, O12 4. Median of 0, 4, 9, 30, 31 = 9.
    assert median_of(results, "cp_days_to_participation_form") == (9, 5)


def test_days_to_engagement(results):
    # Care plans signed in 2024: O1 122 days, O2 123 (2023-12-01 to 2024-04-02), O12 30.
    # Median 122; C1: 122 and 123 -> 122.5.
    assert median_of(results, "cp_days_to_engagement") == (122, 3)
    assert median_of(results, "cp_days_to_engagement", level="cp", entity="C1") == (122.5, 2)


def test_followup_discharge_3_business_days(results):
    # Discharges of assigned members (deadline = 3rd Monday-Friday after the discharge day
    # that is not a Massachusetts legal holiday):
    #   M01 O1 Fri Mar 8 -> Wed Mar 13: A03 T2038 on Mar 13 (the deadline): yes
    #   M02 O3 Wed May 15 -> Mon May 20: A12 on May 17 is an unsuccessful attempt, A13 May 21
    #       is late: no
    #   M03 O9 skilled nursing (211) Sat Jul 6 -> Wed Jul 10: A23 contact on the discharge
    #       day: yes
    #   M06 O2 Mon Jun 10 -> Thu Jun 13: A09 Jun 12: yes
    #   M07 O7 Mon Mar 18 -> Thu Mar 21 (O7 still assigned on Mar 18): nothing: no
    #   M09 O4 Tue Dec 24 -> Mon Dec 30 (Christmas Wed Dec 25 is not a business day): no
    #   M12 O11 skilled nursing Thu Dec 5 -> Tue Dec 10: no
    #   M13 O12 same-day stay Mon Sep 9 -> Thu Sep 12: A32 Sep 10 (contact flag empty): yes
    # Excluded: M05 O2 Jun 3 (readmitted Jun 5, before its Jun 6 deadline), M04 O8 (died,
    # status 20), M08 O6 (left the CP Mar 20, discharged Mar 25), M10 O5 Fri Dec 27 (deadline
    # Thu 2025-01-02, after New Year's Day, is after the window), M11 O11 interim bill (status
    # 30, no discharge date).
    assert cell(results, "cp_followup_discharge_3bd") == (4, 8)
    assert cell(results, "cp_followup_discharge_3bd", level="cp", entity="C1") == (3, 5)
    assert cell(results, "cp_followup_discharge_3bd", level="cp", entity="C2") == (1, 3)


# Three more members of the CPs, enrolled all of 2024, each with one acute stay (type of bill
# 111, discharged home) and one T2038 transitions-of-care contact by their CP.
HOLIDAY_ROWS = {
    "eligibility.csv": "".join(
        f"{person},female,White,1980,2024-01-01,2024-12-31,medicaid,aco\n"
        for person in ("O20", "O21", "O22")
    ),
    "cp_enrollment.csv": (
        "O20,C1,BH,2024-01-02,,,,\nO21,C2,LTSS,2024-01-02,,,,\nO22,C2,LTSS,2024-01-02,,,,\n"
    ),
    "medical_claim.csv": "".join(
        f"{claim},1,institutional,{person},{start},{end},{start},{end},01,,111,0120,,1000,I10\n"
        for claim, person, start, end in (
            ("M90", "O20", "2024-05-20", "2024-05-24"),
            ("M91", "O21", "2024-09-27", "2024-10-01"),
            ("M92", "O22", "2024-09-28", "2024-10-02"),
        )
    ),
    "cp_activity.csv": (
        "A90,O20,C1,2024-05-30,T2038,,true,T1\n"
        "A91,O21,C2,2024-10-04,T2038,,true,T3\n"
        "A92,O22,C2,2024-10-08,T2038,,true,T3\n"
    ),
}


def test_followup_discharge_skips_holidays(tmp_path):
    # O20 (C1) discharged Fri May 24, 2024; Mon May 27 is Memorial Day, so the business days
    # after are Tue May 28, Wed May 29 and Thu May 30, the deadline, when A90 is: yes (counting
    # weekends only, the deadline would be Wed May 29 and A90 late).
    # Plain weeks: O21 (C2) discharged Tue Oct 1 -> Wed 2, Thu 3, Fri Oct 4: A91 on Fri Oct 4,
    # the deadline: yes. O22 (C2) discharged Wed Oct 2 -> Thu 3, Fri 4, Mon Oct 7: A92 on Tue
    # Oct 8 is a day late: no.
    # Was (4, 8), C1 (3, 5), C2 (1, 3): now (6, 11), C1 (4, 6), C2 (2, 5).
    folder = tmp_path / "cp_ops"
    shutil.copytree(CP_OPS, folder)
    for file, text in HOLIDAY_ROWS.items():
        with (folder / file).open("a", encoding="utf-8") as out:
            out.write(text)
    specs = [s for s in load_specs(ROOT / "measures") if s.id == "cp_followup_discharge_3bd"]
    results = engine.run(folder, ROOT / "measures" / "value_sets", specs).results
    assert cell(results, "cp_followup_discharge_3bd") == (6, 11)
    assert cell(results, "cp_followup_discharge_3bd", level="cp", entity="C1") == (4, 6)
    assert cell(results, "cp_followup_discharge_3bd", level="cp", entity="C2") == (2, 5)


HOLIDAY_FILE = ROOT / "measures" / "value_sets" / "business_holiday.csv"
HOLIDAY_YEARS = range(2015, 2031)


def ma_legal_holidays(year: int) -> list[tuple[date, str]]:
    """Return the Massachusetts legal holidays of `year` (M.G.L. c. 4, s. 7, clause Eighteenth)
    as kept: a holiday of fixed date falling on a Sunday is kept the Monday after; one falling
    on a Saturday is not moved (state offices open the Friday before). The rule that wrote
    measures/value_sets/business_holiday.csv."""

    def nth(month: int, weekday: int, n: int) -> date:  # n-th weekday (0 Monday) of the month
        first = date(year, month, 1)
        return first + timedelta((weekday - first.weekday()) % 7 + 7 * (n - 1))

    fixed = [
        (1, 1, "New Year's Day (January 1)"),
        (6, 19, "Juneteenth Independence Day (June 19, from 2021)"),
        (7, 4, "Independence Day (July 4)"),
        (11, 11, "Veterans Day (November 11)"),
        (12, 25, "Christmas Day (December 25)"),
    ]
    days = []
    for month, day, name in fixed:
        if (month, day) == (6, 19) and year < 2021:
            continue
        kept = date(year, month, day)
        if kept.weekday() == 6:  # Sunday: kept the day following
            kept += timedelta(1)
            name += ", on a Sunday: kept the Monday after"
        days.append((kept, name))
    end_of_may = date(year, 5, 31)
    days += [
        (nth(1, 0, 3), "Martin Luther King Jr. Day (third Monday in January)"),
        (nth(2, 0, 3), "Washington's Birthday (third Monday in February)"),
        (nth(4, 0, 3), "Patriots' Day (third Monday in April)"),
        (end_of_may - timedelta(end_of_may.weekday()), "Memorial Day (last Monday in May)"),
        (nth(9, 0, 1), "Labor Day (first Monday in September)"),
        (nth(10, 0, 2), "Columbus Day (second Monday in October)"),
        (nth(11, 3, 4), "Thanksgiving Day (fourth Thursday in November)"),
    ]
    return sorted(days)


def test_business_holiday_file_is_the_rule():
    with HOLIDAY_FILE.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    wanted = [(d.isoformat(), name) for y in HOLIDAY_YEARS for d, name in ma_legal_holidays(y)]
    assert [(r["code"], r["description"]) for r in rows] == wanted
    assert {r["code_system"] for r in rows} == {"DATE"}
    assert len({r["source"] for r in rows}) == 1 and "c. 4, s. 7" in rows[0]["source"]
    # a few by the calendar: Memorial Day 2024, Juneteenth 2022 (a Sunday), none in 2020
    codes = {r["code"] for r in rows}
    assert {"2024-05-27", "2022-06-20", "2023-01-02"} <= codes
    assert not {"2022-06-19", "2020-06-19", "2024-03-17"} & codes


def test_followup_ed_7d(results):
    # ED visits of assigned members up to Dec 24: E1 O1 Apr 10 (A04 Apr 17 = day 7: yes), E2 O3
    # Aug 5 (A14 Aug 13 = day 8: no), E4 O12 Dec 24 (the last day allowed; A28 Dec 31: yes).
    # Excluded: E3 O7 Mar 15 (admitted Mar 16), E5 O12 Dec 26 (less than 7 days left), E6 O6
    # (no longer assigned), E7 N1 (no CP).
    assert cell(results, "cp_followup_ed_7d") == (2, 3)
    assert cell(results, "cp_followup_ed_7d", level="cp", entity="C1") == (1, 2)


def test_qualifying_activities(results):
    # 2024Q3 engaged member months (care plan signed by the month's end, assigned, enrolled):
    # O1, O2, O9, O11, O12 x 3 + O8 Jul, Aug (left Aug 1) = 17. Qualifying activities: A05,
    # A06 (O1; A07 is an unsuccessful attempt), A23 (O9), A27, A32 (O12) = 5. Not counted:
    # A10 (H0023 is not a qualifying code), A14 (O3 has no care plan).
    assert cell(results, "cp_qualifying_activities", "2024Q3") == (5, 17)
    assert cell(results, "cp_qualifying_activities", "2024Q3", "cp", "C1") == (3, 14)
    assert cell(results, "cp_qualifying_activities", "2024Q3", "cp", "C2") == (2, 3)


def test_an_assessment_or_care_plan_code_counts_only_with_its_u4_modifier(tmp_path):
    # As above, with two comprehensive assessments (G0506) for O1 in August 2024, one billed
    # with the program's U4 modifier and one without, and a signed care plan (T2024) without
    # it: only the U4 assessment is a qualifying activity, 6 of 17 where there were 5.
    folder = tmp_path / "cp_ops"
    shutil.copytree(CP_OPS, folder)
    with (folder / "cp_activity.csv").open("a") as out:
        out.write("Q1,O1,C1,2024-08-12,G0506,U4,true,T1\n")
        out.write("Q2,O1,C1,2024-08-13,G0506,,true,T1\n")
        out.write("Q3,O1,C1,2024-08-14,T2024,,true,T1\n")
    specs = [s for s in load_specs(ROOT / "measures") if s.id == "cp_qualifying_activities"]
    run = engine.run(folder, ROOT / "measures" / "value_sets", specs)
    assert cell(run.results, "cp_qualifying_activities", "2024Q3") == (6, 17)


def test_outreach_attempts(results):
    # 2024Q1 assigned member months: C1 O1, O2, O3, O8, O9, O11 x 3 = 18; C2 O6 Mar, O7 Mar,
    # O10 Jan-Feb = 4; 22 in all (O13 left 2023-12-31). Attempts while assigned: A01 (O1),
    # A16, A17 (O6) = 3; A29 (O10, Feb 20) is after O10 left on Feb 15.
    assert cell(results, "cp_outreach_attempts", "2024Q1") == (3, 22)
    assert cell(results, "cp_outreach_attempts", "2024Q1", "cp", "C2") == (2, 4)


def test_caseload(results):
    # 2024Q3, each member's team = team of the latest activity by the month's end:
    #   T1 (C1): Jul O1, O2, O8 = 3; Aug O2, O8 = 2 (O1 moved to T2 with A06); Sep O2 = 1
    #   T2 (C1): Jul O3, O9 = 2; Aug O1, O3, O9 = 3; Sep 3
    #   T3 (C2): O12 = 1 each month
    # O11's activities have no care team. 9 team-months, 17 members in all.
    assert cell(results, "cp_caseload", "2024Q3") == (17, 9)
    assert cell(results, "cp_caseload", "2024Q3", "cp", "C1") == (14, 6)
    rows = results.query("measure_id == 'cp_caseload'")
    assert set(rows.level) == {"program", "cp"}
    assert set(rows.stratum) == {"all"}


def test_caseload_is_called_higher_or_lower_never_better_or_worse(results):
    # A small caseload can mean more time for each member or too few members enrolled, so
    # cp_caseload has no better direction (neutral). The 2024Q3 rows with made-up values so
    # that C1's likely range (1.5 to 2.0) lies wholly under the program's 2.1: the word is
    # "lower" (with lower_is_better it would be "better").
    rows = results.query("measure_id == 'cp_caseload' and period_id == '2024Q3'").copy()
    assert set(rows.direction) == {"neutral"}
    rows["suppressed"], rows["min_denominator"] = False, 1  # C1's 6 team-months shown
    rows.loc[rows.level == "program", "value"] = 2.1
    rows.loc[rows.level == "cp", ["lower", "upper"]] = (1.5, 2.0)
    labels = stats.peer_label(rows).set_index("entity_id")["peer_label"]
    assert labels["C1"] == "lower"


def test_disenrollment(results):
    # Assignments active in 2024: O1-O12 (O13 left 2023-12-31). Left in 2024: O6, O7 (Mar 20),
    # O8 (Aug 1), O10 (Feb 15).
    assert cell(results, "cp_disenrollment") == (4, 12)
    assert cell(results, "cp_disenrollment", level="cp", entity="C2") == (3, 6)


def test_community_tenure(results):
    # Eligible days in 2024 (enrolled and assigned; 2024 has 366 days): O1 357 (from Jan 10),
    # O2, O3, O9, O11 366 each, O8 214 (to Aug 1), O4 31, O5 30, O6 20, O7 20, O10 46, O12 214:
    # 2,396 in all. Institutional days (admission to the day before discharge): M01 3, M02 2,
    # M03 16 (Jun 20-Jul 5), M04 3, M05 2 + M06 5, M07 2, M09 4, M10 4, M11 30 (interim bill,
    # Nov 1-30), M12 4, M13 1 (same day), P01 10 (place of service 55, Oct 1-10) = 86; M08 is
    # after O6 left the CP. Community days = 2,396 - 86 = 2,310.
    assert cell(results, "cp_community_tenure") == (2310, 2396)
    # C1 (O1, O2, O3, O8, O9, O11): 357 + 4 x 366 + 214 = 2,035 days, 75 away (M01, M02, M03,
    # M04, M05, M06, M11, M12, P01); C2: 361 days, 11 away (M07, M09, M10, M13).
    assert cell(results, "cp_community_tenure", level="cp", entity="C1") == (1960, 2035)
    assert cell(results, "cp_community_tenure", level="cp", entity="C2") == (350, 361)


def row_of(results, measure, level="program", entity="ALL", period="2024Q4"):
    rows = results[
        (results.measure_id == measure)
        & (results.period_id == period)
        & (results.level == level)
        & (results.entity_id == entity)
        & (results.stratum == "all")
    ]
    assert len(rows) == 1
    return rows.iloc[0]


def test_community_tenure_is_clustered_by_member(results):
    # The rows are days (a member's eligible days, month by month), so the interval and the
    # cell-size rule take each member's days together (cluster: person). C1's six members,
    # days in the community of eligible days (see test_community_tenure): O1 354 of 357 (M01),
    # O2 359/366 (M05, M06), O3 364/366 (M02), O8 211/214 (M04), O9 350/366 (M03), O11
    # 322/366 (M11, M12, P01): every one of them spent a day in a facility.
    c1 = row_of(results, "cp_community_tenure", "cp", "C1")
    assert (c1.persons, c1.persons_numerator, c1.persons_complement) == (6, 6, 6)
    assert c1.units == 6 * 12 - 4  # member-months: O1 from January 10, O8 January to August
    # 354² + 359² + 364² + 211² + 350² + 322² = 125,316 + 128,881 + 132,496 + 44,521
    # + 122,500 + 103,684
    assert c1.numerator_sq == 657_398
    assert c1.denominator_sq == 357**2 + 4 * 366**2 + 214**2 == 709_069
    # 354 x 357 + 359 x 366 + 364 x 366 + 211 x 214 + 350 x 366 + 322 x 366
    assert c1.numerator_denominator == 682_102
    # C2: O4 27 of 31 (M09), O5 26/30 (M10), O6 20/20 (M08 is after O6 left), O7 18/20 (M07),
    # O10 46/46, O12 213/214 (M13): four members in a facility
    c2 = row_of(results, "cp_community_tenure", "cp", "C2")
    assert (c2.persons, c2.persons_numerator, c2.persons_complement) == (6, 6, 4)
    program = row_of(results, "cp_community_tenure")
    assert (program.persons, program.persons_complement) == (12, 10)


def test_community_tenure_interval_and_cell_rule_count_members(results):
    # C1: R = 1,960 / 2,035 = 0.963145; each member's days in the community less R x their
    # eligible days: O1 354 - 343.843 = 10.157, O2 6.489, O3 11.489, O8 4.887, O9 -2.511,
    # O11 -30.511; sum of squares 1,238.384; variance = 6/5 x 1,238.384 / 2,035² = 0.00035885
    # (se 1.89 points, where 2,035 independent days would give 0.42). Effective sample size
    # = R (1 - R) / variance = 98.92 members' worth of days; Wilson on it: 90.55% to 98.62%
    # (Wilson on 2,035 days: 95.40% to 97.05%).
    rows = stats.suppress(stats.add_intervals(results))
    c1 = rows[
        (rows.measure_id == "cp_community_tenure")
        & (rows.period_id == "2024Q4")
        & (rows.level == "cp")
        & (rows.entity_id == "C1")
        & (rows.stratum == "all")
    ].iloc[0]
    assert c1.lower == pytest.approx(90.5499, abs=1e-3)
    assert c1.upper == pytest.approx(98.6164, abs=1e-3)
    # six members: the cell-size rule hides it as a small count (the first reason that
    # applies; its 2,035 days are also under the 3,650-day minimum)
    assert c1.suppression_reason == "small_count"
    # the program: 12 members, but the 86 days in a facility are those of 10 of them
    program = rows[
        (rows.measure_id == "cp_community_tenure")
        & (rows.period_id == "2024Q4")
        & (rows.level == "program")
        & (rows.stratum == "all")
    ].iloc[0]
    assert program.suppression_reason == "small_complement"


def test_community_tenure_counts_overlapping_stays_and_assignments_once(tmp_path):
    # O2 (C1, enrolled all 2024, 366 eligible days) gets a second C1 assignment inside the
    # first (Jun 1 - Jul 31: no new eligible day) and overlapping facility stays: M20 Feb 1 to
    # discharge Feb 11 (Feb 1-10), M21 Feb 6 to discharge Feb 16 (Feb 6-15), P20 place of
    # service 55 Feb 15-20, P21 Feb 21 (next to P20): Feb 1-21 is 21 days, each counted once;
    # P22 Mar 30 - Apr 2 crosses a month end: 4 days. Institutional days 86 + 25 = 111:
    # community days 2,396 - 111 = 2,285; C1 1,960 - 25 = 1,935 of 2,035.
    folder = tmp_path / "cp_ops"
    shutil.copytree(CP_OPS, folder)
    with open(folder / "cp_enrollment.csv", "a", encoding="utf-8") as rows:
        rows.write("O2,C1,BH,2024-06-01,,,,2024-07-31\n")
    with open(folder / "medical_claim.csv", "a", encoding="utf-8") as rows:
        for stay in (
            "M20,1,institutional,O2,2024-02-01,2024-02-11,2024-02-01,2024-02-11",
            "M21,1,institutional,O2,2024-02-06,2024-02-16,2024-02-06,2024-02-16",
        ):
            rows.write(f"{stay},01,,111,0120,,1000,I10\n")
        for claim_id, first, last in (
            ("P20", "02-15", "02-20"),
            ("P21", "02-21", "02-21"),
            ("P22", "03-30", "04-02"),
        ):
            rows.write(
                f"{claim_id},1,professional,O2,2024-{first},2024-{last},,,,55,,,H0018,100,F1020\n"
            )
    specs = [s for s in load_specs(ROOT / "measures") if s.id == "cp_community_tenure"]
    results = engine.run(folder, ROOT / "measures" / "value_sets", specs).results
    assert cell(results, "cp_community_tenure") == (2285, 2396)
    assert cell(results, "cp_community_tenure", level="cp", entity="C1") == (1935, 2035)


def test_community_tenure_leaves_the_discharge_day_at_home_despite_a_discharge_visit(tmp_path):
    # O3 (C1, 366 eligible days) gets two hospital stays with the hospital doctor's visits
    # (place of service 21): M30 Mar 10 to discharge Mar 15 (Mar 10-14: 5 days), visits P30 on
    # Mar 10 and P31 on Mar 15, the discharge visit, which ends on the discharge day and so
    # counts to the day before: none; M31 Apr 1 to discharge Apr 5 (Apr 1-4: 4 days) and P32,
    # visits billed as one line Apr 1-5: Apr 1-4. Institutional days 86 + 9 = 95: community
    # days 2,396 - 95 = 2,301; C1 1,960 - 9 = 1,951 of 2,035. Counting the visits' own days
    # would add Mar 15 and Apr 5: 2,299.
    folder = tmp_path / "cp_ops"
    shutil.copytree(CP_OPS, folder)
    with open(folder / "medical_claim.csv", "a", encoding="utf-8") as rows:
        for stay, first, last in (("M30", "03-10", "03-15"), ("M31", "04-01", "04-05")):
            dates = f"2024-{first},2024-{last}"
            rows.write(f"{stay},1,institutional,O3,{dates},{dates},01,,111,0120,,1000,I10\n")
        for claim_id, first, last, code in (
            ("P30", "03-10", "03-10", "99223"),
            ("P31", "03-15", "03-15", "99238"),
            ("P32", "04-01", "04-05", "99232"),
        ):
            dates = f"2024-{first},2024-{last}"
            rows.write(f"{claim_id},1,professional,O3,{dates},,,,21,,,{code},100,I10\n")
    specs = [s for s in load_specs(ROOT / "measures") if s.id == "cp_community_tenure"]
    results = engine.run(folder, ROOT / "measures" / "value_sets", specs).results
    assert cell(results, "cp_community_tenure") == (2301, 2396)
    assert cell(results, "cp_community_tenure", level="cp", entity="C1") == (1951, 2035)


@pytest.mark.parametrize("first", [True, False], ids=["new row first", "new row last"])
def test_followup_goes_to_the_higher_cp_id_when_two_assignments_share_a_date(tmp_path, first):
    # O1 is also assigned to C2 on 2024-01-10, the date of their C1 assignment: ED visit E1
    # (Apr 10) and discharge M01 (Mar 8) now belong to C2, whatever the row order, and C2 did
    # no follow-up (A03 and A04 are C1's): ED 1 of 3 (C2: E4 yes, E1 no), discharges 3 of 8
    # (C2: M07 no, M09 no, M13 yes as before, and M01 no).
    folder = tmp_path / "cp_ops"
    shutil.copytree(CP_OPS, folder)
    path = folder / "cp_enrollment.csv"
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    extra = "O1,C2,LTSS,2024-01-10,,,,"
    rows = [extra, *rows] if first else [*rows, extra]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    wanted = ("cp_followup_ed_7d", "cp_followup_discharge_3bd")
    specs = [s for s in load_specs(ROOT / "measures") if s.id in wanted]
    results = engine.run(folder, ROOT / "measures" / "value_sets", specs).results
    assert cell(results, "cp_followup_ed_7d") == (1, 3)
    assert cell(results, "cp_followup_ed_7d", level="cp", entity="C2") == (1, 2)
    assert cell(results, "cp_followup_discharge_3bd") == (3, 8)
    assert cell(results, "cp_followup_discharge_3bd", level="cp", entity="C2") == (1, 4)


def run_with_rows(tmp_path: Path, rows: dict[str, str], measures: tuple[str, ...]):
    """Return the results of `measures` on the cp_ops fixture with `rows` (CSV lines, by file
    name) added to its files."""
    folder = tmp_path / "cp_ops"
    shutil.copytree(CP_OPS, folder)
    for file, text in rows.items():
        with (folder / file).open("a", encoding="utf-8") as out:
            out.write(text)
    specs = [s for s in load_specs(ROOT / "measures") if s.id in measures]
    return engine.run(folder, ROOT / "measures" / "value_sets", specs).results


def enrolled_all_2024(*members: str) -> str:
    """Return eligibility rows enrolling `members` for all of 2024."""
    return "".join(f"{m},female,White,1980,2024-01-01,2024-12-31,medicaid,aco\n" for m in members)


def test_engagement_needs_every_step_not_the_care_plan_alone(tmp_path):
    # Two more C1 members assigned 2024-03-01 (122-day deadline Jul 1, 150-day Jul 29):
    # O30 has a care plan signed Apr 1 but no participation form or assessment: not engaged.
    # O31 signed the form Mar 5 and the care plan Apr 1, assessed Jul 15: engaged Jul 15, the
    # last of the three steps, after the 122-day deadline and before the 150-day one.
    # 122 days: (3, 5) before -> (3, 7); C1 (2, 4) -> (2, 6) (the care plan alone: (5, 7)).
    # 150 days on the fixture: O1 (deadline Jun 8, engaged May 11), O2 (Apr 29, Apr 2), O9
    # (2024-01-29, 2023-12-15), O12 (Oct 29, Jul 1): yes; O3 (Apr 30, no plan): no; O6, O7 left
    # before the deadline without a plan: out. (4, 5), with O30 no and O31 yes: (5, 7) (the
    # care plan alone: (6, 7)).
    # Days to engagement, engaged in 2024: O1 122, O2 123, O12 30 (the care plan is their last
    # step) and O31 136 (Mar 1 to Jul 15): median of 30, 122, 123, 136 = 122.5 of 4 (the care
    # plan alone: 30, 31, 31, 122, 123 -> 31 of 5).
    rows = {
        "eligibility.csv": enrolled_all_2024("O30", "O31"),
        "cp_enrollment.csv": (
            "O30,C1,BH,2024-03-01,,,2024-04-01,\nO31,C1,BH,2024-03-01,2024-03-05,2024-07-15,2024-04-01,\n"
        ),
    }
    measures = ("cp_engagement_122d", "cp_engagement_150d", "cp_days_to_engagement")
    results = run_with_rows(tmp_path, rows, measures)
    assert cell(results, "cp_engagement_122d") == (3, 7)
    assert cell(results, "cp_engagement_122d", level="cp", entity="C1") == (2, 6)
    assert cell(results, "cp_engagement_150d") == (5, 7)
    assert median_of(results, "cp_days_to_engagement") == (122.5, 4)


def test_a_step_dated_in_an_earlier_assignment_belongs_to_it(tmp_path):
    # O40, assigned to C1 2023-11-01 (form 2024-01-05, assessment 2023-12-01, care plan
    # 2024-01-10), moves to C2 on 2024-02-01, the day C1's assignment ends; the C2 row carries
    # the same dates, all from the C1 assignment, so C2 has done nothing yet.
    # O41, assigned to C1 2024-01-15 to 2024-03-10 with nothing done, then to C2 2024-04-01,
    # signed C2's form on 2024-03-20, after C1's assignment ended and before C2's was recorded:
    # it belongs to C2 and counts as done on the day of the assignment.
    # 30-day form: O40 C2 (deadline Mar 2): no; O41 C1 (Feb 14): no; O41 C2 (May 1): yes.
    #   (3, 5) -> (4, 8); C2 (2, 3) -> (3, 5) (giving C2 O40's C1 form: (5, 8)).
    # 122 days: O40 C1 (deadline 2024-03-02; left Feb 1, engaged Jan 10 first): yes; O40 C2
    #   (Jun 2): no; O41 C1 left before its deadline without the work: out; O41 C2 (Aug 1): no.
    #   (3, 5) -> (4, 8); C2 (1, 1) -> (1, 3) (O40's C1 dates for C2: (5, 8), C2 (2, 3)).
    # Days to engagement: O1 122, O2 123, O12 30, O40 C1 70 (2023-11-01 to 2024-01-10):
    #   median 96 of 4 (and O40 C2 0 days: 70 of 5).
    # Days to form, signed in 2024: O5 0, O41 C2 0 (before the assignment), O12 4, O7 9, O1 30,
    #   O3 31, O40 C1 65 (Nov 1 to Jan 5): median 9 of 7 (and O40 C2 0 days: 6.5 of 8).
    rows = {
        "eligibility.csv": enrolled_all_2024("O40", "O41"),
        "cp_enrollment.csv": (
            "O40,C1,BH,2023-11-01,2024-01-05,2023-12-01,2024-01-10,2024-02-01\n"
            "O40,C2,LTSS,2024-02-01,2024-01-05,2023-12-01,2024-01-10,\n"
            "O41,C1,BH,2024-01-15,,,,2024-03-10\n"
            "O41,C2,LTSS,2024-04-01,2024-03-20,,,\n"
        ),
    }
    measures = (
        "cp_participation_form_30d",
        "cp_engagement_122d",
        "cp_days_to_engagement",
        "cp_days_to_participation_form",
    )
    results = run_with_rows(tmp_path, rows, measures)
    assert cell(results, "cp_participation_form_30d") == (4, 8)
    assert cell(results, "cp_participation_form_30d", level="cp", entity="C2") == (3, 5)
    assert cell(results, "cp_engagement_122d") == (4, 8)
    assert cell(results, "cp_engagement_122d", level="cp", entity="C2") == (1, 3)
    assert median_of(results, "cp_days_to_engagement") == (96, 4)
    assert median_of(results, "cp_days_to_participation_form") == (9, 7)


def test_a_failed_transitions_of_care_attempt_is_no_follow_up(tmp_path):
    # Three more CP activities: A50, O3's T2038 on Thu May 16 (after discharge M02 on Wed May 15,
    # deadline Mon May 20), and A51, O3's T2038 on Wed Aug 7 (2 days after ED visit E2 on Aug 5),
    # both attempts that did not reach the member (successful_contact false): no follow-up.
    # A52, O7's T2038 (C2) on Tue Mar 19 with no contact flag (counted as reached, as elsewhere),
    # after discharge M07 on Mon Mar 18 (deadline Thu Mar 21): a follow-up.
    # Discharges: (4, 8) -> (5, 8), C2 (1, 3) -> (2, 3); ED visits stay (2, 3). Counting every
    # T2038 would give (6, 8) and ED (3, 3).
    rows = {
        "cp_activity.csv": (
            "A50,O3,C1,2024-05-16,T2038,,false,T2\n"
            "A51,O3,C1,2024-08-07,T2038,,false,T2\n"
            "A52,O7,C2,2024-03-19,T2038,,,T3\n"
        )
    }
    results = run_with_rows(tmp_path, rows, ("cp_followup_discharge_3bd", "cp_followup_ed_7d"))
    assert cell(results, "cp_followup_discharge_3bd") == (5, 8)
    assert cell(results, "cp_followup_discharge_3bd", level="cp", entity="C2") == (2, 3)
    assert cell(results, "cp_followup_ed_7d") == (2, 3)


def test_u4_counts_in_either_modifier_column(tmp_path):
    # cp_activity with a second modifier column (hcpcs_modifier_2, empty on the fixture's rows)
    # and three more activities: Q4, O1's assessment (G0506) by telehealth on 2024-08-12,
    # modifiers 95 then U4: a qualifying activity; Q5, O1's care plan (T2024) on 2024-08-13
    # with 95 alone: not one. 2024Q3: (5, 17) -> (6, 17) (reading the first column alone: 5).
    # Q6, O8's care plan renewed by telehealth on 2024-05-20 (95, U4), before the plan of
    # 2023-06-01 was due (2024-06-01; A21 on Jun 2 is within 60 days of Q6, the same plan):
    # renewed. Annual care plan: (1, 3) -> (2, 3) (reading the first column alone: (1, 3)).
    folder = tmp_path / "cp_ops"
    shutil.copytree(CP_OPS, folder)
    path = folder / "cp_activity.csv"
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    rows = [
        *(f"{row}," for row in rows),
        "Q4,O1,C1,2024-08-12,G0506,95,true,T1,U4",
        "Q5,O1,C1,2024-08-13,T2024,95,true,T1,",
        "Q6,O8,C1,2024-05-20,T2024,95,true,T1,U4",
    ]
    path.write_text("\n".join([f"{header},hcpcs_modifier_2", *rows]) + "\n", encoding="utf-8")
    wanted = ("cp_qualifying_activities", "cp_annual_care_plan")
    specs = [s for s in load_specs(ROOT / "measures") if s.id in wanted]
    results = engine.run(folder, ROOT / "measures" / "value_sets", specs).results
    assert cell(results, "cp_qualifying_activities", "2024Q3") == (6, 17)
    assert cell(results, "cp_annual_care_plan") == (2, 3)


@pytest.mark.parametrize("second_column", [True, False], ids=["empty column", "no column"])
def test_two_modifiers_in_one_field_count_as_two(tmp_path, second_column):
    # As test_u4_counts_in_either_modifier_column, with both modifiers of Q4 and Q6 written in
    # the first field ("95 U4", "U4,95") as some sources write them, hcpcs_modifier_2 empty or
    # absent: read as two modifiers, the same counts. Read as one ("95 U4" is no modifier), they
    # matched no U4 and the renewed care plan and the assessment went uncounted: (5, 17), (1, 3).
    folder = tmp_path / "cp_ops"
    shutil.copytree(CP_OPS, folder)
    path = folder / "cp_activity.csv"
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    added = [
        'Q4,O1,C1,2024-08-12,G0506,"95 U4",true,T1',
        "Q5,O1,C1,2024-08-13,T2024,95,true,T1",
        'Q6,O8,C1,2024-05-20,T2024,"U4,95",true,T1',
    ]
    rows = [*rows, *added]
    if second_column:
        header, rows = f"{header},hcpcs_modifier_2", [f"{row}," for row in rows]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    wanted = ("cp_qualifying_activities", "cp_annual_care_plan")
    specs = [s for s in load_specs(ROOT / "measures") if s.id in wanted]
    results = engine.run(folder, ROOT / "measures" / "value_sets", specs).results
    assert cell(results, "cp_qualifying_activities", "2024Q3") == (6, 17)
    assert cell(results, "cp_annual_care_plan") == (2, 3)


def test_losing_eligibility_ends_the_assignment(tmp_path):
    # Three more C1 members assigned 2024-02-01 (30-day deadline Mar 2, 122-day Jun 2), none of
    # them disenrolled from the CP:
    # O50, enrolled Jan 1 - Feb 15 only, did nothing: left (lost eligibility) before both
    #   deadlines without the work: out of both.
    # O51, enrolled Jan 1 - Feb 15 only, signed the form Feb 10, before leaving: counted, yes for
    #   the form; out of the 122-day engagement (left Feb 15 without it).
    # O52, enrolled Jan 1 - Mar 31 and Apr 1 - Dec 31 (one unbroken run), did nothing: no, no.
    # 30-day form: (3, 5) -> (4, 7); 122 days: (3, 5) -> (3, 6). Leaving them in: (4, 8), (3, 8).
    rows = {
        "eligibility.csv": (
            "O50,female,White,1980,2024-01-01,2024-02-15,medicaid,aco\n"
            "O51,female,White,1980,2024-01-01,2024-02-15,medicaid,aco\n"
            "O52,female,White,1980,2024-01-01,2024-03-31,medicaid,aco\n"
            "O52,female,White,1980,2024-04-01,2024-12-31,medicaid,aco\n"
        ),
        "cp_enrollment.csv": (
            "O50,C1,BH,2024-02-01,,,,\nO51,C1,BH,2024-02-01,2024-02-10,,,\nO52,C1,BH,2024-02-01,,,,\n"
        ),
    }
    results = run_with_rows(tmp_path, rows, ("cp_participation_form_30d", "cp_engagement_122d"))
    assert cell(results, "cp_participation_form_30d") == (4, 7)
    assert cell(results, "cp_engagement_122d") == (3, 6)


def test_community_tenure_counts_a_member_day_once_when_two_assignments_cover_it(tmp_path):
    # Two more members enrolled all 2024 (366 days), never in a facility:
    # O60, C1 from Jan 1 to Jun 30 (the assignment's last day), C2 from Jun 30: Jun 30 is the
    #   later assignment's, C2's. C1 Jan 1 - Jun 29 = 181 days, C2 Jun 30 - Dec 31 = 185.
    # O61, C1 from Jan 1 (never closed), C2 May 1 - May 31: May is C2's (31 days), C1 has
    #   Jan 1 - Apr 30 and Jun 1 - Dec 31 = 121 + 214 = 335.
    # Program: 2,396 + 366 + 366 = 3,128 days, 3,042 in the community (86 in a facility, as in
    # test_community_tenure). C1: 2,035 + 181 + 335 = 2,551 (1,960 + 516 in the community);
    # C2: 361 + 185 + 31 = 577 (350 + 216). Counting every assignment's days: 367 for O60 and
    # 397 for O61, 3,160 at program level.
    rows = {
        "eligibility.csv": enrolled_all_2024("O60", "O61"),
        "cp_enrollment.csv": (
            "O60,C1,BH,2024-01-01,,,,2024-06-30\n"
            "O60,C2,LTSS,2024-06-30,,,,\n"
            "O61,C1,BH,2024-01-01,,,,\n"
            "O61,C2,LTSS,2024-05-01,,,,2024-05-31\n"
        ),
    }
    results = run_with_rows(tmp_path, rows, ("cp_community_tenure",))
    assert cell(results, "cp_community_tenure") == (3042, 3128)
    assert cell(results, "cp_community_tenure", level="cp", entity="C1") == (2476, 2551)
    assert cell(results, "cp_community_tenure", level="cp", entity="C2") == (566, 577)


def test_engagement_150d_has_the_cp_type_breakdown(results):
    # 150-day engagement in 2024 (see test_engagement_needs_every_step_not_the_care_plan_alone):
    # BH CP C1: O1, O2, O9 yes, O3 no; LTSS CP C2: O12 yes.
    assert cell(results, "cp_engagement_150d") == (4, 5)
    assert cell(results, "cp_engagement_150d", stratum="cp_type", value="BH") == (3, 4)
    assert cell(results, "cp_engagement_150d", stratum="cp_type", value="LTSS") == (1, 1)
