"""Deterministic synthetic marts: a MassHealth-like programme of ACOs, Community Partners and
primary-care practices, with members, enrollment, attribution, claims, fills, clinical results and
CP activity, shaped like the data contract in `scorecard.contract`.

Everything is drawn with numpy, column-wise (no loop runs per member or per event), from random
streams named after what they draw, so the same arguments give byte-identical files and adding a
new kind of event does not reshuffle the others. Organisations, people and codes are invented:
no real person, NPI or NDC is described. The knobs (base rates, entity spreads, code mixes) are
module-level data below; the functions after them only apply those knobs.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from scorecard.assessment import demo_frame as demo_assessments
from scorecard.contract import DIAGNOSIS_COLUMNS, TABLES, TABLES_BY_NAME, Table

# What the generator's builders take: one value for every row, or one per row.
Ints = int | np.ndarray
Floats = float | np.ndarray
Bools = bool | np.ndarray

# =================================================================================================
# Knobs: programme shape and organisation names (all invented)
# =================================================================================================

ACO_NAMES: tuple[str, ...] = (
    "Merrimack Valley Health Partners ACO",
    "Red Maple Community Care ACO",
    "Saltmarsh Family Health Alliance ACO",
    "Kettle Pond Care Collaborative ACO",
    "Granite Ledge Health Network ACO",
    "Blue Heron Primary Care Partners ACO",
    "Tidewater Community Health ACO",
    "Quarry Hill Care Partnership ACO",
    "Juniper Hill Health Alliance ACO",
    "Osprey Point Family Care ACO",
    "Birch Meadow Health Collaborative ACO",
    "Lantern Bay Community Health ACO",
    "Stonewall Hill Care Network ACO",
    "Cranberry Coast Health Partners ACO",
    "Beacon Ridge Care Alliance ACO",
)
BH_CP_NAMES: tuple[str, ...] = tuple(
    f"{place} BH Community Partner"
    for place in (
        "Harbor Light", "Northstar Crossing", "Steady Path", "Clearwater Bridge", "Hearthstone",
        "Wayfinder", "Compass Rose", "Tall Pines", "Lamplight", "Hillside Commons",
        "Kindred Path", "Morning Tide", "Cedar Lantern", "Silver Birch",
    )
)  # fmt: skip
LTSS_CP_NAMES: tuple[str, ...] = tuple(
    f"{place} LTSS Community Partner"
    for place in (
        "Open Meadow", "Evergreen Circle", "Riverstone", "Willow Bend", "Maple Commons",
        "Fair Winds",
    )
)  # fmt: skip
# Practice names are a place and a kind, e.g. "Brookside Family Health Center".
PRACTICE_PLACES: tuple[str, ...] = (
    "Aspen Grove", "Brookside", "Cedar Hill", "Dover Mill", "Elm Hollow", "Fernwood",
    "Glen Brook", "Hawthorn", "Ivy Court", "Juniper Lane", "Kingfisher", "Larkspur",
    "Millbrook", "Northgate", "Oak Ridge", "Pinecrest", "Rosewood", "Stonebridge", "Upland",
    "Valley View", "Willow Creek", "Yarrow", "Amber Falls", "Bayberry", "Clover Field",
    "Driftwood", "Eastbrook", "Foxglove", "Granite Park", "Heron Landing", "Ironwood",
    "Laurel Bank", "Meadowlark", "Orchard Way", "Pebble Cove", "Sandpiper", "Tamarack",
    "Wildrose", "Highfield", "Lakeshore", "Mill Pond", "Sumac", "Bramble", "Copper Beech",
)  # fmt: skip
PRACTICE_KINDS: tuple[str, ...] = (
    "Family Health Center", "Primary Care", "Community Medicine", "Health Associates",
    "Pediatrics", "Internal Medicine",
)  # fmt: skip
# The first ACOs run as partnership plans with an MCO, the rest as primary-care ACOs.
PARTNERSHIP_PLAN_ACOS = 8
PLAN_NAMES: dict[str, str] = {
    "partnership": "Accountable Care Partnership Plan",
    "primary_care": "Primary Care ACO",
    "unattributed": "Primary Care Clinician Plan",
}


@dataclass(frozen=True)
class ProgramShape:
    """How many organisations and provider groups there are, and how members spread over them."""

    practices_per_aco: tuple[int, int] = (3, 5)  # inclusive range
    independent_practices: int = 10  # practices outside any ACO (unattributed members' care)
    clinicians_per_practice: tuple[int, int] = (3, 8)
    hospitals: int = 12
    bh_clinics: int = 16
    sud_programs: int = 8
    labs: int = 3
    specialist_groups: int = 4  # per specialty: imaging, eye, GI, pulmonary
    home_care_agencies: int = 6
    nursing_facilities: int = 8
    care_teams_per_cp: tuple[int, int] = (2, 5)
    entity_size_sd: float = 0.45  # lognormal spread of ACO, CP and practice sizes
    unattributed_share: float = 0.07  # members never attributed to an ACO
    practice_switch_share: float = 0.06  # attributed members who change practice once
    usual_pcp_share: tuple[float, float] = (0.55, 0.9)  # per practice: visits with one's own PCP
    other_practice_share: float = 0.08  # office visits at a practice that is not one's own


PROGRAM = ProgramShape()

# =================================================================================================
# Knobs: members
# =================================================================================================

# (youngest, oldest, share) of ages at the end of the window: Medicaid, mostly under 65.
AGE_BANDS: tuple[tuple[int, int, float], ...] = (
    (0, 5, 0.10), (6, 17, 0.26), (18, 25, 0.12), (26, 44, 0.26), (45, 64, 0.24), (65, 80, 0.02),
)  # fmt: skip
# Age groups used by every rate table below: 0-5, 6-17, 18-44, 45-64, 65+.
AGE_GROUPS: tuple[int, ...] = (0, 6, 18, 45, 65)
GENDERS: dict[str, float] = {"female": 0.535, "male": 0.46, "unknown": 0.005}
FEMALE = list(GENDERS).index("female")
RACES: dict[str, float] = {
    "White": 0.44, "Hispanic or Latino": 0.25, "Black": 0.13, "Asian": 0.06, "Other": 0.05,
    "Unknown": 0.07,
}  # fmt: skip
LANGUAGES: tuple[str, ...] = (
    "English", "Spanish", "Portuguese", "Haitian Creole", "Chinese", "Vietnamese", "Other",
)  # fmt: skip
# Preferred language given race, in the order of LANGUAGES.
LANGUAGE_BY_RACE: dict[str, tuple[float, ...]] = {
    "White":              (0.90, 0.01, 0.06, 0.00, 0.00, 0.00, 0.03),
    "Hispanic or Latino": (0.45, 0.53, 0.00, 0.00, 0.00, 0.00, 0.02),
    "Black":              (0.78, 0.02, 0.03, 0.15, 0.00, 0.00, 0.02),
    "Asian":              (0.45, 0.00, 0.00, 0.00, 0.30, 0.20, 0.05),
    "Other":              (0.70, 0.08, 0.08, 0.04, 0.00, 0.00, 0.10),
    "Unknown":            (0.75, 0.12, 0.04, 0.03, 0.02, 0.01, 0.03),
}  # fmt: skip


@dataclass(frozen=True)
class EnrollmentRates:
    """Churn: who is enrolled when the window opens, who joins, leaves, dies or has a gap."""

    incumbent_share: float = 0.72  # enrolled before the window opens
    prior_months: tuple[int, int] = (1, 96)  # how long before the window incumbents joined
    monthly_exit: float = 0.012  # chance of leaving MassHealth in a month (~14% a year)
    gap_share: float = 0.10  # members with one gap in coverage
    gap_months: tuple[int, int] = (1, 3)
    mid_month_start_share: float = 0.2  # joiners whose coverage starts after the 1st
    mid_month_end_share: float = 0.3  # leavers whose coverage ends before the month's end
    # Share of leavers who leave because they die, by age group (see AGE_GROUPS).
    death_share_of_exits: tuple[float, ...] = (0.01, 0.01, 0.04, 0.12, 0.30)
    death_in_hospital_share: float = 0.5
    death_risk_conditions: tuple[str, ...] = ("smi", "sud", "copd")  # double the death share


ENROLLMENT = EnrollmentRates()


@dataclass(frozen=True)
class Prevalence:
    """Share of members with a condition, by age group (0-5, 6-17, 18-44, 45-64, 65+)."""

    by_age: tuple[float, float, float, float, float]
    raised_by: dict[str, float] = field(default_factory=dict)  # condition -> prevalence ratio


# Drawn in this order, so a condition can raise the ones after it. SMI and SUD concentrate in
# adults, and members with SMI/SUD/disability carry more chronic disease, so CP members (chosen
# for SMI/SUD or LTSS needs) have higher prevalence of everything.
CONDITIONS: dict[str, Prevalence] = {
    "smi": Prevalence((0.0, 0.015, 0.09, 0.09, 0.06)),
    # SUD is drawn for members 13 and older only, so 0.04 is the share of 13-17 year olds with a
    # diagnosed SUD (mostly cannabis and alcohol; about half the adult share).
    "sud": Prevalence((0.0, 0.04, 0.08, 0.07, 0.03), {"smi": 2.5}),
    "disability": Prevalence((0.02, 0.04, 0.05, 0.09, 0.25), {"smi": 1.5}),
    "mild_bh": Prevalence((0.01, 0.10, 0.12, 0.10, 0.08)),  # anxiety, depression, ADHD, PTSD
    "diabetes": Prevalence((0.0, 0.003, 0.05, 0.17, 0.24), {"smi": 1.6, "disability": 1.3}),
    "hypertension": Prevalence((0.0, 0.005, 0.10, 0.36, 0.55), {"smi": 1.3, "sud": 1.3}),
    "asthma": Prevalence((0.07, 0.10, 0.09, 0.10, 0.09), {"smi": 1.3, "sud": 1.3}),
    "copd": Prevalence((0.0, 0.0, 0.01, 0.09, 0.15), {"sud": 2.0, "smi": 1.6}),
}


@dataclass(frozen=True)
class ClinicalShape:
    """Member-level means and visit-level noise of BMI, HbA1c and blood pressure."""

    bmi_log_mean: float = 3.35  # adult BMI is lognormal: median ~28.5
    bmi_log_sd: float = 0.22
    a1c_mean: float = 8.0  # diabetic members' own average HbA1c, %
    a1c_member_sd: float = 1.4
    a1c_test_sd: float = 0.45
    a1c_control_shift: float = 1.2  # % lower per unit of the entities' "control" effect
    systolic_mean: float = 126.0
    systolic_hypertension: float = 10.0  # added for members with hypertension
    systolic_member_sd: float = 9.0
    systolic_visit_sd: float = 8.0
    diastolic_mean: float = 77.0
    diastolic_hypertension: float = 5.0
    diastolic_member_sd: float = 6.0
    diastolic_visit_sd: float = 5.0
    bp_control_shift: float = 12.0  # systolic mmHg lower per unit of "control" (diastolic half)


CLINICAL = ClinicalShape()

# =================================================================================================
# Knobs: utilisation, quality and CP base rates
# =================================================================================================

# Events per member-month by age group (0-5, 6-17, 18-44, 45-64, 65+) before multipliers.
RATE_BY_AGE: dict[str, tuple[float, float, float, float, float]] = {
    "ed_visit":            (0.070, 0.040, 0.062, 0.052, 0.050),
    "admission":           (0.0016, 0.0010, 0.0040, 0.0075, 0.0140),
    "office_visit":        (0.25, 0.12, 0.17, 0.26, 0.32),
    "obstetric_admission": (0.0, 0.0, 0.0024, 0.0002, 0.0),  # women only
    "outpatient_visit":    (0.015, 0.012, 0.025, 0.045, 0.055),  # hospital outpatient, not ED
}  # fmt: skip
# Rate ratios for members with a condition (multiplied together).
CONDITION_RATE_RATIOS: dict[str, dict[str, float]] = {
    "ed_visit": {
        "smi": 2.0, "sud": 2.2, "asthma": 1.3, "copd": 1.4, "disability": 1.3, "mild_bh": 1.3,
    },
    "admission": {
        "smi": 2.4, "sud": 2.0, "diabetes": 1.5, "copd": 2.0, "hypertension": 1.2,
        "disability": 1.6,
    },
    "office_visit": {
        "diabetes": 1.5, "hypertension": 1.3, "smi": 1.2, "copd": 1.4, "asthma": 1.2,
        "disability": 1.4,
    },
    "outpatient_visit": {"diabetes": 1.4, "copd": 1.5, "disability": 1.5, "hypertension": 1.2},
}  # fmt: skip
FRAILTY_SHAPE = 0.7  # gamma shape of members' own propensity for ED and hospital use (mean 1)
# Behavioural-health and SUD outpatient visits per member-month.
BH_VISIT_RATE: dict[str, float] = {"smi": 0.42, "mild_bh": 0.16, "sud_ongoing": 0.5}

# Probabilities before entity effects and member risk, which shift them on the logit scale.
PROBABILITY: dict[str, float] = {
    "admitted_via_ed": 0.5,
    "readmission_30_day": 0.085,  # plus readmissions that happen by chance: ~15% overall
    "mh_follow_up_7_day": 0.34,  # FUH; routine MH visits add to it: ~40% overall
    "mh_follow_up_30_day_if_later": 0.45,
    "mh_ed_follow_up_7_day": 0.38,  # FUM
    "sud_ed_follow_up_7_day": 0.25,  # FUA
    "sud_new_episode": 0.45,  # SUD members whose first diagnosis falls inside the window
    "sud_new_episode_adolescent": 0.8,  # the same for members under 18: most are newly found
    # COPD members whose first COPD claim in two years falls inside the window: new diagnoses,
    # and known COPD coded again after a quiet spell (what HEDIS SPR counts as "new").
    "copd_new_in_claims": 0.5,
    "spirometry_new_copd": 0.32,  # from 2 months before to 5 months after the first COPD claim
    "sud_index_in_ed": 0.35,
    "iet_initiation_14_day": 0.45,
    "iet_engagement_34_day": 0.42,
    "well_visit_child": 0.66,  # per year
    "well_visit_adult": 0.30,
    "bmi_coded_adult_visit": 0.30,
    "bmi_percentile_child_well_visit": 0.70,
    "depression_screen_per_visit": 0.22,
    "depression_screen_positive": 0.15,
    "a1c_test_diabetic_year": 0.86,
    "a1c_extra_tests": 0.45,
    "egfr_diabetic_year": 0.80,
    "uacr_diabetic_year": 0.45,
    "lipid_diabetic_year": 0.70,
    "eye_exam_diabetic_year": 0.50,
    "glucose_test_on_antipsychotic_year": 0.72,  # SSD
    "lipid_screen_adult_40_year": 0.25,
    "a1c_screen_adult_35_year": 0.08,
    "mammogram_year": 0.36,  # women 40-74, so ~60% over two years
    # Colorectal screening, 45-75. The demo's two years cannot show the colonoscopies of the
    # eight years before, so these sit at the high end of what members get in a year (the
    # screened share still ends up below real Medicaid rates; data/demo/README.md says so).
    "colonoscopy_year": 0.08,
    "fit_year": 0.18,
    "stool_dna_year": 0.05,  # FIT-DNA (counts for 3 years)
    "spirometry_copd_year": 0.30,
    "ehr_result_feed": 0.60,  # a measured value reaches the clinical-result feed
    "cpt2_coded": 0.45,  # a measured BP / HbA1c is also coded on the claim with CPT II
    "adherent_regimen": 0.55,
    "cp_reached": 0.86,  # an assigned CP member ever signs the participation form
    "cp_milestone_continues": 0.93,  # reaching the next engagement step, given the last
    "cp_discharge_follow_up_3_business_days": 0.55,  # T2038 after an inpatient discharge
    "cp_ed_follow_up_7_day": 0.42,  # T2038 after an ED visit
    "cp_telehealth": 0.20,  # modifier 95 on a qualifying activity
    "cp_care_plan_renewed_on_time": 0.62,  # a new care plan within 12 months of the last
    "cp_care_plan_renewed_late": 0.5,  # of the others: renewed within 3 months after
}
# Extra logit for members' own risk, per outcome.
MEMBER_LOGIT: dict[str, dict[str, float]] = {
    "readmission_30_day": {"smi": 0.45, "sud": 0.55, "copd": 0.3, "diabetes": 0.15},
    "mh_follow_up_7_day": {"sud": -0.4},
    "adherent_regimen": {"smi": -0.35, "sud": -0.45},
}


@dataclass(frozen=True)
class StayShape:
    """Length of stay (1 + a geometric number of extra days) and discharge dispositions."""

    discharge_chance: float  # per-day chance of discharge: length of stay is geometric
    dispositions: dict[str, float]  # UB-04 discharge status -> share
    room_revenue: dict[str, float]  # room and board revenue codes -> share
    per_diem: float  # median paid per day of room and board


STAY_SHAPES: dict[str, StayShape] = {
    "medical": StayShape(
        0.30,
        {"01": 0.85, "06": 0.05, "03": 0.05, "02": 0.03, "07": 0.02},
        {"0120": 0.55, "0110": 0.2, "0100": 0.1, "0200": 0.1, "0206": 0.05},
        2100.0,
    ),
    "mh": StayShape(0.12, {"01": 0.91, "02": 0.03, "07": 0.04, "06": 0.02}, {"0124": 1.0}, 1250.0),
    "sud": StayShape(0.30, {"01": 0.84, "07": 0.13, "02": 0.03}, {"0126": 0.7, "0116": 0.3}, 950.0),
    "obstetric": StayShape(0.60, {"01": 0.99, "02": 0.01}, {"0120": 0.8, "0110": 0.2}, 2400.0),
}
STAY_KINDS: tuple[str, ...] = tuple(STAY_SHAPES)
MAX_STAY_DAYS = 45
READMISSION_GENERATIONS = 3  # readmissions of readmissions (and transfers) follow up to this depth


@dataclass(frozen=True)
class CpShape:
    """CP assignment, engagement delays and activity."""

    bh_assignment_smi: float = 0.72  # of attributed adults with SMI
    bh_assignment_sud_only: float = 0.50
    ltss_assignment: float = 0.45  # of attributed members with a disability (3+) or 65+
    pre_window_assignment_share: float = 0.45  # of incumbent CP members: assigned before
    pre_window_days: int = 540
    mean_days_to_disenroll: float = 1500.0
    switch_share: float = 0.25  # of voluntary disenrollments: reassigned to another CP
    days_to_form_median: float = 35.0  # before entity effects; each step is lognormal
    days_to_assessment_median: float = 18.0
    days_to_care_plan_median: float = 26.0
    delay_sd: float = 0.5
    activities_per_month: float = 1.5  # qualifying activities once engaged
    outreach_every_days: float = 12.0  # outreach attempts before the first contact
    unreached_outreach_days: int = 150  # how long CPs keep trying members never reached


CP = CpShape()


@dataclass(frozen=True)
class LtssShape:
    """Long-term services and supports, for members with a disability (age 3+) or aged 65+."""

    pca_share: float = 0.45  # receive personal care attendant hours (T1019), billed monthly
    pca_monthly_paid: float = 1450.0
    home_health_rate: float = 0.05  # home-health claims (type of bill 32x) per member-month
    home_health_paid: float = 780.0
    snf_discharge_chance: float = 0.06  # per day in a nursing facility after a status-03 discharge
    snf_per_diem: float = 390.0
    hospice_share_of_deaths: float = 0.4  # members who die after hospice care at the end
    hospice_mean_days: float = 20.0
    hospice_per_diem: float = 210.0


LTSS = LtssShape()


@dataclass(frozen=True)
class SeriousIllnessShape:
    """Advanced illness, frailty, palliative care and hospice of members who live on: what
    HEDIS's exclusions of the screening, diabetes and blood-pressure measures look for
    (measures/sql/shared: palliative_care, hospice, frailty_advanced_illness), with the codes
    of their value sets (measures/value_sets: advanced_illness_dx, frailty_dx, frailty_device,
    palliative_care, hospice)."""

    # Share of members with an advanced illness (dementia, heart failure, advanced cancer,
    # end-stage kidney or liver disease, ALS) by age group (see AGE_GROUPS), besides COPD.
    advanced_illness_by_age: tuple[float, ...] = (0.0, 0.0, 0.002, 0.015, 0.05)
    illness_visits_per_month: float = 0.25  # office visits coded with the advanced illness
    # Members 65+ whose frailty shows on claims (falls, difficulty walking, weakness; walkers,
    # commodes, hospital beds), with and without an advanced illness.
    frail_with_illness: float = 0.4
    frail_without_illness: float = 0.03
    frailty_claims_per_month: float = 0.2  # frailty-coded office visits and equipment
    frailty_equipment_share: float = 0.4  # of those claims: equipment from a supplier
    frailty_equipment_paid: float = 120.0
    palliative_share: float = 0.45  # of members with an advanced illness: palliative care
    palliative_visits_per_month: float = 0.8  # from the first palliative visit on
    palliative_home_share: float = 0.4  # visits at home (place of service 12), else office
    hospice_share: float = 0.3  # of members in palliative care: hospice, discharged alive
    hospice_days_after_palliative: float = 90.0  # mean, geometric
    hospice_mean_days: float = 75.0  # then a live discharge (or the end of coverage)


SERIOUS_ILLNESS = SeriousIllnessShape()
# Advanced illnesses (ICD-10-CM, each matching a prefix of value set advanced_illness_dx):
# dementia only from 65; under 65 the cancers, heart failure and organ failure.
ADVANCED_ILLNESS_DX_65: dict[str, float] = {
    "F0390": 0.22, "G309": 0.14, "I5022": 0.14, "I509": 0.1, "N186": 0.1, "C7951": 0.08,
    "C787": 0.08, "K7460": 0.08, "C259": 0.04, "G1221": 0.02,
}  # fmt: skip
ADVANCED_ILLNESS_DX_UNDER_65: dict[str, float] = {
    "I5022": 0.2, "I509": 0.12, "N186": 0.2, "C7951": 0.13, "C787": 0.13, "K7460": 0.12,
    "C259": 0.06, "G1221": 0.04,
}  # fmt: skip
FRAILTY_DX: dict[str, float] = {"R262": 0.3, "R296": 0.2, "M6281": 0.2, "Z9181": 0.15, "R54": 0.15}
FRAILTY_DEVICE: dict[str, float] = {"E0143": 0.35, "E0100": 0.2, "E0165": 0.2, "E0260": 0.25}
PALLIATIVE_CPT: dict[str, float] = {"99214": 0.45, "99215": 0.25, "99497": 0.3}  # 99497: ACP
PALLIATIVE_PAID: dict[str, float] = {"99214": 135.0, "99215": 185.0, "99497": 85.0}

# Pharmacy: chance a member with a condition is on a regimen of each drug class.
REGIMENS: dict[str, dict[str, float]] = {
    "schizophrenia": {"antipsychotic": 0.82},
    "bipolar": {"antipsychotic": 0.6, "antidepressant": 0.3},
    "depression": {"antidepressant": 0.7, "antipsychotic": 0.12},
    "mild_bh": {"antidepressant": 0.35},
    "diabetes": {"antidiabetic": 0.85, "insulin": 0.25, "statin": 0.6},
    "hypertension": {"antihypertensive": 0.8},
    "asthma": {"asthma_controller": 0.55, "asthma_reliever": 0.6},
    "copd": {"copd_maintenance": 0.55},
    "opioid": {"buprenorphine": 0.45, "naltrexone": 0.05},
    "alcohol": {"naltrexone": 0.15},
}


@dataclass(frozen=True)
class RefillShape:
    """How members refill: some on time, some late and likelier to stop."""

    ninety_day_share: float = 0.22  # regimens filled 90 days at a time
    prevalent_share: float = 0.8  # of members enrolled before the window: already on the drug
    adherent_late_mean: float = -1.0  # days; adherent members refill a little early
    adherent_late_sd: float = 3.0
    non_adherent_late_mean: float = 24.0  # exponential
    adherent_stop: float = 0.015  # chance of stopping after each fill
    non_adherent_stop: float = 0.05
    inflation: float = 0.04  # per year, on paid amounts


REFILLS = RefillShape()


@dataclass(frozen=True)
class OffClaimsShape:
    """Medicines that tell more about diabetes than the diagnoses on claims do."""

    # Members 30 and over whose diabetes never shows on claims twice (treated before they
    # joined, or seen elsewhere) but who fill a diabetes medicine: found by pharmacy alone.
    diabetes_share: float = 0.006
    diabetes_drugs: tuple[str, ...] = ("antidiabetic", "insulin")  # classes; metformin is not
    # Members 18-64 without diabetes given metformin alone (prediabetes, polycystic ovaries,
    # weight gain on antipsychotics): not members with diabetes.
    metformin_share: float = 0.008
    metformin_on_antipsychotic_share: float = 0.08


OFF_CLAIMS = OffClaimsShape()


@dataclass(frozen=True)
class LaiDrug:
    """A long-acting injectable antipsychotic given in clinic and billed on a medical claim."""

    hcpcs: str
    drug: str
    days: int  # between doses: days_covered in measures/value_sets/antipsychotic_lai.csv
    paid: float  # median paid for the drug (one line per injection)
    share: float  # of the members on injections


# Rough US shares of clinic-given long-acting antipsychotics (paliperidone and aripiprazole
# lead; the old decanoates are cheap) and rough Medicaid prices per dose.
LAI_DRUGS: tuple[LaiDrug, ...] = (
    LaiDrug("J2426", "paliperidone palmitate", 28, 1900.0, 0.35),
    LaiDrug("J0401", "aripiprazole extended release", 28, 2300.0, 0.25),
    LaiDrug("J1944", "aripiprazole lauroxil", 28, 2000.0, 0.08),
    LaiDrug("J1631", "haloperidol decanoate", 28, 60.0, 0.14),
    LaiDrug("J2680", "fluphenazine decanoate", 14, 30.0, 0.06),
    LaiDrug("J2794", "risperidone microspheres", 14, 900.0, 0.07),
    LaiDrug("J2798", "risperidone extended release", 28, 1800.0, 0.03),
    LaiDrug("J2358", "olanzapine pamoate", 28, 1200.0, 0.02),
)


@dataclass(frozen=True)
class LaiShape:
    """Who gets long-acting injectable antipsychotics at their BH clinic, and how regularly."""

    # Members with schizophrenia (or schizoaffective disorder): about 20% of those on an
    # antipsychotic get injections, more of those who take no antipsychotic by mouth.
    with_oral_share: float = 0.15
    without_oral_share: float = 0.30
    missed_dose: float = 0.1  # a dose missed: the next one comes an interval later
    late_mean: float = 3.0  # days a dose comes after it is due (exponential)
    stop: float = 0.02  # chance of stopping after each dose
    administration_cpt: str = "96372"  # the injection itself, a second line
    administration_paid: float = 25.0


LAI = LaiShape()
LAI_POS = {"11": 0.6, "53": 0.4}  # the BH clinic's office or community mental health centre


@dataclass(frozen=True)
class Drug:
    """One invented NDC: what it is, its class, units a day, median paid per 30 days, the
    regimen (REGIMENS) whose members are given it, if not its class, and the days of every fill
    if fixed (an injection given every 28 days), else 0 (30 or 90 days)."""

    ndc: str
    description: str
    drug_class: str
    units_per_day: float
    paid_30_days: float
    regimen: str = ""
    fixed_supply: int = 0

    @property
    def drawn_for(self) -> str:
        """The regimen this drug is drawn for: its own, or else its class."""
        return self.regimen or self.drug_class

    @property
    def ingredient(self) -> str:
        """The medicine whatever its maker or strength (column drug of ndc_drug_class.csv): the
        description's words before the strength, without a release form ("bupropion XL 150 mg
        tablet": bupropion)."""
        return re.split(r" \d", self.description, maxsplit=1)[0].removesuffix(" XL")

    @property
    def route(self) -> str:
        """How it is taken (column route of ndc_drug_class.csv): that of the first word of
        DRUG_ROUTES a word of the description starts with (inhalation, sublingual, injection or
        oral)."""
        words = self.description.split()
        return next(r for start, r in DRUG_ROUTES if any(w.startswith(start) for w in words))


DRUGS: tuple[Drug, ...] = (
    Drug("99101000101", "risperidone 2 mg tablet", "antipsychotic", 1, 18.0),
    Drug("99101000201", "olanzapine 10 mg tablet", "antipsychotic", 1, 22.0),
    Drug("99101000301", "quetiapine 200 mg tablet", "antipsychotic", 2, 20.0),
    Drug("99101000401", "aripiprazole 10 mg tablet", "antipsychotic", 1, 25.0),
    Drug("99101000501", "paliperidone palmitate 156 mg injection", "antipsychotic", 1 / 28, 1600,
         fixed_supply=28),
    Drug("99102000101", "sertraline 50 mg tablet", "antidepressant", 1, 8.0),
    Drug("99102000201", "fluoxetine 20 mg capsule", "antidepressant", 1, 7.0),
    Drug("99102000301", "escitalopram 10 mg tablet", "antidepressant", 1, 9.0),
    Drug("99102000401", "bupropion XL 150 mg tablet", "antidepressant", 1, 15.0),
    Drug("99103000101", "metformin 500 mg tablet", "metformin", 2, 6.0, "antidiabetic"),
    Drug("99103000201", "glipizide 5 mg tablet", "antidiabetic", 1, 7.0),
    Drug("99103000301", "sitagliptin 100 mg tablet", "antidiabetic", 1, 480.0),
    Drug("99103000401", "semaglutide 1 mg/0.75 mL pen injector", "antidiabetic", 0.1, 900.0),
    Drug("99104000101", "insulin glargine 100 units/mL pen", "insulin", 0.5, 310.0),
    Drug("99104000201", "insulin lispro 100 units/mL vial", "insulin", 0.33, 280.0),
    Drug("99105000101", "atorvastatin 20 mg tablet", "statin", 1, 9.0),
    Drug("99105000201", "rosuvastatin 10 mg tablet", "statin", 1, 12.0),
    Drug("99105000301", "simvastatin 40 mg tablet", "statin", 1, 7.0),
    Drug("99106000101", "lisinopril 20 mg tablet", "antihypertensive", 1, 5.0),
    Drug("99106000201", "amlodipine 5 mg tablet", "antihypertensive", 1, 5.0),
    Drug("99106000301", "losartan 50 mg tablet", "antihypertensive", 1, 8.0),
    Drug("99106000401", "hydrochlorothiazide 25 mg tablet", "antihypertensive", 1, 4.0),
    Drug("99107000101", "fluticasone 110 mcg inhaler", "asthma_controller", 1 / 30, 190.0),
    Drug("99107000201", "budesonide-formoterol 160-4.5 inhaler", "asthma_controller", 1 / 30, 260),
    # a leukotriene modifier: an asthma controller, drawn for that regimen, that AMR tells apart
    Drug("99107000301", "montelukast 10 mg tablet", "leukotriene_modifier", 1, 9.0,
         regimen="asthma_controller"),
    Drug("99108000101", "albuterol 90 mcg inhaler", "asthma_reliever", 1 / 30, 35.0),
    Drug("99109000101", "tiotropium 18 mcg inhalation capsule", "copd_maintenance", 1, 420.0),
    Drug("99110000101", "buprenorphine-naloxone 8-2 mg film", "buprenorphine", 2, 190.0),
    Drug("99110000201", "buprenorphine 8 mg sublingual tablet", "buprenorphine", 2, 120.0),
    Drug("99111000101", "naltrexone 50 mg tablet", "naltrexone", 1, 45.0),
    Drug("99111000201", "naltrexone 380 mg extended-release injection", "naltrexone", 1 / 30, 1450),
    # Dementia medicines (no regimen draws them: listed so that ndc_drug_class.csv names them)
    Drug("99112000101", "donepezil 10 mg tablet", "antidementia", 1, 6.0),
    Drug("99112000201", "galantamine 8 mg tablet", "antidementia", 2, 45.0),
    Drug("99112000301", "rivastigmine 3 mg capsule", "antidementia", 2, 70.0),
    Drug("99112000401", "memantine 10 mg tablet", "antidementia", 2, 12.0),
    Drug("99112000501", "donepezil-memantine 10-28 mg extended-release capsule", "antidementia",
         1, 520.0),
)  # fmt: skip
# Each NDC has one fine drug class. Groups of classes that measures read are value sets of class
# names of their own (measures/value_sets/sud_pharmacotherapy.csv, diabetes_medication.csv); the
# dementia medicines are a list of drugs (column drug: dementia_medication.csv).
# Metformin has a class of its own, outside diabetes_medication (it is also given for
# prediabetes, polycystic ovaries and weight gain on antipsychotics), but members with diabetes
# are given it within the antidiabetic regimen, as one of its four drugs.
NDC_SOURCE = (
    "invented demo code (scorecard demo data), not a real NDC; drug named for its class; "
    "one fine class per NDC (groups of classes: sud_pharmacotherapy.csv, diabetes_medication.csv;"
    " a list of drugs: dementia_medication.csv)"
)
# Route of an NDC by a word of its description, first match wins ("inhalation capsule" is
# inhaled, "sublingual tablet" sublingual).
DRUG_ROUTES: tuple[tuple[str, str], ...] = (
    ("inhal", "inhalation"),
    ("sublingual", "sublingual"),
    ("film", "sublingual"),
    ("inject", "injection"),
    ("pen", "injection"),
    ("vial", "injection"),
    ("tablet", "oral"),
    ("capsule", "oral"),
)

# =================================================================================================
# Knobs: entity effects (how ACOs, practices and CPs differ and drift)
# =================================================================================================


@dataclass(frozen=True)
class Spread:
    """How entities of one type differ on a dimension (log-rate or logit units)."""

    level: float = 0.0  # sd of entities' levels
    trend: float = 0.0  # sd of entities' drift per year


@dataclass(frozen=True)
class Dimension:
    """One thing entities are better or worse at; their effects add on the log or logit scale."""

    higher_is_better: bool
    aco: Spread = Spread()
    practice: Spread = Spread()
    cp: Spread = Spread()
    drift: float = 0.0  # programme-wide change per year


EFFECTS: dict[str, Dimension] = {
    "ed_visits": Dimension(False, Spread(0.28, 0.10), Spread(0.12, 0.05), Spread(0.22, 0.08)),
    "admissions": Dimension(False, Spread(0.18, 0.08), Spread(0.10, 0.04), Spread(0.18, 0.08)),
    "readmissions": Dimension(False, Spread(0.35, 0.12), cp=Spread(0.30, 0.12)),
    "mh_follow_up": Dimension(True, Spread(0.50, 0.22), Spread(0.10, 0.05), Spread(0.35, 0.15)),
    "sud_treatment": Dimension(True, Spread(0.40, 0.15), cp=Spread(0.35, 0.15)),
    "primary_care": Dimension(True, Spread(0.12, 0.04), Spread(0.15, 0.05)),
    "well_care": Dimension(True, Spread(0.30, 0.10), Spread(0.40, 0.15), drift=0.05),
    "diabetes_care": Dimension(True, Spread(0.35, 0.12), Spread(0.45, 0.15), drift=0.05),
    "screening": Dimension(True, Spread(0.30, 0.10), Spread(0.40, 0.15), drift=0.04),
    "control": Dimension(True, Spread(0.25, 0.08), Spread(0.30, 0.10)),  # HbA1c and BP levels
    "ehr_results": Dimension(True, Spread(0.30, 0.10), Spread(1.0, 0.35), drift=0.15),
    "cpt2_coding": Dimension(True, Spread(0.20, 0.05), Spread(0.8, 0.3)),
    "adherence": Dimension(True, Spread(0.25, 0.10), cp=Spread(0.30, 0.10)),
    "cost": Dimension(False, Spread(0.08, 0.04), Spread(0.06, 0.03)),
    "cp_engagement_speed": Dimension(True, cp=Spread(0.35, 0.20), drift=0.25),
    "cp_reach": Dimension(True, cp=Spread(0.60, 0.20), drift=0.10),
    "cp_activity": Dimension(True, cp=Spread(0.35, 0.15)),
    "cp_telehealth": Dimension(True, cp=Spread(0.70, 0.30), drift=0.20),
    "cp_transitions": Dimension(True, cp=Spread(0.55, 0.20), drift=0.10),
}
PERFORMANCE_CORRELATION = 0.6  # how much one entity's dimensions share a common strength
MEDICAL_INFLATION = 0.03  # per year, on paid amounts

# =================================================================================================
# Knobs: codes (ICD-10-CM without dots, CPT/HCPCS, UB-04) and paid amounts. Code mixes are
# {code: share}. Where seeds name retired codes, the current ICD-10-CM code is used (R51 -> R519,
# M545 -> M5450).
# =================================================================================================

# fmt: off
SMI_KINDS: dict[str, tuple[float, tuple[str, ...]]] = {  # share of SMI, the member's codes
    "schizophrenia": (0.22, ("F200", "F209", "F250", "F259")),
    "bipolar":       (0.30, ("F319", "F312", "F3160", "F3130")),
    "depression":    (0.48, ("F332", "F329", "F331", "F322")),
}
SUD_KINDS: dict[str, tuple[float, tuple[str, ...]]] = {
    "alcohol":   (0.40, ("F1020", "F1010", "F10239")),
    "opioid":    (0.30, ("F1120", "F1110", "F1123")),
    "cannabis":  (0.14, ("F1220", "F1210")),
    "stimulant": (0.11, ("F1420", "F1520")),
    "other":     (0.05, ("F1920",)),
}
# Shares of SUD_KINDS for members under 18 at the end of the window: mostly cannabis.
ADOLESCENT_SUD_KINDS = (0.25, 0.03, 0.58, 0.06, 0.08)
CHRONIC_CODES: dict[str, dict[str, float]] = {
    "diabetes": {"E119": 0.68, "E1165": 0.15, "E1122": 0.10, "E109": 0.07},
    "hypertension": {"I10": 1.0},
    "asthma": {"J45909": 0.5, "J4530": 0.25, "J4540": 0.25},
    "copd": {"J449": 1.0},
    "disability": {"F840": 0.25, "F71": 0.2, "G809": 0.15, "G35": 0.15, "Q909": 0.1, "G8220": 0.15},
    "mild_bh": {"F419": 0.35, "F411": 0.2, "F4310": 0.15, "F329": 0.15, "F909": 0.15},
}
COPD_SYMPTOM_DX = {"R0602": 0.6, "R059": 0.4}  # spirometry before COPD is diagnosed
ACUTE_OFFICE_DX = {"J069": 0.2, "J029": 0.1, "R059": 0.1, "M5450": 0.1, "N390": 0.08, "Z23": 0.1,
                   "R109": 0.07, "L309": 0.07, "H6690": 0.06, "J209": 0.06, "B349": 0.06}
# Seed 004's 14 conditions usually treatable in primary care (sore throat, viral infection,
# anxiety, conjunctivitis, ear infection, URI, bronchitis, asthma, dermatitis, joint pain, back
# pain, limb pain, fatigue, headache), one ICD-10-CM code each.
NON_EMERGENT_ED_DX = {"J029": 0.12, "B349": 0.08, "F419": 0.06, "H1033": 0.04, "H6690": 0.09,
                      "J069": 0.14, "J209": 0.07, "J45909": 0.05, "L309": 0.06, "M2550": 0.05,
                      "M5450": 0.09, "M79609": 0.04, "R5383": 0.03, "R519": 0.08}
OTHER_ED_DX = {"S93401A": 0.1, "S0990XA": 0.08, "S52501A": 0.05, "R079": 0.12, "R109": 0.14,
               "N390": 0.08, "K529": 0.07, "R55": 0.05, "T7840XA": 0.05, "J189": 0.06,
               "R509": 0.1, "S6190XA": 0.1}
MH_ED_DX = {"F419": 0.3, "F329": 0.25, "R45851": 0.2, "F4310": 0.15, "T1491XA": 0.1}
SUD_ED_DX = {"F10129": 0.3, "F10920": 0.15, "T401X1A": 0.12, "T40411A": 0.13, "F11920": 0.1,
             "F14929": 0.1, "F1210": 0.1}
MH_STAY_DX = {"F329": 0.5, "F332": 0.3, "F339": 0.2}  # MH stays of members without SMI
SUD_STAY_DX = {"F10239": 0.5, "F1123": 0.35, "F1420": 0.15}
SUD_STAY_DX_BY_KIND = ("F10239", "F1123", "F1220", "F1420", "F1920")  # in SUD_KINDS order
MEDICAL_STAY_DX = {"J189": 0.08, "N390": 0.05, "A419": 0.1, "K3580": 0.07, "K8590": 0.06,
                   "I214": 0.06, "S72001A": 0.05, "R0789": 0.1, "L03115": 0.08, "I5023": 0.03,
                   "K5900": 0.05, "E871": 0.05, "J9601": 0.05, "I639": 0.05}
# Ambulatory-care-sensitive admissions for members with the condition (PQI-shaped).
CONDITION_STAY_DX: dict[str, dict[str, float]] = {
    "diabetes": {"E1165": 0.4, "E1110": 0.3, "E11649": 0.3},
    "copd": {"J441": 0.7, "J440": 0.3},
    "asthma": {"J45901": 0.7, "J45902": 0.3},
    "hypertension": {"I5023": 0.4, "I110": 0.3, "I169": 0.3},
}
CONDITION_STAY_SHARE = 0.25  # of medical stays of a member with one of those conditions
OBSTETRIC_DX = {"O80": 0.7, "O82": 0.3}
TERMINAL_STAY_DX = {"A419": 0.25, "J9601": 0.2, "I214": 0.15, "C3490": 0.15, "I469": 0.1,
                    "I613": 0.15}
ED_REVENUE = {"0450": 0.8, "0451": 0.05, "0456": 0.08, "0459": 0.07}
ED_ANCILLARY_REVENUE = {"0300": 0.45, "0320": 0.35, "0250": 0.2}
ED_LEVEL = {"99283": 0.35, "99284": 0.40, "99285": 0.25}
ED_LEVEL_NON_EMERGENT = {"99282": 0.2, "99283": 0.55, "99284": 0.25}
OFFICE_VISIT_CPT = {"99213": 0.55, "99214": 0.38, "99215": 0.04, "99212": 0.03}
OFFICE_VISIT_POS = {"11": 0.92, "10": 0.05, "02": 0.03}
BH_VISIT_CPT = {"90834": 0.45, "90837": 0.25, "90832": 0.08, "99214": 0.12, "90791": 0.05,
                "90853": 0.05}
BH_FOLLOW_UP_CPT = {"90834": 0.5, "90837": 0.2, "99214": 0.2, "90791": 0.1}
BH_VISIT_POS = {"11": 0.55, "53": 0.30, "02": 0.08, "10": 0.07}
SUD_SERVICE_CPT = {"H0004": 0.4, "H0020": 0.2, "H0005": 0.15, "90834": 0.15, "H0001": 0.1}
SUD_INITIATION_CPT = {"H0001": 0.3, "H0004": 0.3, "99408": 0.12, "H0020": 0.13, "90834": 0.15}
SUD_SERVICE_POS = {"57": 0.6, "11": 0.3, "02": 0.1}
# Preventive visit CPT by age: (from age, new patient, established patient).
WELL_VISIT_CPT = ((0, "99381", "99391"), (1, "99382", "99392"), (5, "99383", "99393"),
                  (12, "99384", "99394"), (18, "99385", "99395"), (40, "99386", "99396"),
                  (65, "99387", "99397"))
NEW_PATIENT_WELL_VISIT = 0.1
# Adult BMI -> ICD-10-CM Z68 code: (from BMI, code), from age 20. Children get Z685x (percentile).
BMI_Z68 = ((0, "Z681"), *((b, f"Z68{b}") for b in range(20, 40)), (40, "Z6841"), (45, "Z6842"),
           (50, "Z6843"), (60, "Z6844"), (70, "Z6845"))
CHILD_BMI_PERCENTILE_DX = {"Z6851": 0.03, "Z6852": 0.62, "Z6853": 0.17, "Z6854": 0.18}
# Members 18 and 19 (adult visits, under 20: ICD-10-CM asks for a BMI percentile for age) get
# their BMI's percentile band: (from BMI, code), by the CDC BMI-for-age charts' cut-offs near
# age 19, rounded (5th percentile about 18, 85th about 26, 95th about 30).
YOUNG_ADULT_BMI_PERCENTILE = ((0, "Z6851"), (18, "Z6852"), (26, "Z6853"), (30, "Z6854"))
# CPT II result codes: (up to but excluding, code).
SYSTOLIC_CPT2 = ((130, "3074F"), (140, "3075F"), (999, "3077F"))
DIASTOLIC_CPT2 = ((80, "3078F"), (90, "3079F"), (999, "3080F"))
A1C_CPT2 = ((7, "3044F"), (8, "3051F"), (9, "3052F"), (99, "3046F"))
# Hospital outpatient services (type of bill 131, no ED line): share, revenue, CPT/HCPCS, paid.
OUTPATIENT_SERVICES = {"chest x-ray": (0.30, "0320", "71046", 160.0),
                       "CT abdomen": (0.14, "0350", "74177", 620.0),
                       "MRI brain": (0.07, "0610", "70551", 880.0),
                       "lab panel": (0.20, "0300", "80053", 40.0),
                       "knee arthroscopy": (0.06, "0360", "29881", 2600.0),
                       "clinic visit": (0.23, "0510", "G0463", 190.0)}
CP_ACTIVITY_CODES = {"G9005": 0.55, "G9006": 0.15, "G9004": 0.17, "G9007": 0.13}
# Median paid per line, in dollars (line level: claim totals are never repeated on lines).
PAID_MEDIAN = {"99212": 60, "99213": 92, "99214": 135, "99215": 185, "99282": 55, "99283": 85,
               "99284": 130, "99285": 190, "90832": 60, "90834": 88, "90837": 120, "90791": 150,
               "90853": 35, "H0001": 95, "H0004": 55, "H0005": 40, "H0020": 105, "99408": 38,
               "83036": 12, "82947": 5, "80061": 16, "82565": 6, "82043": 7, "82570": 6,
               "82274": 18, "92250": 42, "92014": 95, "77067": 115, "45378": 480, "94010": 32,
               "81528": 510}
# fmt: on
PAID_SD = 0.28  # lognormal sd of line paid amounts around the median
WELL_VISIT_PAID = 135.0
ED_FACILITY_PAID = (620.0, 0.65)  # median, lognormal sd
ED_ANCILLARY_PAID = {"0300": 180.0, "0320": 240.0, "0250": 60.0}
STAY_ANCILLARY_PAID = {"0250": 380.0, "0300": 260.0}

# =================================================================================================
# Small helpers
# =================================================================================================

NO_DAY = np.iinfo(np.int32).min  # a missing date, in day offsets
DAYS_PER_MONTH = 30.4375


def _stream(seed: int, name: str) -> np.random.Generator:
    """Return the random stream for one topic, independent of every other topic's draws."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def _logit(p: float | np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    return np.log(p / (1 - p))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _normal_quantiles(n: int) -> np.ndarray:
    """Return n evenly spaced standard-normal quantiles: a guaranteed spread of strengths."""
    dist = NormalDist()
    return np.array([dist.inv_cdf((i + 0.5) / n) for i in range(n)])


def _age_group(age: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.array(AGE_GROUPS), age, side="right") - 1


def _band_code(values: np.ndarray, bands: Sequence[tuple[float, str]], codes: Vocab) -> np.ndarray:
    """Return the code of the first band whose upper bound exceeds each value."""
    bounds = np.array([b for b, _ in bands])
    ids = codes.ids(c for _, c in bands)
    return ids[np.minimum(np.searchsorted(bounds, values, side="right"), len(ids) - 1)]


def _lower_band_code(values: np.ndarray, bands: Sequence[tuple[float, str]], codes: Vocab):
    """Return the code of the last band whose lower bound is at most each value."""
    bounds = np.array([b for b, _ in bands])
    ids = codes.ids(c for _, c in bands)
    return ids[np.clip(np.searchsorted(bounds, values, side="right") - 1, 0, len(ids) - 1)]


class Vocab:
    """Interned strings: columns hold small integer ids until the tables are assembled."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self.strings: list[str] = []

    def id(self, value: str) -> int:
        """Return the id of one string, adding it if new."""
        if value not in self._index:
            self._index[value] = len(self.strings)
            self.strings.append(value)
        return self._index[value]

    def ids(self, values: Iterable[str]) -> np.ndarray:
        """Return the ids of several strings."""
        return np.array([self.id(v) for v in values], dtype=np.int32)

    def pick(self, rng: np.random.Generator, mix: dict[str, float], n: int) -> np.ndarray:
        """Return n ids drawn from a {string: share} mix."""
        shares = np.array(list(mix.values()), dtype=np.float64)
        return self.ids(mix)[rng.choice(len(mix), size=n, p=shares / shares.sum())]

    def arrow(self, ids: np.ndarray | Callable[[], np.ndarray]) -> Callable[[], pa.Array]:
        """Return a builder of the strings for ids (or for what a callable returns) as an Arrow
        array, id -1 becoming null. Builders run when a table is assembled, several columns at
        once on a thread pool, so a column's temporary arrays live only while it is built."""

        def build() -> pa.Array:
            strings = [*self.strings, None]
            values = np.asarray(ids() if callable(ids) else ids)
            indices = np.where(values < 0, len(strings) - 1, values).astype(np.int32)
            return pa.array(strings, pa.string()).take(pa.array(indices))

        return build


_FOUR_DIGITS = (np.arange(10_000)[:, None] // 10 ** np.arange(3, -1, -1) % 10 + 48).astype(np.uint8)


def _serial_strings(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Return prefix + zero-padded numbers as an Arrow string array, built without Python loops."""
    numbers = np.asarray(numbers, dtype=np.int64)
    head = np.frombuffer(prefix.encode(), dtype=np.uint8)
    chunks = -(-width // 4)
    digits = np.empty((len(numbers), chunks * 4), dtype=np.uint8)
    rest = numbers.copy()
    for chunk in range(chunks - 1, -1, -1):
        digits[:, chunk * 4 : chunk * 4 + 4] = _FOUR_DIGITS[rest % 10_000]
        rest //= 10_000
    body = np.empty((len(numbers), len(head) + width), dtype=np.uint8)
    body[:, : len(head)] = head
    body[:, len(head) :] = digits[:, chunks * 4 - width :]
    offsets = np.arange(0, body.size + 1, body.shape[1], dtype=np.int64)
    strings = pa.LargeStringArray.from_buffers(
        len(numbers), pa.py_buffer(offsets), pa.py_buffer(body)
    )
    return strings.cast(pa.string())


def _id_width(count: int, minimum: int = 7) -> int:
    return max(minimum, len(str(max(count, 1))))


def _npis(rng: np.random.Generator, n: int) -> list[str]:
    """Return n distinct 10-digit NPIs with a valid Luhn check digit, all starting with 9.

    Real NPIs start with 1 or 2, so these cannot point at a real clinician or organisation.
    """
    base = np.zeros((n, 9), dtype=np.int64)
    base[:, 0] = 9
    base[:, 1:] = (
        rng.choice(10**8, size=n, replace=False)[:, None] // 10 ** np.arange(7, -1, -1) % 10
    )
    doubled = base[:, ::-2] * 2  # every other digit from the right of the 9-digit base
    total = 24 + (doubled // 10 + doubled % 10).sum(axis=1) + base[:, -2::-2].sum(axis=1)
    check = (10 - total % 10) % 10
    return ["".join(map(str, row)) + str(c) for row, c in zip(base.tolist(), check, strict=True)]


def _tins(rng: np.random.Generator, n: int) -> list[str]:
    """Return n distinct 9-digit TINs starting with 00 (a prefix the IRS never assigns)."""
    return [f"00{x:07d}" for x in rng.choice(10**7, size=n, replace=False)]


# =================================================================================================
# The world: calendar, organisations, providers, members, enrollment, attribution, CP assignment
# =================================================================================================


@dataclass(frozen=True)
class Calendar:
    """Day offsets from the first day of the window, and what month and year each day is in."""

    origin: np.datetime64  # first day of the window
    month_start: np.ndarray  # offset of each month's first day, plus the day after the window
    day_month: np.ndarray  # month index of each day of the window
    day_year: np.ndarray  # calendar year of each day of the window
    years: tuple[tuple[int, int, int], ...]  # (year, first day offset, last day offset)

    @property
    def n_months(self) -> int:
        return len(self.month_start) - 1

    @property
    def n_days(self) -> int:
        return int(self.month_start[-1])

    @property
    def end_year(self) -> int:
        return self.years[-1][0]

    def month(self, day: np.ndarray) -> np.ndarray:
        """Return the month index of each day (days outside the window clip to the ends)."""
        return self.day_month[np.clip(day, 0, self.n_days - 1)]

    def year(self, day: np.ndarray) -> np.ndarray:
        return self.day_year[np.clip(day, 0, self.n_days - 1)]

    def weekday(self, day: np.ndarray) -> np.ndarray:
        """Return 0 for Monday .. 6 for Sunday."""
        return (day + int(self.origin.astype(np.int64)) + 3) % 7

    def dates(self, day: np.ndarray) -> pa.Array:
        """Return day offsets as an Arrow date32 array (null where missing)."""
        missing = np.asarray(day) == NO_DAY
        days = np.where(missing, 0, day).astype(np.int32) + np.int32(self.origin.astype(np.int64))
        return pa.array(days, type=pa.date32(), mask=missing)


def _calendar(months: int, end_month: str) -> Calendar:
    last = np.datetime64(end_month, "M")
    first = last - (months - 1)
    starts = np.arange(first, last + 2).astype("datetime64[D]")
    origin = starts[0]
    month_start = (starts - origin).astype(np.int32)
    day_month = np.repeat(np.arange(months, dtype=np.int16), np.diff(month_start))
    day_dates = origin + np.arange(month_start[-1])
    day_year = day_dates.astype("datetime64[Y]").astype(np.int32) + 1970
    years = tuple(
        (
            int(y),
            int(np.argmax(day_year == y)),
            int(len(day_year) - 1 - np.argmax(day_year[::-1] == y)),
        )
        for y in np.unique(day_year)
    )
    return Calendar(origin, month_start, day_month, day_year.astype(np.int16), years)


@dataclass(frozen=True)
class Pool:
    """Provider groups of one kind: each with a billing NPI, a TIN and clinicians' NPIs."""

    group_npi: np.ndarray  # vocab ids
    tin: np.ndarray  # vocab ids
    first_clinician: np.ndarray
    clinician_count: np.ndarray
    clinician_npi: np.ndarray  # vocab ids

    @property
    def size(self) -> int:
        return len(self.group_npi)

    def clinician(self, group: np.ndarray, slot: np.ndarray) -> np.ndarray:
        """Return the NPI id of clinician number `slot` (wrapped) of each group."""
        return self.clinician_npi[self.first_clinician[group] + slot % self.clinician_count[group]]


def _pool(rng: np.random.Generator, codes: Vocab, groups: int, clinicians: tuple[int, int]) -> Pool:
    counts = rng.integers(clinicians[0], clinicians[1] + 1, size=groups)
    npis = codes.ids(_npis(rng, groups + int(counts.sum())))
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return Pool(npis[:groups], codes.ids(_tins(rng, groups)), first, counts, npis[groups:])


@dataclass(frozen=True)
class Organisations:
    """ACOs, CPs and practices (ACO practices first, then the independent ones)."""

    aco_ids: list[str]
    cp_ids: list[str]
    cp_is_bh: np.ndarray
    practice_ids: list[str]  # ACO practices only: the ones in the organisation table
    practice_names: list[str]
    practice_aco: np.ndarray  # ACO index of each ACO practice
    practice_weight: np.ndarray  # share of attributed members
    cp_weight: np.ndarray
    cp_teams: np.ndarray  # number of care teams per CP
    primary_care: Pool  # ACO practices, then independent practices
    usual_pcp_share: np.ndarray  # per primary-care group
    hospitals: Pool
    ed_physicians: Pool  # one group per hospital
    bh_clinics: Pool
    sud_programs: Pool
    labs: Pool
    imaging: Pool
    eye: Pool
    gi: Pool
    pulmonary: Pool
    home_care: Pool
    nursing_facilities: Pool

    @property
    def n_aco(self) -> int:
        return len(self.aco_ids)

    @property
    def n_practice(self) -> int:
        return len(self.practice_ids)

    @property
    def n_cp(self) -> int:
        return len(self.cp_ids)


def _organisations(rng: np.random.Generator, codes: Vocab) -> Organisations:
    shape = PROGRAM
    n_aco = len(ACO_NAMES)
    per_aco = rng.integers(shape.practices_per_aco[0], shape.practices_per_aco[1] + 1, n_aco)
    practice_aco = np.repeat(np.arange(n_aco), per_aco)
    n_practice = len(practice_aco)
    combos = [f"{p} {k}" for p in PRACTICE_PLACES for k in PRACTICE_KINDS]
    names = [combos[i] for i in rng.choice(len(combos), size=n_practice, replace=False)]
    aco_size = np.exp(shape.entity_size_sd * rng.standard_normal(n_aco))
    within = np.exp(shape.entity_size_sd * rng.standard_normal(n_practice))
    within /= np.bincount(practice_aco, weights=within)[practice_aco]
    weight = aco_size[practice_aco] * within
    n_cp = len(BH_CP_NAMES) + len(LTSS_CP_NAMES)
    primary = _pool(
        rng, codes, n_practice + shape.independent_practices, shape.clinicians_per_practice
    )
    return Organisations(
        aco_ids=[f"ACO{i + 1:02d}" for i in range(n_aco)],
        cp_ids=[f"CP{i + 1:02d}" for i in range(n_cp)],
        cp_is_bh=np.arange(n_cp) < len(BH_CP_NAMES),
        practice_ids=[f"PR{i + 1:03d}" for i in range(n_practice)],
        practice_names=names,
        practice_aco=practice_aco,
        practice_weight=weight / weight.sum(),
        cp_weight=np.exp(shape.entity_size_sd * rng.standard_normal(n_cp)),
        cp_teams=rng.integers(shape.care_teams_per_cp[0], shape.care_teams_per_cp[1] + 1, n_cp),
        primary_care=primary,
        usual_pcp_share=rng.uniform(*shape.usual_pcp_share, size=primary.size),
        hospitals=_pool(rng, codes, shape.hospitals, (1, 1)),
        ed_physicians=_pool(rng, codes, shape.hospitals, (6, 15)),
        bh_clinics=_pool(rng, codes, shape.bh_clinics, (4, 10)),
        sud_programs=_pool(rng, codes, shape.sud_programs, (3, 8)),
        labs=_pool(rng, codes, shape.labs, (1, 1)),
        imaging=_pool(rng, codes, shape.specialist_groups, (2, 5)),
        eye=_pool(rng, codes, shape.specialist_groups, (2, 5)),
        gi=_pool(rng, codes, shape.specialist_groups, (2, 5)),
        pulmonary=_pool(rng, codes, shape.specialist_groups, (2, 5)),
        home_care=_pool(rng, codes, shape.home_care_agencies, (3, 8)),
        nursing_facilities=_pool(rng, codes, shape.nursing_facilities, (1, 1)),
    )


@dataclass
class Members:
    """One entry per member: demographics, conditions, enrollment and attribution."""

    age: np.ndarray  # at the end of the window
    birth_year: np.ndarray
    gender: np.ndarray  # index into GENDERS
    race: np.ndarray  # index into RACES
    language: np.ndarray  # index into LANGUAGES
    has: dict[str, np.ndarray]  # condition -> bool
    smi_kind: np.ndarray  # index into SMI_KINDS, -1 if none
    sud_kind: np.ndarray  # index into SUD_KINDS, -1 if none
    chronic_dx: np.ndarray  # (n, DIAGNOSIS_COLUMNS) ids of the member's chronic dx, -1 padded
    smi_dx: np.ndarray  # vocab id of the member's SMI diagnosis, -1 if none
    sud_dx: np.ndarray  # vocab id of the member's SUD diagnosis, -1 if none
    sud_onset: np.ndarray  # day of a new SUD episode inside the window, NO_DAY if none
    copd_onset: np.ndarray  # day of the first COPD claim inside the window, NO_DAY if none
    frailty: np.ndarray
    bmi: np.ndarray
    a1c_mean: np.ndarray
    systolic_mean: np.ndarray
    diastolic_mean: np.ndarray
    pcp_slot: np.ndarray  # which clinician of a practice is the member's PCP
    home_hospital: np.ndarray
    bh_clinic: np.ndarray
    sud_program: np.ndarray
    independent_practice: np.ndarray  # primary-care group used when unattributed
    start_day: np.ndarray  # enrollment start (negative: before the window)
    end_day: np.ndarray
    gap_month: np.ndarray  # first month of the gap, n_months if none
    gap_months: np.ndarray
    died: np.ndarray
    first_day: np.ndarray  # first enrolled day inside the window
    enrolled: np.ndarray  # (n, n_months) bool
    practice: np.ndarray  # (n, n_months) ACO practice index, n_practice if unattributed
    aco: np.ndarray  # (n, n_months) ACO index, n_aco if unattributed
    cp: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))  # CP index, n_cp if none

    @property
    def n(self) -> int:
        return len(self.age)

    @property
    def last_day(self) -> np.ndarray:
        return self.end_day


def _draw_by_share(rng: np.random.Generator, shares: Iterable[float], n: int) -> np.ndarray:
    p = np.array(list(shares), dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum()).astype(np.int8)


def _draw_rows(rng: np.random.Generator, probabilities: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one category per member from the probability row each member points at."""
    cumulative = np.cumsum(probabilities / probabilities.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(rows))
    return np.minimum((u[:, None] > cumulative[rows]).sum(axis=1), probabilities.shape[1] - 1)


def _ages(rng: np.random.Generator, n: int) -> np.ndarray:
    band = _draw_by_share(rng, (s for _, _, s in AGE_BANDS), n)
    low = np.array([lo for lo, _, _ in AGE_BANDS])[band]
    high = np.array([hi for _, hi, _ in AGE_BANDS])[band]
    return (low + np.floor(rng.random(n) * (high - low + 1))).astype(np.int16)


def _conditions(rng: np.random.Generator, age: np.ndarray) -> dict[str, np.ndarray]:
    group = _age_group(age)
    has: dict[str, np.ndarray] = {}
    for name, prevalence in CONDITIONS.items():
        p = np.array(prevalence.by_age)[group]
        for other, ratio in prevalence.raised_by.items():
            p = np.where(has[other], p * ratio, p)
        has[name] = rng.random(len(age)) < np.minimum(p, 0.95)
    has["sud"] &= age >= 13
    return has


def _member_codes(
    rng: np.random.Generator, codes: Vocab, has: dict[str, np.ndarray], age: np.ndarray
):
    """Return SMI/SUD kinds and each member's diagnosis codes for their conditions."""
    n = len(has["smi"])
    smi_kind = np.where(has["smi"], _draw_by_share(rng, (s for s, _ in SMI_KINDS.values()), n), -1)
    sud_shares = np.array([[s for s, _ in SUD_KINDS.values()], ADOLESCENT_SUD_KINDS])
    sud_kind = np.where(has["sud"], _draw_rows(rng, sud_shares, (age < 18).astype(int)), -1)

    def kind_code(kind: np.ndarray, table: dict[str, tuple[float, tuple[str, ...]]]) -> np.ndarray:
        out = np.full(n, -1, dtype=np.int32)
        for k, (_, kind_codes) in enumerate(table.values()):
            rows = np.flatnonzero(kind == k)
            out[rows] = codes.ids(kind_codes)[rng.integers(0, len(kind_codes), len(rows))]
        return out

    smi_dx, sud_dx = kind_code(smi_kind, SMI_KINDS), kind_code(sud_kind, SUD_KINDS)
    columns = [smi_dx, sud_dx]
    for condition in ("diabetes", "hypertension", "copd", "asthma", "disability", "mild_bh"):
        columns.append(np.where(has[condition], codes.pick(rng, CHRONIC_CODES[condition], n), -1))
    stacked = np.stack(columns, axis=1)
    order = np.argsort(stacked < 0, axis=1, kind="stable")
    chronic = np.take_along_axis(stacked, order, axis=1)[:, :DIAGNOSIS_COLUMNS]
    return smi_kind, sud_kind, chronic, smi_dx, sud_dx


@dataclass(frozen=True)
class Enrollment:
    start_day: np.ndarray
    end_day: np.ndarray
    entry: np.ndarray
    last: np.ndarray
    gap_month: np.ndarray
    gap_months: np.ndarray
    died: np.ndarray


def _enrollment(
    rng: np.random.Generator, cal: Calendar, age: np.ndarray, has: dict[str, np.ndarray]
) -> Enrollment:
    """Draw coverage: incumbents and joiners, exits (some deaths), and one gap for some."""
    rates, n, months = ENROLLMENT, len(age), cal.n_months
    born_in_window = cal.end_year - age.astype(np.int32) >= cal.years[0][0]
    birth_month = np.clip(
        (cal.end_year - age - cal.years[0][0]) * 12 + rng.integers(0, 12, n), 0, months - 1
    )
    incumbent = (rng.random(n) < rates.incumbent_share) & ~born_in_window
    entry = np.where(incumbent, 0, rng.integers(1, max(months, 2), n))
    entry = np.where(born_in_window, birth_month, entry).astype(np.int32)
    last = entry + rng.geometric(rates.monthly_exit, n) - 1
    stays = last >= months - 1
    last = np.minimum(last, months - 1).astype(np.int32)

    prior = rng.integers(rates.prior_months[0], rates.prior_months[1] + 1, n)
    origin_month = cal.origin.astype("datetime64[M]")
    prior_start = ((origin_month - prior).astype("datetime64[D]") - cal.origin).astype(np.int32)
    mid_start = (rng.random(n) < rates.mid_month_start_share) & (last > entry) & ~incumbent
    start = cal.month_start[entry] + np.where(mid_start, rng.integers(1, 28, n), 0)
    start = np.where(incumbent, prior_start, start).astype(np.int32)
    mid_end = rng.random(n) < rates.mid_month_end_share
    month_end = cal.month_start[last + 1] - 1
    end = np.where(mid_end & ~stays, cal.month_start[last] + rng.integers(0, 27, n), month_end)
    end = np.where(stays, cal.n_days - 1, np.maximum(end, start)).astype(np.int32)

    death_share = np.array(rates.death_share_of_exits)[_age_group(age)]
    for condition in rates.death_risk_conditions:
        death_share = np.where(has[condition], death_share * 2, death_share)
    died = ~stays & (rng.random(n) < death_share)

    gap_months = rng.integers(rates.gap_months[0], rates.gap_months[1] + 1, n)
    room = last - entry - 1 - gap_months  # months that can hold the gap
    has_gap = (rng.random(n) < rates.gap_share) & (room >= 1)
    gap_month = entry + 1 + np.floor(rng.random(n) * np.maximum(room, 1)).astype(np.int32)
    gap_month = np.where(has_gap, gap_month, months).astype(np.int32)
    gap_months = np.where(has_gap, gap_months, 0).astype(np.int32)
    return Enrollment(start, end, entry, last, gap_month, gap_months, died)


def _enrolled_months(cal: Calendar, e: Enrollment) -> np.ndarray:
    m = np.arange(cal.n_months, dtype=np.int32)[None, :]
    in_span = (m >= e.entry[:, None]) & (m <= e.last[:, None])
    in_gap = (m >= e.gap_month[:, None]) & (m < (e.gap_month + e.gap_months)[:, None])
    return in_span & ~in_gap


def _practice_months(
    rng: np.random.Generator, orgs: Organisations, cal: Calendar, e: Enrollment
) -> np.ndarray:
    """Return each member's ACO practice by month: stable, one switch for some, none for some."""
    n, shape = len(e.entry), PROGRAM
    none = orgs.n_practice
    home = rng.choice(none, size=n, p=orgs.practice_weight)
    home = np.where(rng.random(n) < shape.unattributed_share, none, home)
    later = rng.choice(none, size=n, p=orgs.practice_weight)
    later = np.where(later == home, (later + 1) % none, later)
    switches = (rng.random(n) < shape.practice_switch_share) & (home != none) & (e.last > e.entry)
    span = np.maximum(e.last - e.entry, 1)
    switch_month = np.where(switches, e.entry + 1 + np.floor(rng.random(n) * span), cal.n_months)
    m = np.arange(cal.n_months)[None, :]
    return np.where(m >= switch_month[:, None], later[:, None], home[:, None]).astype(np.int16)


def _draw_members(seed: int, n: int, cal: Calendar, orgs: Organisations, codes: Vocab) -> Members:
    rng = _stream(seed, "members")
    age = _ages(rng, n)
    race = _draw_by_share(rng, RACES.values(), n)
    language_table = np.array([LANGUAGE_BY_RACE[r] for r in RACES])
    has = _conditions(_stream(seed, "conditions"), age)
    smi_kind, sud_kind, chronic, smi_dx, sud_dx = _member_codes(
        _stream(seed, "member codes"), codes, has, age
    )
    e = _enrollment(_stream(seed, "enrollment"), cal, age, has)
    practice = _practice_months(_stream(seed, "attribution"), orgs, cal, e)
    aco_of = np.append(orgs.practice_aco, orgs.n_aco).astype(np.int16)
    traits = _stream(seed, "member traits")
    a1c = CLINICAL.a1c_mean + CLINICAL.a1c_member_sd * traits.standard_normal(n)
    hypertensive = has["hypertension"].astype(np.float64)
    systolic = (
        CLINICAL.systolic_mean
        + CLINICAL.systolic_hypertension * hypertensive
        + CLINICAL.systolic_member_sd * traits.standard_normal(n)
    )
    diastolic = (
        CLINICAL.diastolic_mean
        + CLINICAL.diastolic_hypertension * hypertensive
        + CLINICAL.diastolic_member_sd * traits.standard_normal(n)
    )
    members = Members(
        age=age,
        birth_year=(cal.end_year - age).astype(np.int32),
        gender=_draw_by_share(rng, GENDERS.values(), n),
        race=race,
        language=_draw_rows(rng, language_table, race).astype(np.int8),
        has=has,
        smi_kind=smi_kind,
        sud_kind=sud_kind,
        chronic_dx=chronic,
        smi_dx=smi_dx,
        sud_dx=sud_dx,
        sud_onset=np.full(n, NO_DAY, dtype=np.int32),
        copd_onset=np.full(n, NO_DAY, dtype=np.int32),
        frailty=traits.gamma(FRAILTY_SHAPE, 1 / FRAILTY_SHAPE, n),
        bmi=np.exp(CLINICAL.bmi_log_mean + CLINICAL.bmi_log_sd * traits.standard_normal(n)),
        a1c_mean=a1c,
        systolic_mean=systolic,
        diastolic_mean=diastolic,
        pcp_slot=traits.integers(0, 1000, n),
        home_hospital=traits.integers(0, orgs.hospitals.size, n),
        bh_clinic=traits.integers(0, orgs.bh_clinics.size, n),
        sud_program=traits.integers(0, orgs.sud_programs.size, n),
        independent_practice=orgs.n_practice + traits.integers(0, PROGRAM.independent_practices, n),
        start_day=e.start_day,
        end_day=e.end_day,
        gap_month=e.gap_month,
        gap_months=e.gap_months,
        died=e.died,
        first_day=np.maximum(e.start_day, 0).astype(np.int32),
        enrolled=_enrolled_months(cal, e),
        practice=practice,
        aco=aco_of[practice],
    )
    members.sud_onset = _sud_onsets(_stream(seed, "sud onsets"), cal, members)
    members.copd_onset = _copd_onsets(_stream(seed, "copd onsets"), cal, members)
    return members


def _sud_onsets(rng: np.random.Generator, cal: Calendar, m: Members) -> np.ndarray:
    """Pick SUD members whose first SUD diagnosis (a new IET episode) falls inside the window,
    on a covered day at least 200 days into their coverage."""
    earliest = np.maximum(m.first_day, m.start_day + 200)
    latest = m.last_day - 20
    p_new = np.where(
        m.age < 18, PROBABILITY["sud_new_episode_adolescent"], PROBABILITY["sud_new_episode"]
    )
    new = m.has["sud"] & (rng.random(m.n) < p_new) & (latest > earliest)
    day = earliest + np.floor(rng.random(m.n) * np.maximum(latest - earliest, 1)).astype(np.int32)
    new &= m.enrolled[np.arange(m.n), cal.month(day)]
    return np.where(new, day, NO_DAY).astype(np.int32)


def _copd_onsets(rng: np.random.Generator, cal: Calendar, m: Members) -> np.ndarray:
    """Pick COPD members whose first COPD claim falls inside the window, on a covered day at
    least 30 days into their coverage; before it no claim carries a COPD diagnosis."""
    earliest = m.first_day + 30
    latest = m.last_day
    new = m.has["copd"] & (rng.random(m.n) < PROBABILITY["copd_new_in_claims"])
    new &= latest > earliest
    day = earliest + np.floor(rng.random(m.n) * np.maximum(latest - earliest, 1)).astype(np.int32)
    new &= m.enrolled[np.arange(m.n), cal.month(day)]
    return np.where(new, day, NO_DAY).astype(np.int32)


@dataclass
class CpAssignments:
    """One entry per CP assignment (a member may be reassigned to another CP once)."""

    person: np.ndarray
    cp: np.ndarray
    start: np.ndarray
    end: np.ndarray  # disenrollment day, NO_DAY while still assigned at the window's end
    form: np.ndarray  # participation form signed, NO_DAY if not (yet)
    assessment: np.ndarray
    care_plan: np.ndarray
    first_contact: np.ndarray


def _cp_candidates(rng: np.random.Generator, cal: Calendar, m: Members, orgs: Organisations):
    """Return who is assigned to a BH or an LTSS CP (attributed members only)."""
    attributed = m.practice[np.arange(m.n), cal.month(m.first_day)] != orgs.n_practice
    shape = CP
    p_bh = np.where(
        m.has["smi"],
        shape.bh_assignment_smi,
        np.where(m.has["sud"], shape.bh_assignment_sud_only, 0.0),
    )
    bh = attributed & (m.age >= 19) & (m.age <= 66) & (rng.random(m.n) < p_bh)
    ltss_need = (m.has["disability"] & (m.age >= 4)) | (m.age >= 66)
    ltss = attributed & ~bh & ltss_need & (rng.random(m.n) < shape.ltss_assignment)
    return bh, ltss


def _choose_cp(rng: np.random.Generator, orgs: Organisations, bh: np.ndarray) -> np.ndarray:
    """Return a CP index of the right type for each member (bh True: a BH CP, else LTSS)."""
    bh_ids, ltss_ids = np.flatnonzero(orgs.cp_is_bh), np.flatnonzero(~orgs.cp_is_bh)
    bh_w = orgs.cp_weight[bh_ids] / orgs.cp_weight[bh_ids].sum()
    ltss_w = orgs.cp_weight[ltss_ids] / orgs.cp_weight[ltss_ids].sum()
    n = len(bh)
    return np.where(
        bh,
        bh_ids[rng.choice(len(bh_ids), n, p=bh_w)],
        ltss_ids[rng.choice(len(ltss_ids), n, p=ltss_w)],
    )


def _cp_assignments(rng: np.random.Generator, cal: Calendar, m: Members, orgs: Organisations):
    """Return first assignments and reassignments, before milestones are drawn."""
    shape = CP
    bh, ltss = _cp_candidates(rng, cal, m, orgs)
    who = np.flatnonzero(bh | ltss)
    n = len(who)
    legacy = (m.start_day[who] < 0) & (rng.random(n) < shape.pre_window_assignment_share)
    in_window = m.first_day[who] + np.floor(
        rng.random(n) * np.maximum(m.last_day[who] - 30 - m.first_day[who], 1)
    )
    start = np.where(legacy, -rng.integers(1, shape.pre_window_days, n), in_window)
    start = start.astype(np.int32)
    cp = _choose_cp(rng, orgs, bh[who])
    leaves = np.where(m.last_day[who] < cal.n_days - 1, m.last_day[who], NO_DAY)
    quits = start + rng.exponential(shape.mean_days_to_disenroll, n).astype(np.int32)
    voluntary = (quits < cal.n_days) & ((leaves == NO_DAY) | (quits < leaves))
    end = np.where(voluntary, quits, leaves).astype(np.int32)
    # Some who quit one CP are reassigned to another CP of the same type.
    again = voluntary & (rng.random(n) < shape.switch_share)
    again_start = end + rng.integers(0, 21, n)
    again &= (again_start < cal.n_days) & ((leaves == NO_DAY) | (again_start < leaves))
    again_cp = _choose_cp(rng, orgs, bh[who])
    same = again_cp == cp
    pool_size = np.where(bh[who], orgs.cp_is_bh.sum(), (~orgs.cp_is_bh).sum())
    first_of_type = np.where(bh[who], 0, orgs.cp_is_bh.sum())
    again_cp = np.where(same, first_of_type + (again_cp - first_of_type + 1) % pool_size, again_cp)
    person = np.concatenate([who, who[again]])
    order = np.lexsort((np.concatenate([start, again_start[again]]), person))
    return (
        person[order].astype(np.int32),
        np.concatenate([cp, again_cp[again]])[order].astype(np.int16),
        np.concatenate([start, again_start[again]])[order].astype(np.int32),
        np.concatenate([end, leaves[again]])[order].astype(np.int32),
    )


def _cp_months(cal: Calendar, m: Members, orgs: Organisations, a: CpAssignments) -> np.ndarray:
    """Return each member's CP by month (the later assignment wins a shared month)."""
    cp = np.full(m.enrolled.shape, orgs.n_cp, dtype=np.int16)
    last_day = np.where(a.end == NO_DAY, cal.n_days - 1, a.end)
    first_month = cal.month(np.maximum(a.start, 0))
    last_month = cal.month(last_day)
    active = last_day >= 0
    for rows in (
        np.flatnonzero(active & _is_first(a.person)),
        np.flatnonzero(active & ~_is_first(a.person)),
    ):
        count = (last_month[rows] - first_month[rows] + 1).astype(np.int64)
        row = np.repeat(rows, count)
        month = first_month[row] + _ranks_within(count)
        cp[a.person[row], month] = a.cp[row]
    return cp


def _is_first(person: np.ndarray) -> np.ndarray:
    """True for the first entry of each person in a person-sorted array."""
    return (
        np.concatenate([[True], person[1:] != person[:-1]]) if len(person) else person.astype(bool)
    )


def _ranks_within(counts: np.ndarray) -> np.ndarray:
    """Return 0..count-1 for each group, concatenated (the position inside each repeat)."""
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - starts


@dataclass
class Effects:
    """Entity effects by dimension: (entities + 1, months) arrays, the last row all zero."""

    cal: Calendar
    members: Members
    aco: dict[str, np.ndarray]
    practice: dict[str, np.ndarray]
    cp: dict[str, np.ndarray]

    def at(self, dimension: str, who: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Return the summed ACO + practice + CP effect for each member on each day."""
        m, month = self.members, self.cal.month(day)
        total = np.zeros(len(who), dtype=np.float64)
        for table, matrix in ((self.aco, m.aco), (self.practice, m.practice), (self.cp, m.cp)):
            if dimension in table:
                total += table[dimension][matrix[who, month], month]
        return total

    def cap(self, dimension: str) -> float:
        """Return the largest multiplier exp(effect) any member-month can get."""
        tables = (self.aco, self.practice, self.cp)
        return float(np.exp(sum(max(t[dimension].max(), 0.0) for t in tables if dimension in t)))


def _entity_effects(
    rng: np.random.Generator, cal: Calendar, members: Members, counts: dict[str, int]
) -> Effects:
    """Draw every entity's level and drift per dimension, correlated through a common strength."""
    years = (np.arange(cal.n_months) - (cal.n_months - 1) / 2) / 12
    rho, rest = PERFORMANCE_CORRELATION, np.sqrt(1 - PERFORMANCE_CORRELATION**2)
    out: dict[str, dict[str, np.ndarray]] = {"aco": {}, "practice": {}, "cp": {}}
    for kind, n in counts.items():
        strength = _normal_quantiles(n)[rng.permutation(n)]
        momentum = _normal_quantiles(n)[rng.permutation(n)]
        for name, dim in EFFECTS.items():
            spread: Spread = getattr(dim, kind)
            if spread.level == 0 and spread.trend == 0:
                continue
            sign = 1.0 if dim.higher_is_better else -1.0
            level = spread.level * (rho * sign * strength + rest * rng.standard_normal(n))
            trend = dim.drift + spread.trend * (
                rho * sign * momentum + rest * rng.standard_normal(n)
            )
            table = np.zeros((n + 1, cal.n_months), dtype=np.float32)
            table[:n] = level[:, None] + trend[:, None] * years[None, :]
            out[kind][name] = table
    return Effects(cal, members, out["aco"], out["practice"], out["cp"])


@dataclass
class World:
    """Everything events are drawn against."""

    seed: int
    cal: Calendar
    codes: Vocab
    orgs: Organisations
    members: Members
    cps: CpAssignments
    effects: Effects
    person_ids: pa.Array = field(init=False)

    def __post_init__(self) -> None:
        numbers = np.arange(1, self.members.n + 1)
        self.person_ids = _serial_strings("P", numbers, _id_width(self.members.n))

    def rng(self, topic: str) -> np.random.Generator:
        return _stream(self.seed, topic)

    def enrolled_on(self, who: np.ndarray, day: np.ndarray) -> np.ndarray:
        """True where the member is covered on the day (and the day is inside the window)."""
        m = self.members
        inside = (day >= m.first_day[who]) & (day <= m.last_day[who]) & (day < self.cal.n_days)
        return inside & m.enrolled[who, self.cal.month(day)]

    def age_on(self, who: np.ndarray, day: np.ndarray) -> np.ndarray:
        return self.cal.year(day) - self.members.birth_year[who]

    def chance(
        self, rng: np.random.Generator, who: Ints, day: Ints, base: str, dimension: str | None
    ) -> np.ndarray:
        """Draw yes/no per event: base probability shifted by member risk and entity effects."""
        logit = _logit(PROBABILITY[base]) + self._member_logit(base, who)
        if dimension:
            logit = logit + self.effects.at(dimension, who, day)
        return rng.random(len(who)) < _sigmoid(logit)

    def _member_logit(self, base: str, who: np.ndarray) -> np.ndarray | float:
        extra = MEMBER_LOGIT.get(base)
        if not extra:
            return 0.0
        return sum(self.members.has[c][who] * v for c, v in extra.items())

    def sud_active(self, who: np.ndarray, day: np.ndarray) -> np.ndarray:
        """True where a member's SUD is diagnosed by the day (new episodes start at onset)."""
        onset = self.members.sud_onset[who]
        return self.members.has["sud"][who] & ((onset == NO_DAY) | (day >= onset))

    def copd_known(self, who: np.ndarray, day: np.ndarray) -> np.ndarray:
        """True where a member's COPD shows on claims by the day (from the onset, if any)."""
        onset = self.members.copd_onset[who]
        return self.members.has["copd"][who] & ((onset == NO_DAY) | (day >= onset))

    def care_practice(self, who: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Return the primary-care group a member uses on a day (an independent one if none)."""
        practice = self.members.practice[who, self.cal.month(day)].astype(np.int32)
        none = practice == self.orgs.n_practice
        return np.where(none, self.members.independent_practice[who], practice)

    def pcp(self, who: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (primary-care group, usual PCP NPI id) of members on days."""
        group = self.care_practice(who, day)
        return group, self.orgs.primary_care.clinician(group, self.members.pcp_slot[who])

    def paid(
        self, rng: np.random.Generator, who: Ints, day: Ints, median: Floats, sd: float = PAID_SD
    ) -> np.ndarray:
        """Return line paid amounts: right-skewed, shifted by ACO cost effects and inflation."""
        years = (day - self.cal.n_days / 2) / 365.25
        log = np.log(median) + sd * rng.standard_normal(len(who)) + MEDICAL_INFLATION * years
        return np.round(np.exp(log + self.effects.at("cost", who, day)), 2)


def _build_world(members: int, months: int, seed: int, end_month: str) -> World:
    if members < 1 or months < 2:
        raise ValueError("need at least 1 member and 2 months")
    cal = _calendar(months, end_month)
    codes = Vocab()
    orgs = _organisations(_stream(seed, "organisations"), codes)
    people = _draw_members(seed, members, cal, orgs, codes)
    person, cp, start, end = _cp_assignments(_stream(seed, "cp assignments"), cal, people, orgs)
    no = np.full(len(person), NO_DAY, dtype=np.int32)
    cps = CpAssignments(person, cp, start, end, no, no.copy(), no.copy(), no.copy())
    people.cp = _cp_months(cal, people, orgs, cps)
    counts = {"aco": orgs.n_aco, "practice": orgs.n_practice, "cp": orgs.n_cp}
    effects = _entity_effects(_stream(seed, "entity effects"), cal, people, counts)
    world = World(seed, cal, codes, orgs, people, cps, effects)
    _cp_milestones(world)
    return world


def _cp_milestones(world: World) -> None:
    """Draw days to first contact, participation form, assessment and care plan per assignment."""
    rng, a, cal, shape = world.rng("cp milestones"), world.cps, world.cal, CP
    n = len(a.person)
    anchor = np.maximum(a.start, 0)
    speed = world.effects.at("cp_engagement_speed", a.person, anchor)
    # Legacy assignments drawn before the window reuse the window's first month effects.
    reached = world.chance(rng, a.person, anchor, "cp_reached", "cp_reach")

    def delay(median: float) -> np.ndarray:
        noise = shape.delay_sd * rng.standard_normal(n)
        return np.maximum(1, np.exp(np.log(median) - speed + noise)).astype(np.int32)

    form = a.start + delay(shape.days_to_form_median)
    contact = a.start + np.floor((form - a.start) * rng.uniform(0.15, 0.9, n)).astype(np.int32)
    assessment = form + delay(shape.days_to_assessment_median)
    care_plan = assessment + delay(shape.days_to_care_plan_median)
    goes_on = rng.random((2, n)) < PROBABILITY["cp_milestone_continues"]
    stop = np.where(a.end == NO_DAY, cal.n_days - 1, a.end)
    stop = np.minimum(stop, world.members.last_day[a.person])
    a.first_contact = np.where(reached & (contact <= stop), contact, NO_DAY)
    a.form = np.where(reached & (form <= stop), form, NO_DAY)
    a.assessment = np.where(
        (a.form != NO_DAY) & goes_on[0] & (assessment <= stop), assessment, NO_DAY
    )
    a.care_plan = np.where(
        (a.assessment != NO_DAY) & goes_on[1] & (care_plan <= stop), care_plan, NO_DAY
    )


# =================================================================================================
# Drawing events
# =================================================================================================


def _member_rate(world: World, kind: str) -> np.ndarray:
    """Return each member's base rate per month of one kind of event (age and conditions)."""
    m = world.members
    rate = np.array(RATE_BY_AGE[kind])[_age_group(m.age)]
    for condition, ratio in CONDITION_RATE_RATIOS.get(kind, {}).items():
        rate = np.where(m.has[condition], rate * ratio, rate)
    return rate


def _draw_in_intervals(
    rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, rate_per_month: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Draw Poisson events uniformly over [lo, hi] per row; return (row, day)."""
    span = np.maximum(hi - lo + 1, 0)
    counts = rng.poisson(rate_per_month * span / DAYS_PER_MONTH)
    row = np.repeat(np.arange(len(lo), dtype=np.int32), counts)
    day = lo[row] + np.floor(rng.random(len(row)) * span[row]).astype(np.int32)
    return row, day.astype(np.int32)


def _member_events(
    world: World, rng: np.random.Generator, rate_per_month: np.ndarray, dimension: str | None
) -> tuple[np.ndarray, np.ndarray]:
    """Draw events over members' coverage; entity effects thin them month by month."""
    m = world.members
    cap = world.effects.cap(dimension) if dimension else 1.0
    who, day = _draw_in_intervals(rng, m.first_day, m.last_day, rate_per_month * cap)
    keep = world.enrolled_on(who, day)
    if dimension:
        keep &= rng.random(len(who)) * cap < np.exp(world.effects.at(dimension, who, day))
    return who[keep], day[keep]


def _yearly_events(
    world: World, rng: np.random.Generator, eligible, base: str, dimension: str | None
) -> tuple[np.ndarray, np.ndarray]:
    """Draw at most one event per member and calendar year, on a covered day of that year.

    eligible(members, age_in_year) returns who is in the denominator that year.
    """
    m, whos, days = world.members, [], []
    for year, lo, hi in world.cal.years:
        first, last = np.maximum(m.first_day, lo), np.minimum(m.last_day, hi)
        who = np.flatnonzero((last >= first) & eligible(m, year - m.birth_year)).astype(np.int32)
        span = last[who] - first[who] + 1
        day = first[who] + np.floor(rng.random(len(who)) * span).astype(np.int32)
        retry = first[who] + np.floor(rng.random(len(who)) * span).astype(np.int32)
        day = np.where(world.enrolled_on(who, day), day, retry)
        keep = world.enrolled_on(who, day) & world.chance(rng, who, day, base, dimension)
        whos.append(who[keep])
        days.append(day[keep])
    return np.concatenate(whos), np.concatenate(days)


def _drop_code(lists: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Remove the first occurrence of code from each row, shifting the rest left (-1 padded)."""
    columns = [lists[:, j] for j in range(lists.shape[1])] + [np.full(len(lists), -1, np.int32)]
    removed = np.zeros(len(lists), dtype=bool)
    out = np.empty_like(lists)
    for j in range(lists.shape[1]):
        removed |= columns[j] == code
        out[:, j] = np.where(removed, columns[j + 1], columns[j])
    return out


def _chronic_lists(world: World, who: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Return members' chronic diagnoses on days (an SUD or a COPD shows only from its onset)."""
    m = world.members
    lists = m.chronic_dx[who]
    hidden = np.flatnonzero((m.sud_dx[who] >= 0) & ~world.sud_active(who, day))
    lists[hidden] = _drop_code(lists[hidden], m.sud_dx[who[hidden]])
    listed = np.isin(lists, world.codes.ids(CHRONIC_CODES["copd"]))
    hidden = np.flatnonzero(listed.any(axis=1) & ~world.copd_known(who, day))
    copd = lists[hidden, listed[hidden].argmax(axis=1)]
    lists[hidden] = _drop_code(lists[hidden], copd)
    return lists


def _diagnoses(world: World, who, day, principal, chronic=None) -> np.ndarray:
    """Return (n, DIAGNOSIS_COLUMNS) diagnosis ids: the principal, then the member's other
    chronic conditions (pass `chronic` if _chronic_lists was already called)."""
    chronic = _chronic_lists(world, who, day) if chronic is None else chronic
    others = _drop_code(chronic, principal)
    return np.column_stack([principal, others[:, : DIAGNOSIS_COLUMNS - 1]]).astype(np.int32)


def _principal_only(principal: np.ndarray) -> np.ndarray:
    out = np.full((len(principal), DIAGNOSIS_COLUMNS), -1, dtype=np.int32)
    out[:, 0] = principal
    return out


def _random_slot(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 1000, n)


# ---------------------------------------------------------------- claims bookkeeping


class ClaimBook:
    """Collects claim headers and lines from every generator, in ids, until assembly."""

    HEADER_DEFAULTS: dict[str, int] = {
        "end": NO_DAY,
        "admission": NO_DAY,
        "discharge": NO_DAY,
        "disposition": -1,
        "pos": -1,
        "bill_type": -1,
        "rendering_npi": -1,
    }

    def __init__(self, codes: Vocab) -> None:
        self.codes = codes
        self.headers: list[dict[str, np.ndarray]] = []
        self.lines: list[dict[str, np.ndarray]] = []
        self.count = 0

    def add(
        self,
        person: Ints,
        start: Ints,
        dx: np.ndarray,
        billing_npi: Ints,
        billing_tin: Ints,
        institutional: bool = False,
        **fields: Ints,
    ) -> np.ndarray:
        """Add claims (one per person/start) and return their claim numbers."""
        n = len(person)
        header = {
            "person": np.asarray(person, dtype=np.int32),
            "start": np.asarray(start, dtype=np.int32),
            "dx": dx,
            "billing_npi": np.broadcast_to(billing_npi, n).astype(np.int32),
            "billing_tin": np.broadcast_to(billing_tin, n).astype(np.int32),
            "institutional": np.full(n, institutional),
        }
        for name, default in self.HEADER_DEFAULTS.items():
            value = fields.pop(name, default)
            header[name] = np.broadcast_to(np.asarray(value, dtype=np.int32), n).copy()
        if fields:
            raise TypeError(f"unknown claim fields: {sorted(fields)}")
        header["end"] = np.where(header["end"] == NO_DAY, header["start"], header["end"])
        self.headers.append(header)
        self.count += n
        return np.arange(self.count - n, self.count, dtype=np.int64)

    def line(
        self, claims: Ints, paid: Floats, hcpcs: Ints = -1, revenue: Ints = -1, modifier: Ints = -1
    ) -> None:
        """Add one line to each of the given claims (lines keep the order they are added in)."""
        n = len(claims)
        self.lines.append(
            {
                "claim": np.asarray(claims, dtype=np.int64),
                "paid": np.broadcast_to(np.asarray(paid, dtype=np.float64), n),
                "hcpcs": np.broadcast_to(np.asarray(hcpcs, dtype=np.int32), n),
                "revenue": np.broadcast_to(np.asarray(revenue, dtype=np.int32), n),
                "modifier": np.broadcast_to(np.asarray(modifier, dtype=np.int32), n),
                "seq": np.full(n, len(self.lines), dtype=np.int32),
            }
        )

    def professional(
        self,
        world: World,
        rng: np.random.Generator,
        who: Ints,
        day: Ints,
        hcpcs: Ints,
        dx: np.ndarray,
        pool: Pool,
        group: Ints,
        pos: Ints,
        *,
        rendering: Ints | None = None,
        modifier: Ints = -1,
        paid: Floats | None = None,
    ) -> np.ndarray:
        """Add one-line professional claims and return their claim numbers."""
        if rendering is None:
            rendering = pool.clinician(group, _random_slot(rng, len(who)))
        claims = self.add(
            who, day, dx, pool.group_npi[group], pool.tin[group], pos=pos, rendering_npi=rendering
        )
        if paid is None:
            paid = world.paid(rng, who, day, self.median(hcpcs))
        self.line(claims, paid, hcpcs=hcpcs, modifier=modifier)
        return claims

    def median(self, hcpcs: np.ndarray) -> np.ndarray:
        """Return the median paid of each CPT/HCPCS id."""
        ids = self.codes.ids(PAID_MEDIAN)
        lookup = np.zeros(len(self.codes.strings))
        lookup[ids] = list(PAID_MEDIAN.values())
        return lookup[np.asarray(hcpcs)]


def _telehealth_modifier(codes: Vocab, pos: np.ndarray) -> np.ndarray:
    remote = np.isin(pos, codes.ids(["02", "10"]))
    return np.where(remote, codes.id("95"), -1).astype(np.int32)


def _pick_rows(rng: np.random.Generator, codes: Vocab, mix: dict[str, float], n: int):
    return codes.pick(rng, mix, n) if n else np.zeros(0, dtype=np.int32)


# ---------------------------------------------------------------- inpatient stays


@dataclass
class Stays:
    person: np.ndarray
    admit: np.ndarray
    discharge: np.ndarray
    kind: np.ndarray  # index into STAY_KINDS
    dx: np.ndarray
    disposition: np.ndarray  # vocab id
    hospital: np.ndarray
    terminal: np.ndarray  # the member dies in this stay

    def take(self, rows: np.ndarray) -> Stays:
        return Stays(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))

    @staticmethod
    def concat(parts: Sequence[Stays]) -> Stays:
        return Stays(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in Stays.__dataclass_fields__)
        )


def _stay_kind_index(name: str) -> int:
    return STAY_KINDS.index(name)


def _stay_dx(world: World, rng: np.random.Generator, who, day, kind) -> np.ndarray:
    """Return a principal diagnosis for stays of each kind, from the member's conditions."""
    codes, m, n = world.codes, world.members, len(who)
    dx = _pick_rows(rng, codes, MEDICAL_STAY_DX, n)
    for condition in ("hypertension", "asthma", "diabetes", "copd"):  # last wins
        known = world.copd_known(who, day) if condition == "copd" else m.has[condition][who]
        use = known & (rng.random(n) < CONDITION_STAY_SHARE)
        dx = np.where(use, _pick_rows(rng, codes, CONDITION_STAY_DX[condition], n), dx)
    mh_fallback = _pick_rows(rng, codes, MH_STAY_DX, n)
    mh_dx = np.where(m.has["smi"][who], m.smi_dx[who], mh_fallback)
    sud_by_kind = codes.ids(SUD_STAY_DX_BY_KIND)
    sud_dx = np.where(
        m.sud_kind[who] >= 0,
        sud_by_kind[np.maximum(m.sud_kind[who], 0)],
        _pick_rows(rng, codes, SUD_STAY_DX, n),
    )
    obstetric = _pick_rows(rng, codes, OBSTETRIC_DX, n)
    by_kind = np.stack([dx, mh_dx, sud_dx, obstetric], axis=1)
    return by_kind[np.arange(n), kind].astype(np.int32)


def _stay_shape(world: World, rng: np.random.Generator, kind: np.ndarray):
    """Return (length of stay, disposition id) drawn from each stay kind's shape."""
    n = len(kind)
    los = np.ones(n, dtype=np.int32)
    disposition = np.zeros(n, dtype=np.int32)
    for k, shape in enumerate(STAY_SHAPES.values()):
        rows = np.flatnonzero(kind == k)
        los[rows] = np.minimum(rng.geometric(shape.discharge_chance, len(rows)), MAX_STAY_DAYS)
        disposition[rows] = _pick_rows(rng, world.codes, shape.dispositions, len(rows))
    return los, disposition


def _stays_from(world, rng, who, admit, kind, hospital=None, terminal=None) -> Stays:
    n = len(who)
    los, disposition = _stay_shape(world, rng, kind)
    if hospital is None:
        own = rng.random(n) < 0.8
        hospital = np.where(
            own, world.members.home_hospital[who], rng.integers(0, world.orgs.hospitals.size, n)
        )
    return Stays(
        person=who.astype(np.int32),
        admit=admit.astype(np.int32),
        discharge=(admit + los).astype(np.int32),
        kind=kind.astype(np.int8),
        dx=_stay_dx(world, rng, who, admit, kind),
        disposition=disposition,
        hospital=np.asarray(hospital, dtype=np.int32),
        terminal=np.zeros(n, dtype=bool) if terminal is None else terminal,
    )


def _random_stays(world: World, rng: np.random.Generator) -> Stays:
    """Draw admissions (medical, MH, SUD) and deliveries over members' coverage."""
    m = world.members
    rate = _member_rate(world, "admission") * m.frailty
    who, admit = _member_events(world, rng, rate, "admissions")
    n = len(who)
    p_mh = np.where(m.has["smi"][who], 0.5, np.where(m.has["mild_bh"][who], 0.08, 0.004))
    p_sud = np.where(world.sud_active(who, admit), 0.35, 0.0)
    u = rng.random(n)
    kind = np.where(
        u < p_mh, _stay_kind_index("mh"), np.where(u < p_mh + p_sud, _stay_kind_index("sud"), 0)
    )
    women = np.where(m.gender == FEMALE, 1.0, 0.0)
    births_who, births_day = _member_events(
        world, rng, _member_rate(world, "obstetric_admission") * women, None
    )
    births_kind = np.full(len(births_who), _stay_kind_index("obstetric"))
    return Stays.concat(
        [
            _stays_from(world, rng, who, admit, kind),
            _stays_from(world, rng, births_who, births_day, births_kind),
        ]
    )


def _terminal_stays(world: World, rng: np.random.Generator) -> Stays:
    """Return the hospital stays members die in (discharge status 20, on their last day)."""
    m, codes = world.members, world.codes
    who = np.flatnonzero(m.died & (rng.random(m.n) < ENROLLMENT.death_in_hospital_share))
    los = rng.geometric(0.25, len(who))
    admit = np.maximum(m.last_day[who] - los, m.first_day[who])
    stays = _stays_from(world, rng, who, admit, np.zeros(len(who), dtype=np.int8))
    stays.discharge = m.last_day[who].astype(np.int32)
    stays.dx = _pick_rows(rng, codes, TERMINAL_STAY_DX, len(who))
    stays.disposition = np.full(len(who), codes.id("20"), dtype=np.int32)
    stays.terminal = np.ones(len(who), dtype=bool)
    return stays


def _covered_stays(world: World, stays: Stays) -> Stays:
    """Keep stays admitted on a covered day and discharged inside coverage and the window."""
    m = world.members
    ok = world.enrolled_on(stays.person, stays.admit)
    ok &= stays.discharge <= np.minimum(m.last_day[stays.person], world.cal.n_days - 1)
    return stays.take(np.flatnonzero(ok))


def _drop_overlaps(stays: Stays) -> Stays:
    """Drop stays that start before the member's previous stay ends (a death stay is kept)."""
    while True:
        order = np.lexsort((~stays.terminal, stays.admit, stays.person))
        stays = stays.take(order)
        same = np.concatenate([[False], stays.person[1:] == stays.person[:-1]])
        prev_discharge = np.concatenate([[NO_DAY], stays.discharge[:-1]])
        clash = same & (stays.admit < prev_discharge)
        if not clash.any():
            return stays
        drop = np.where(stays.terminal, False, clash)
        prev_of_terminal = np.flatnonzero(clash & stays.terminal) - 1
        drop[prev_of_terminal] = True
        stays = stays.take(np.flatnonzero(~drop))


def _transfers(world: World, rng: np.random.Generator, stays: Stays) -> Stays:
    """Return the stays that follow an acute-to-acute transfer (status 02), same day."""
    rows = np.flatnonzero(stays.disposition == world.codes.id("02"))
    hospitals = world.orgs.hospitals.size
    other = (stays.hospital[rows] + 1 + rng.integers(0, hospitals - 1, len(rows))) % hospitals
    kind = stays.kind[rows]
    return _stays_from(world, rng, stays.person[rows], stays.discharge[rows], kind, other)


def _readmissions(world: World, rng: np.random.Generator, stays: Stays) -> Stays:
    """Return unplanned readmissions within 30 days, likelier for some members and entities."""
    codes = world.codes
    alive = ~np.isin(stays.disposition, codes.ids(["20", "02"]))
    rows = np.flatnonzero(alive)
    who, discharge = stays.person[rows], stays.discharge[rows]
    readmitted = world.chance(rng, who, discharge, "readmission_30_day", "readmissions")
    rows, who, discharge = rows[readmitted], who[readmitted], discharge[readmitted]
    gap = 1 + np.floor(29 * rng.beta(1.0, 2.5, len(rows))).astype(np.int32)
    same_kind = (rng.random(len(rows)) < 0.55) & (stays.kind[rows] != _stay_kind_index("obstetric"))
    kind = np.where(same_kind, stays.kind[rows], 0)
    return _stays_from(world, rng, who, discharge + gap, kind)


def _draw_stays(world: World) -> Stays:
    """Draw all acute stays: random, deliveries, deaths, then transfers and readmissions."""
    rng = world.rng("stays")
    stays = Stays.concat([_random_stays(world, rng), _terminal_stays(world, rng)])
    stays = _drop_overlaps(_covered_stays(world, stays))
    frontier, parts = stays, [stays]
    for _ in range(READMISSION_GENERATIONS):
        frontier = _covered_stays(
            world,
            Stays.concat([_transfers(world, rng, frontier), _readmissions(world, rng, frontier)]),
        )
        parts.append(frontier)
    return _drop_overlaps(Stays.concat(parts))


def _book_stays(world: World, book: ClaimBook, stays: Stays, via_ed: np.ndarray) -> None:
    """Add one institutional claim (type of bill 111) per stay: room and board plus ancillaries."""
    rng, codes, orgs = world.rng("stay claims"), world.codes, world.orgs
    who, n = stays.person, len(stays.person)
    claims = book.add(
        who,
        stays.admit,
        _diagnoses(world, who, stays.admit, stays.dx),
        orgs.hospitals.group_npi[stays.hospital],
        orgs.hospitals.tin[stays.hospital],
        institutional=True,
        end=stays.discharge,
        admission=stays.admit,
        discharge=stays.discharge,
        disposition=stays.disposition,
        bill_type=codes.id("111"),
    )
    days = np.maximum(stays.discharge - stays.admit, 1)
    ed = np.flatnonzero(via_ed)
    book.line(
        claims[ed],
        world.paid(rng, who[ed], stays.admit[ed], ED_FACILITY_PAID[0], ED_FACILITY_PAID[1]),
        hcpcs=_pick_rows(rng, codes, ED_LEVEL, len(ed)),
        revenue=codes.id("0450"),
    )
    room = np.zeros(n, dtype=np.int32)
    per_diem = np.zeros(n)
    for k, shape in enumerate(STAY_SHAPES.values()):
        rows = np.flatnonzero(stays.kind == k)
        room[rows] = _pick_rows(rng, codes, shape.room_revenue, len(rows))
        per_diem[rows] = shape.per_diem
    icu = np.isin(room, codes.ids(["0200", "0206"]))
    per_diem = np.where(icu, per_diem * 1.8, per_diem)
    book.line(claims, world.paid(rng, who, stays.admit, per_diem * days, 0.35), revenue=room)
    for revenue, median in STAY_ANCILLARY_PAID.items():
        book.line(
            claims,
            world.paid(rng, who, stays.admit, median * np.sqrt(days), 0.6),
            revenue=codes.id(revenue),
        )


# ---------------------------------------------------------------- ED visits


@dataclass
class EdVisits:
    person: np.ndarray
    day: np.ndarray
    dx: np.ndarray
    category: np.ndarray  # 0 non-emergent, 1 mental health, 2 SUD, 3 other
    admitted: np.ndarray
    hospital: np.ndarray


def _ed_dx(world: World, rng: np.random.Generator, who, category) -> np.ndarray:
    codes, m, n = world.codes, world.members, len(who)
    smi_dx = np.where(m.has["smi"][who] & (rng.random(n) < 0.5), m.smi_dx[who], -1)
    mh = np.where(smi_dx >= 0, smi_dx, _pick_rows(rng, codes, MH_ED_DX, n))
    table = np.stack(
        [
            _pick_rows(rng, codes, NON_EMERGENT_ED_DX, n),
            mh,
            _pick_rows(rng, codes, SUD_ED_DX, n),
            _pick_rows(rng, codes, OTHER_ED_DX, n),
        ],
        axis=1,
    )
    return table[np.arange(n), category].astype(np.int32)


def _random_ed_visits(world: World, rng: np.random.Generator) -> EdVisits:
    m = world.members
    who, day = _member_events(world, rng, _member_rate(world, "ed_visit") * m.frailty, "ed_visits")
    n = len(who)
    p_mh = np.where(m.has["smi"][who], 0.22, np.where(m.has["mild_bh"][who], 0.08, 0.01))
    p_sud = np.where(world.sud_active(who, day), 0.28, 0.004)
    p_non_emergent = np.where(m.age[who] < 18, 0.30, 0.20)
    u = rng.random(n)
    category = np.select(
        [u < p_mh, u < p_mh + p_sud, u < p_mh + p_sud + p_non_emergent], [1, 2, 0], default=3
    )
    return _ed_visits_from(world, rng, who, day, category)


def _ed_visits_from(world, rng, who, day, category, admitted=None, dx=None) -> EdVisits:
    n = len(who)
    own = rng.random(n) < 0.8
    hospital = np.where(
        own, world.members.home_hospital[who], rng.integers(0, world.orgs.hospitals.size, n)
    )
    return EdVisits(
        person=who.astype(np.int32),
        day=day.astype(np.int32),
        dx=_ed_dx(world, rng, who, category) if dx is None else dx,
        category=np.asarray(category, dtype=np.int8),
        admitted=np.zeros(n, dtype=bool) if admitted is None else admitted,
        hospital=hospital.astype(np.int32),
    )


def _concat_ed(parts: Sequence[EdVisits]) -> EdVisits:
    return EdVisits(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in EdVisits.__dataclass_fields__)
    )


def _book_ed_visits(world: World, book: ClaimBook, visits: EdVisits) -> None:
    """Add ED claims: a facility claim (type of bill 131, revenue 045x) unless the visit led to a
    stay (then the stay's claim carries the 0450 line), and an ED physician claim (POS 23)."""
    rng, codes, orgs = world.rng("ed claims"), world.codes, world.orgs
    who, day, n = visits.person, visits.day, len(visits.person)
    dx = _diagnoses(world, who, day, visits.dx)
    level = np.where(
        visits.category == 0,
        _pick_rows(rng, codes, ED_LEVEL_NON_EMERGENT, n),
        _pick_rows(rng, codes, ED_LEVEL, n),
    )
    out = np.flatnonzero(~visits.admitted)
    facility = book.add(
        who[out],
        day[out],
        dx[out],
        orgs.hospitals.group_npi[visits.hospital[out]],
        orgs.hospitals.tin[visits.hospital[out]],
        institutional=True,
        bill_type=codes.id("131"),
    )
    book.line(
        facility,
        world.paid(rng, who[out], day[out], *ED_FACILITY_PAID),
        hcpcs=level[out],
        revenue=_pick_rows(rng, codes, ED_REVENUE, len(out)),
    )
    extra = rng.random(len(out)) < 0.6
    revenue = _pick_rows(rng, codes, ED_ANCILLARY_REVENUE, len(out))
    median = np.zeros(len(out))
    for code, value in ED_ANCILLARY_PAID.items():
        median[revenue == codes.id(code)] = value
    rows = np.flatnonzero(extra)
    book.line(
        facility[rows],
        world.paid(rng, who[out][rows], day[out][rows], median[rows], 0.6),
        revenue=revenue[rows],
    )
    group = visits.hospital
    book.professional(world, rng, who, day, level, dx, orgs.ed_physicians, group, codes.id("23"))


# ---------------------------------------------------------------- behavioural health and SUD


def _book_bh_visits(world: World, book: ClaimBook, rng, who, day, dx, cpt_mix) -> None:
    """Add outpatient mental-health visits at the member's BH clinic (POS 11/53 or telehealth)."""
    codes, m, n = world.codes, world.members, len(who)
    own_therapist = rng.random(n) < 0.8
    slot = np.where(own_therapist, m.pcp_slot[who], _random_slot(rng, n))
    clinic = m.bh_clinic[who]
    pos = _pick_rows(rng, codes, BH_VISIT_POS, n)
    hcpcs = _pick_rows(rng, codes, cpt_mix, n)
    book.professional(
        world,
        rng,
        who,
        day,
        hcpcs,
        _diagnoses(world, who, day, dx),
        world.orgs.bh_clinics,
        clinic,
        pos,
        rendering=world.orgs.bh_clinics.clinician(clinic, slot),
        modifier=_telehealth_modifier(codes, pos),
    )


def _mh_dx(world: World) -> np.ndarray:
    """Return each member's mental-health diagnosis: their SMI code, else their mild BH code."""
    m = world.members
    mild = np.full(m.n, -1, dtype=np.int32)
    mild_codes = world.codes.ids(CHRONIC_CODES["mild_bh"])
    in_list = np.isin(m.chronic_dx, mild_codes)
    mild = np.where(in_list.any(axis=1), m.chronic_dx[np.arange(m.n), in_list.argmax(axis=1)], mild)
    # A member whose chronic-code slots are full may have mild BH with no code listed (about 10
    # in 1M members): their visits still need a principal diagnosis. No random draw here, so
    # the rest of the data is unchanged.
    mild = np.where((mild < 0) & m.has["mild_bh"], mild_codes[0], mild)
    return np.where(m.has["smi"], m.smi_dx, mild).astype(np.int32)


def _routine_bh_visits(world: World, book: ClaimBook) -> None:
    rng, m = world.rng("bh visits"), world.members
    rate = np.where(
        m.has["smi"],
        BH_VISIT_RATE["smi"],
        np.where(m.has["mild_bh"], BH_VISIT_RATE["mild_bh"], 0.0),
    )
    who, day = _member_events(world, rng, rate, None)
    _book_bh_visits(world, book, rng, who, day, _mh_dx(world)[who], BH_VISIT_CPT)


def _mh_follow_ups(world: World, book: ClaimBook, stays: Stays, visits: EdVisits) -> None:
    """Add MH follow-up visits after MH discharges (FUH) and MH ED visits (FUM)."""
    rng, codes = world.rng("mh follow-up"), world.codes
    home = np.isin(stays.disposition, codes.ids(["01", "06", "07"]))
    rows = np.flatnonzero((stays.kind == _stay_kind_index("mh")) & home)
    who, discharge = stays.person[rows], stays.discharge[rows]
    week = world.chance(rng, who, discharge, "mh_follow_up_7_day", "mh_follow_up")
    month = ~week & world.chance(rng, who, discharge, "mh_follow_up_30_day_if_later", None)
    after = np.where(week, rng.integers(1, 8, len(rows)), rng.integers(8, 31, len(rows)))
    keep = week | month
    ed = np.flatnonzero((visits.category == 1) & ~visits.admitted)
    ed_who, ed_day = visits.person[ed], visits.day[ed]
    ed_keep = world.chance(rng, ed_who, ed_day, "mh_ed_follow_up_7_day", "mh_follow_up")
    who = np.concatenate([who[keep], ed_who[ed_keep]])
    day = np.concatenate(
        [discharge[keep] + after[keep], ed_day[ed_keep] + rng.integers(1, 8, int(ed_keep.sum()))]
    )
    dx = np.concatenate([stays.dx[rows][keep], visits.dx[ed][ed_keep]])
    ok = world.enrolled_on(who, day)
    _book_bh_visits(world, book, rng, who[ok], day[ok], dx[ok], BH_FOLLOW_UP_CPT)


def _book_sud_services(world: World, book: ClaimBook, rng, who, day, mix) -> None:
    """Add SUD treatment services (H0001/H0004/H0005/H0020, 99408, 90834) with the SUD dx."""
    codes, m, n = world.codes, world.members, len(who)
    hcpcs = _pick_rows(rng, codes, mix, n)
    opioid = m.sud_kind[who] == list(SUD_KINDS).index("opioid")
    hcpcs = np.where((hcpcs == codes.id("H0020")) & ~opioid, codes.id("H0004"), hcpcs)
    pos = _pick_rows(rng, codes, SUD_SERVICE_POS, n)
    program = m.sud_program[who]
    book.professional(
        world,
        rng,
        who,
        day,
        hcpcs,
        _diagnoses(world, who, day, world.members.sud_dx[who]),
        world.orgs.sud_programs,
        program,
        pos,
        modifier=_telehealth_modifier(codes, pos),
    )


@dataclass
class SudEpisodes:
    """New SUD episodes: who, the index day, whether the index is an ED visit, initiation day."""

    person: np.ndarray
    index_day: np.ndarray
    in_ed: np.ndarray
    initiation_day: np.ndarray  # NO_DAY if not initiated within 14 days
    by_medication: np.ndarray  # initiation through a buprenorphine/naltrexone fill


def _sud_episodes(world: World) -> SudEpisodes:
    rng, m = world.rng("sud episodes"), world.members
    who = np.flatnonzero(m.sud_onset != NO_DAY).astype(np.int32)
    onset = m.sud_onset[who]
    in_ed = rng.random(len(who)) < PROBABILITY["sud_index_in_ed"]
    initiated = world.chance(rng, who, onset, "iet_initiation_14_day", "sud_treatment")
    day = onset + rng.integers(1, 15, len(who))
    initiated &= world.enrolled_on(who, day)
    mat_kinds = np.isin(m.sud_kind[who], [list(SUD_KINDS).index(k) for k in ("opioid", "alcohol")])
    by_medication = initiated & mat_kinds & (rng.random(len(who)) < 0.3)
    return SudEpisodes(who, onset, in_ed, np.where(initiated, day, NO_DAY), by_medication)


def _sud_services(world: World, book: ClaimBook, episodes: SudEpisodes, visits: EdVisits) -> None:
    """Add SUD care: ongoing treatment, new-episode index visits, initiation and engagement
    (IET), and follow-up after SUD ED visits (FUA)."""
    rng, m, codes = world.rng("sud services"), world.members, world.codes
    ongoing = np.where(m.has["sud"] & (m.sud_onset == NO_DAY), BH_VISIT_RATE["sud_ongoing"], 0.0)
    who, day = _member_events(world, rng, ongoing, None)
    _book_sud_services(world, book, rng, who, day, SUD_SERVICE_CPT)

    office = np.flatnonzero(~episodes.in_ed)
    o_who, o_day = episodes.person[office], episodes.index_day[office]
    at_pcp = rng.random(len(office)) < 0.6
    group, pcp = world.pcp(o_who, o_day)
    pcp_rows = np.flatnonzero(at_pcp)
    book.professional(
        world,
        rng,
        o_who[pcp_rows],
        o_day[pcp_rows],
        _pick_rows(rng, codes, {"99213": 0.6, "99214": 0.4}, len(pcp_rows)),
        _diagnoses(world, o_who[pcp_rows], o_day[pcp_rows], world.members.sud_dx[o_who[pcp_rows]]),
        world.orgs.primary_care,
        group[pcp_rows],
        codes.id("11"),
        rendering=pcp[pcp_rows],
    )
    clinic_rows = np.flatnonzero(~at_pcp)
    _book_bh_visits(
        world,
        book,
        rng,
        o_who[clinic_rows],
        o_day[clinic_rows],
        world.members.sud_dx[o_who[clinic_rows]],
        {"90791": 1.0},
    )

    start = np.flatnonzero((episodes.initiation_day != NO_DAY) & ~episodes.by_medication)
    _book_sud_services(
        world, book, rng, episodes.person[start], episodes.initiation_day[start], SUD_INITIATION_CPT
    )
    began = np.flatnonzero(episodes.initiation_day != NO_DAY)
    b_who, b_day = episodes.person[began], episodes.initiation_day[began]
    engaged = world.chance(rng, b_who, b_day, "iet_engagement_34_day", "sud_treatment")
    count = np.where(engaged, 2 + rng.poisson(0.8, len(began)), 0)
    e_who, e_start = np.repeat(b_who, count), np.repeat(b_day, count)
    e_day = e_start + rng.integers(1, 35, len(e_who))
    stay_on = engaged & (rng.random(len(began)) < 0.7)
    s_row, s_day = _draw_in_intervals(
        rng,
        b_day[stay_on] + 35,
        b_day[stay_on] + rng.integers(60, 240, int(stay_on.sum())),
        BH_VISIT_RATE["sud_ongoing"],
    )
    ed = np.flatnonzero((visits.category == 2) & ~visits.admitted)
    f_keep = (
        world.chance(
            rng, visits.person[ed], visits.day[ed], "sud_ed_follow_up_7_day", "sud_treatment"
        )
        & m.has["sud"][visits.person[ed]]
    )
    f_who = visits.person[ed][f_keep]
    f_day = visits.day[ed][f_keep] + rng.integers(1, 8, len(f_who))
    who = np.concatenate([e_who, b_who[stay_on][s_row], f_who])
    day = np.concatenate([e_day, s_day, f_day])
    ok = world.enrolled_on(who, day)
    _book_sud_services(world, book, rng, who[ok], day[ok], SUD_SERVICE_CPT)


# ---------------------------------------------------------------- primary care


@dataclass
class Results:
    """Clinical results (EHR feed), collected from visits and tests."""

    person: list[np.ndarray] = field(default_factory=list)
    day: list[np.ndarray] = field(default_factory=list)
    loinc: list[np.ndarray] = field(default_factory=list)
    value: list[np.ndarray] = field(default_factory=list)
    unit: list[np.ndarray] = field(default_factory=list)

    def add(self, codes: Vocab, who: Ints, day: Ints, loinc: str, value: Floats, unit: str) -> None:
        self.person.append(who)
        self.day.append(day)
        self.loinc.append(np.full(len(who), codes.id(loinc), dtype=np.int32))
        self.value.append(np.asarray(value, dtype=np.float64))
        self.unit.append(np.full(len(who), codes.id(unit), dtype=np.int32))


def _visit_clinicians(world: World, rng: np.random.Generator, who, day):
    """Return (group, rendering NPI) for office visits: mostly one's own PCP, sometimes not."""
    orgs, n = world.orgs, len(who)
    group, own = world.pcp(who, day)
    elsewhere = rng.random(n) < PROGRAM.other_practice_share
    group = np.where(elsewhere, rng.integers(0, orgs.primary_care.size, n), group)
    usual = ~elsewhere & (rng.random(n) < orgs.usual_pcp_share[group])
    other = orgs.primary_care.clinician(group, _random_slot(rng, n))
    return group, np.where(usual, own, other)


def _pick_chronic_or_acute(world: World, rng: np.random.Generator, who, day, lists) -> np.ndarray:
    """Return a principal diagnosis: one of the member's chronic conditions, or an acute one."""
    count = (lists >= 0).sum(axis=1)
    pick = lists[
        np.arange(len(who)), np.floor(rng.random(len(who)) * np.maximum(count, 1)).astype(int)
    ]
    acute = _pick_rows(rng, world.codes, ACUTE_OFFICE_DX, len(who))
    return np.where((count > 0) & (rng.random(len(who)) < 0.6), pick, acute).astype(np.int32)


def _add_z_code(dx: np.ndarray, rows: np.ndarray, code: np.ndarray) -> None:
    """Put a code into the first free diagnosis slot of the given claims (the last if full)."""
    free = (dx[rows] >= 0).sum(axis=1)
    dx[rows, np.minimum(free, dx.shape[1] - 1)] = code


def _bmi_code(world: World, who: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Return the Z68 code of each member's BMI on a visit at `age` (18 or older): the adult
    BMI value from 20, else the BMI percentile for age (no random draw)."""
    bmi = world.members.bmi[who]
    adult = _lower_band_code(bmi, BMI_Z68, world.codes)
    return np.where(age < 20, _lower_band_code(bmi, YOUNG_ADULT_BMI_PERCENTILE, world.codes), adult)


def _blood_pressure(world: World, rng, who, day) -> tuple[np.ndarray, np.ndarray]:
    control = world.effects.at("control", who, day) * CLINICAL.bp_control_shift
    m, n = world.members, len(who)
    systolic = m.systolic_mean[who] - control + CLINICAL.systolic_visit_sd * rng.standard_normal(n)
    diastolic = (
        m.diastolic_mean[who] - control / 2 + CLINICAL.diastolic_visit_sd * rng.standard_normal(n)
    )
    return np.round(np.clip(systolic, 90, 210)), np.round(np.clip(diastolic, 50, 125))


def _office_visits(world: World, book: ClaimBook, results: Results) -> None:
    """Add PCP office visits (99212-99215) with BMI, depression screening and CPT II BP codes."""
    rng, m, codes = world.rng("office visits"), world.members, world.codes
    rate = _member_rate(world, "office_visit") * np.sqrt(m.frailty)
    who, day = _member_events(world, rng, rate, "primary_care")
    n = len(who)
    group, rendering = _visit_clinicians(world, rng, who, day)
    chronic = _chronic_lists(world, who, day)
    principal = _pick_chronic_or_acute(world, rng, who, day, chronic)
    dx = _diagnoses(world, who, day, principal, chronic)
    age = world.age_on(who, day)
    adult = np.flatnonzero(age >= 18)
    bmi = adult[world.chance(rng, who[adult], day[adult], "bmi_coded_adult_visit", "screening")]
    _add_z_code(dx, bmi, _bmi_code(world, who[bmi], age[bmi]))
    pos = _pick_rows(rng, codes, OFFICE_VISIT_POS, n)
    claims = book.professional(
        world,
        rng,
        who,
        day,
        _pick_rows(rng, codes, OFFICE_VISIT_CPT, n),
        dx,
        world.orgs.primary_care,
        group,
        pos,
        rendering=rendering,
        modifier=_telehealth_modifier(codes, pos),
    )
    teen = np.flatnonzero(age >= 12)
    screened = teen[
        world.chance(rng, who[teen], day[teen], "depression_screen_per_visit", "screening")
    ]
    positive = rng.random(len(screened)) < PROBABILITY["depression_screen_positive"]
    book.line(claims[screened], 0.0, hcpcs=np.where(positive, codes.id("G8431"), codes.id("G8510")))
    in_person = ~np.isin(pos, codes.ids(["02", "10"]))
    needs_bp = (m.has["hypertension"][who] | m.has["diabetes"][who]) & (age >= 18) & in_person
    bp = np.flatnonzero(needs_bp)
    systolic, diastolic = _blood_pressure(world, rng, who[bp], day[bp])
    coded = world.chance(rng, who[bp], day[bp], "cpt2_coded", "cpt2_coding")
    book.line(claims[bp[coded]], 0.0, hcpcs=_band_code(systolic[coded], SYSTOLIC_CPT2, codes))
    book.line(claims[bp[coded]], 0.0, hcpcs=_band_code(diastolic[coded], DIASTOLIC_CPT2, codes))
    fed = world.chance(rng, who[bp], day[bp], "ehr_result_feed", "ehr_results")
    results.add(codes, who[bp][fed], day[bp][fed], "8480-6", systolic[fed], "mm[Hg]")
    results.add(codes, who[bp][fed], day[bp][fed], "8462-4", diastolic[fed], "mm[Hg]")


def _well_visits(world: World, book: ClaimBook) -> None:
    """Add preventive visits (99381-99397 by age) with Z00 codes and child BMI percentiles."""
    rng, codes = world.rng("well visits"), world.codes
    kids = _yearly_events(world, rng, lambda m, age: age < 18, "well_visit_child", "well_care")
    grown = _yearly_events(world, rng, lambda m, age: age >= 18, "well_visit_adult", "well_care")
    who, day = np.concatenate([kids[0], grown[0]]), np.concatenate([kids[1], grown[1]])
    n = len(who)
    age = world.age_on(who, day)
    band = np.searchsorted(np.array([a for a, _, _ in WELL_VISIT_CPT]), age, side="right") - 1
    new = rng.random(n) < NEW_PATIENT_WELL_VISIT
    cpt = np.where(
        new,
        codes.ids(c for _, c, _ in WELL_VISIT_CPT)[band],
        codes.ids(c for _, _, c in WELL_VISIT_CPT)[band],
    )
    child_dx = _pick_rows(rng, codes, {"Z00129": 0.85, "Z00121": 0.15}, n)
    adult_dx = _pick_rows(rng, codes, {"Z0000": 0.8, "Z0001": 0.2}, n)
    dx = _diagnoses(world, who, day, np.where(age < 18, child_dx, adult_dx))
    school_age = np.flatnonzero((age >= 3) & (age < 18))
    pct = school_age[
        world.chance(
            rng, who[school_age], day[school_age], "bmi_percentile_child_well_visit", "screening"
        )
    ]
    _add_z_code(dx, pct, _pick_rows(rng, codes, CHILD_BMI_PERCENTILE_DX, len(pct)))
    grown_rows = np.flatnonzero(age >= 18)
    _add_z_code(dx, grown_rows, _bmi_code(world, who[grown_rows], age[grown_rows]))
    group, pcp = world.pcp(who, day)
    book.professional(
        world,
        rng,
        who,
        day,
        cpt,
        dx,
        world.orgs.primary_care,
        group,
        codes.id("11"),
        rendering=pcp,
        paid=world.paid(rng, who, day, WELL_VISIT_PAID),
    )


# ---------------------------------------------------------------- tests and screenings


def _lab_claims(world: World, book: ClaimBook, rng, who, day, dx) -> np.ndarray:
    """Add lab claims (POS 81) without lines and return their claim numbers."""
    lab = (world.members.pcp_slot[who] + world.members.home_hospital[who]) % world.orgs.labs.size
    pool = world.orgs.labs
    return book.add(
        who, day, _principal_only(dx), pool.group_npi[lab], pool.tin[lab], pos=world.codes.id("81")
    )


def _lab_line(world: World, book: ClaimBook, rng, claims, who, day, code: str) -> None:
    hcpcs = world.codes.id(code)
    book.line(claims, world.paid(rng, who, day, PAID_MEDIAN[code]), hcpcs=hcpcs)


def _condition_dx(world: World, who: np.ndarray, condition: str) -> np.ndarray:
    lists = world.members.chronic_dx[who]
    wanted = np.isin(lists, world.codes.ids(CHRONIC_CODES[condition]))
    return lists[np.arange(len(who)), wanted.argmax(axis=1)]


def _diabetes_care(world: World, book: ClaimBook, results: Results) -> None:
    """Add HbA1c tests (with eGFR, uACR and lipid panels on the first), CPT II A1c levels, eye
    exams, and HbA1c results in the clinical feed for some practices more than others."""
    rng, codes, m = world.rng("diabetes care"), world.codes, world.members

    def diabetic(members: Members, age: np.ndarray) -> np.ndarray:
        return members.has["diabetes"] & (age >= 18) & (age <= 75)

    who, day = _yearly_events(world, rng, diabetic, "a1c_test_diabetic_year", "diabetes_care")
    extra = rng.random(len(who)) < PROBABILITY["a1c_extra_tests"]
    later = day + rng.integers(60, 200, len(who))
    extra &= world.enrolled_on(who, later) & (world.cal.year(later) == world.cal.year(day))
    tests_who = np.concatenate([who, who[extra]])
    tests_day = np.concatenate([day, later[extra]])
    first = np.arange(len(tests_who)) < len(who)
    dx = _condition_dx(world, tests_who, "diabetes")
    claims = _lab_claims(world, book, rng, tests_who, tests_day, dx)
    _lab_line(world, book, rng, claims, tests_who, tests_day, "83036")
    for base, lab_codes in (
        ("egfr_diabetic_year", ("82565",)),
        ("uacr_diabetic_year", ("82043", "82570")),
        ("lipid_diabetic_year", ("80061",)),
    ):
        rows = np.flatnonzero(first)
        rows = rows[world.chance(rng, tests_who[rows], tests_day[rows], base, "diabetes_care")]
        for code in lab_codes:
            _lab_line(world, book, rng, claims[rows], tests_who[rows], tests_day[rows], code)
    control = world.effects.at("control", tests_who, tests_day) * CLINICAL.a1c_control_shift
    noise = CLINICAL.a1c_test_sd * rng.standard_normal(len(tests_who))
    a1c = np.round(np.clip(m.a1c_mean[tests_who] - control + noise, 4.5, 15.0), 1)
    coded = world.chance(rng, tests_who, tests_day, "cpt2_coded", "cpt2_coding")
    book.line(claims[coded], 0.0, hcpcs=_band_code(a1c[coded], A1C_CPT2, codes))
    fed = world.chance(rng, tests_who, tests_day, "ehr_result_feed", "ehr_results")
    results.add(codes, tests_who[fed], tests_day[fed], "4548-4", a1c[fed], "%")

    e_who, e_day = _yearly_events(world, rng, diabetic, "eye_exam_diabetic_year", "screening")
    photo = rng.random(len(e_who)) < 0.55
    eye = world.orgs.eye
    group = m.pcp_slot[e_who] % eye.size
    e_dx = _principal_only(_condition_dx(world, e_who, "diabetes"))
    hcpcs = np.where(photo, codes.id("92250"), codes.id("92014"))
    claims = book.professional(world, rng, e_who, e_day, hcpcs, e_dx, eye, group, codes.id("11"))
    exam = np.flatnonzero(~photo)
    retinopathy = rng.random(len(exam)) < 0.3
    book.line(claims[exam], 0.0, hcpcs=np.where(retinopathy, codes.id("2022F"), codes.id("2023F")))


def _screenings(world: World, book: ClaimBook, antipsychotic: np.ndarray) -> None:
    """Add glucose tests for members on antipsychotics, screening labs, mammograms, colorectal
    screening and spirometry."""
    rng, codes, orgs = world.rng("screenings"), world.codes, world.orgs

    def on_antipsychotic(m: Members, age: np.ndarray) -> np.ndarray:
        return antipsychotic & ~m.has["diabetes"] & (age >= 18) & (age <= 64)

    who, day = _yearly_events(
        world, rng, on_antipsychotic, "glucose_test_on_antipsychotic_year", "diabetes_care"
    )
    claims = _lab_claims(world, book, rng, who, day, _mh_dx(world)[who])
    glucose = rng.random(len(who)) < 0.6
    for code, rows in (
        ("82947", glucose),
        ("83036", ~glucose),
        ("80061", rng.random(len(who)) < 0.5),
    ):
        _lab_line(world, book, rng, claims[rows], who[rows], day[rows], code)

    plain = [
        (
            "lipid_screen_adult_40_year",
            lambda m, a: ~m.has["diabetes"] & (a >= 40),
            "80061",
            "Z13220",
        ),
        ("a1c_screen_adult_35_year", lambda m, a: ~m.has["diabetes"] & (a >= 35), "83036", "Z131"),
        ("fit_year", lambda m, a: (a >= 45) & (a <= 75), "82274", "Z1211"),
    ]
    for base, eligible, code, dx in plain:
        who, day = _yearly_events(world, rng, eligible, base, "screening")
        claims = _lab_claims(world, book, rng, who, day, np.full(len(who), codes.id(dx)))
        _lab_line(world, book, rng, claims, who, day, code)

    procedures = [
        (
            "mammogram_year",
            lambda m, a: (m.gender == FEMALE) & (a >= 40) & (a <= 74),
            "77067",
            "Z1231",
            orgs.imaging,
            "22",
        ),
        ("colonoscopy_year", lambda m, a: (a >= 45) & (a <= 75), "45378", "Z1211", orgs.gi, "24"),
        (
            "spirometry_copd_year",
            lambda m, a: m.has["copd"] & (a >= 40),
            "94010",
            "J449",
            orgs.pulmonary,
            "11",
        ),
    ]
    for base, eligible, code, dx, pool, pos in procedures:
        who, day = _yearly_events(world, rng, eligible, base, "screening")
        if base == "spirometry_copd_year":  # coded J449 only once COPD shows on claims
            known = world.copd_known(who, day)
            who, day = who[known], day[known]
        group = world.members.pcp_slot[who] % pool.size
        book.professional(
            world,
            rng,
            who,
            day,
            np.full(len(who), codes.id(code)),
            _principal_only(np.full(len(who), codes.id(dx))),
            pool,
            group,
            codes.id(pos),
        )

    rng = world.rng("stool dna")
    who, day = _yearly_events(
        world, rng, lambda m, a: (a >= 45) & (a <= 75), "stool_dna_year", "screening"
    )
    claims = _lab_claims(world, book, rng, who, day, np.full(len(who), codes.id("Z1211")))
    _lab_line(world, book, rng, claims, who, day, "81528")


def _copd_diagnoses(world: World, book: ClaimBook) -> None:
    """Add the office visit where COPD first shows on claims (copd_onset) and, for some,
    spirometry around it: before the visit coded with the symptom, after it with COPD."""
    rng, m, codes = world.rng("copd diagnoses"), world.members, world.codes
    who = np.flatnonzero(m.copd_onset != NO_DAY).astype(np.int32)
    onset, n = m.copd_onset[who], len(who)
    listed = np.isin(m.chronic_dx[who], codes.ids(CHRONIC_CODES["copd"]))
    copd = np.where(
        listed.any(axis=1),
        m.chronic_dx[who, listed.argmax(axis=1)],
        codes.ids(CHRONIC_CODES["copd"])[0],
    )
    group, rendering = _visit_clinicians(world, rng, who, onset)
    book.professional(
        world,
        rng,
        who,
        onset,
        _pick_rows(rng, codes, {"99213": 0.5, "99214": 0.5}, n),
        _diagnoses(world, who, onset, copd),
        world.orgs.primary_care,
        group,
        codes.id("11"),
        rendering=rendering,
    )
    tested = world.chance(rng, who, onset, "spirometry_new_copd", "screening")
    before = rng.random(n) < 0.25
    day = onset + np.where(before, rng.integers(-60, 0, n), rng.integers(0, 151, n))
    tested &= world.enrolled_on(who, day)
    dx = np.where(before, _pick_rows(rng, codes, COPD_SYMPTOM_DX, n), copd)
    rows = np.flatnonzero(tested)
    pool = world.orgs.pulmonary
    book.professional(
        world,
        rng,
        who[rows],
        day[rows],
        np.full(len(rows), codes.id("94010")),
        _principal_only(dx[rows]),
        pool,
        m.pcp_slot[who[rows]] % pool.size,
        codes.id("11"),
    )


# ---------------------------------------------------------------- outpatient and LTSS


def _outpatient_services(world: World, book: ClaimBook) -> None:
    """Add hospital outpatient claims (type of bill 131 without an ED line): imaging, labs,
    day surgery and clinic visits."""
    rng, codes, orgs = world.rng("outpatient"), world.codes, world.orgs
    who, day = _member_events(world, rng, _member_rate(world, "outpatient_visit"), None)
    services = list(OUTPATIENT_SERVICES.values())
    shares = np.array([s[0] for s in services])
    kind = rng.choice(len(services), size=len(who), p=shares / shares.sum())
    revenue = codes.ids(s[1] for s in services)[kind]
    hcpcs = codes.ids(s[2] for s in services)[kind]
    median = np.array([s[3] for s in services])[kind]
    hospital = world.members.home_hospital[who]
    chronic = _chronic_lists(world, who, day)
    principal = _pick_chronic_or_acute(world, rng, who, day, chronic)
    dx = _diagnoses(world, who, day, principal, chronic)
    claims = book.add(
        who,
        day,
        dx,
        orgs.hospitals.group_npi[hospital],
        orgs.hospitals.tin[hospital],
        institutional=True,
        bill_type=codes.id("131"),
    )
    book.line(claims, world.paid(rng, who, day, median, 0.45), hcpcs=hcpcs, revenue=revenue)


def _ltss_dx(world: World, who: np.ndarray) -> np.ndarray:
    """Return the disability code of members who have one, else R54 (age-related debility)."""
    disabled = world.members.has["disability"][who]
    return np.where(disabled, _condition_dx(world, who, "disability"), world.codes.id("R54"))


def _ltss_services(world: World, book: ClaimBook, stays: Stays) -> None:
    """Add LTSS: monthly personal-care claims (T1019), home-health claims (type of bill 32x) and
    nursing-facility stays (21x) after hospital discharges to a nursing facility (status 03)."""
    rng, m, codes, cal, orgs = world.rng("ltss"), world.members, world.codes, world.cal, world.orgs
    need = (m.has["disability"] & (m.age >= 3)) | (m.age >= 65)
    pca = need & (rng.random(m.n) < LTSS.pca_share)
    joins = np.where(rng.random(m.n) < 0.6, 0, rng.integers(0, cal.n_months, m.n))
    months = np.arange(cal.n_months)[None, :] >= joins[:, None]
    who, month = np.nonzero(m.enrolled & pca[:, None] & months)
    start = np.maximum(cal.month_start[month], m.first_day[who])
    end = np.minimum(cal.month_start[month + 1] - 1, m.last_day[who])
    agency = m.pcp_slot[who] % orgs.home_care.size
    share = (end - start + 1) / (cal.month_start[month + 1] - cal.month_start[month])
    claims = book.add(
        who,
        start,
        _principal_only(_ltss_dx(world, who)),
        orgs.home_care.group_npi[agency],
        orgs.home_care.tin[agency],
        end=end,
        pos=codes.id("12"),
        rendering_npi=orgs.home_care.clinician(agency, m.pcp_slot[who]),
    )
    book.line(
        claims,
        world.paid(rng, who, start, LTSS.pca_monthly_paid * share, 0.35),
        hcpcs=codes.id("T1019"),
    )

    who, day = _member_events(world, rng, np.where(need, LTSS.home_health_rate, 0.0), None)
    agency = m.pcp_slot[who] % orgs.home_care.size
    claims = book.add(
        who,
        day,
        _diagnoses(world, who, day, _ltss_dx(world, who)),
        orgs.home_care.group_npi[agency],
        orgs.home_care.tin[agency],
        institutional=True,
        bill_type=codes.id("321"),
    )
    book.line(
        claims,
        world.paid(rng, who, day, LTSS.home_health_paid, 0.5),
        hcpcs=codes.id("G0299"),
        revenue=codes.id("0551"),
    )

    rows = np.flatnonzero(stays.disposition == codes.id("03"))
    who, admit = stays.person[rows], stays.discharge[rows]
    last = np.minimum(m.last_day[who], cal.n_days - 1)
    discharge = np.minimum(admit + rng.geometric(LTSS.snf_discharge_chance, len(rows)), last)
    facility = m.home_hospital[who] % orgs.nursing_facilities.size
    claims = book.add(
        who,
        admit,
        _principal_only(stays.dx[rows]),
        orgs.nursing_facilities.group_npi[facility],
        orgs.nursing_facilities.tin[facility],
        institutional=True,
        end=discharge,
        admission=admit,
        discharge=discharge,
        disposition=codes.id("01"),
        bill_type=codes.id("211"),
    )
    days = np.maximum(discharge - admit, 1)
    book.line(
        claims, world.paid(rng, who, admit, LTSS.snf_per_diem * days, 0.2), revenue=codes.id("0120")
    )


def _hospice_care(world: World, book: ClaimBook) -> None:
    """Add hospice care (type of bill 811, revenue 0651: routine home care) in the last days
    of some members who die, for measures that leave them out as HEDIS does."""
    rng, m, codes, cal, orgs = (
        world.rng("hospice"),
        world.members,
        world.codes,
        world.cal,
        world.orgs,
    )
    who = np.flatnonzero(m.died & (rng.random(m.n) < LTSS.hospice_share_of_deaths))
    last = np.minimum(m.last_day[who], cal.n_days - 1)
    first = np.maximum(last - rng.geometric(1 / LTSS.hospice_mean_days, len(who)), m.first_day[who])
    agency = m.pcp_slot[who] % orgs.home_care.size
    claims = book.add(
        who,
        first,
        _principal_only(_pick_rows(rng, codes, TERMINAL_STAY_DX, len(who))),
        orgs.home_care.group_npi[agency],
        orgs.home_care.tin[agency],
        institutional=True,
        end=last,
        bill_type=codes.id("811"),
    )
    paid = world.paid(rng, who, first, LTSS.hospice_per_diem * (last - first + 1), 0.2)
    book.line(claims, paid, revenue=codes.id("0651"))


# ---------------------------------------------------------------- serious illness


@dataclass(frozen=True)
class AdvancedIllness:
    """Members with an advanced illness besides COPD (SERIOUS_ILLNESS) and its code."""

    who: np.ndarray
    dx: np.ndarray  # vocab id of each member's advanced illness


def _serious_illness_care(world: World, book: ClaimBook) -> None:
    """Add what HEDIS's exclusions look for among members who live on: visits for an advanced
    illness, frailty on claims of members 65 and older, palliative care and hospice with a
    live discharge (SERIOUS_ILLNESS). Its own random stream, and booked after every other
    claim, so the rest of the demo is unchanged."""
    rng = world.rng("serious illness")
    ill = _advanced_illness(world, rng)
    _illness_visits(world, book, rng, ill)
    _frailty_claims(world, book, rng, ill)
    who, dx, first = _palliative_care(world, book, rng, ill)
    _hospice_discharged_alive(world, book, rng, who, dx, first)


def _advanced_illness(world: World, rng: np.random.Generator) -> AdvancedIllness:
    """Draw who has an advanced illness (by age group) and which one (dementia from 65)."""
    m, codes = world.members, world.codes
    share = np.array(SERIOUS_ILLNESS.advanced_illness_by_age)[_age_group(m.age)]
    who = np.flatnonzero(rng.random(m.n) < share).astype(np.int32)
    older = _pick_rows(rng, codes, ADVANCED_ILLNESS_DX_65, len(who))
    younger = _pick_rows(rng, codes, ADVANCED_ILLNESS_DX_UNDER_65, len(who))
    return AdvancedIllness(who, np.where(m.age[who] >= 65, older, younger).astype(np.int32))


def _covered_events(
    world: World, rng: np.random.Generator, who: np.ndarray, first: np.ndarray, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """Draw Poisson events of members from `first` to their last covered day; return (row of
    `who`, day), covered days only."""
    last = np.minimum(world.members.last_day[who], world.cal.n_days - 1)
    row, day = _draw_in_intervals(rng, first, last, rate)
    keep = world.enrolled_on(who[row], day)
    return row[keep], day[keep]


def _office_claims(
    world: World, book: ClaimBook, rng: np.random.Generator, who, day, principal, cpt_mix
) -> np.ndarray:
    """Add office visits (place of service 11) with a principal diagnosis and the member's
    chronic ones, at the member's practice; return the claim numbers."""
    group, rendering = _visit_clinicians(world, rng, who, day)
    return book.professional(
        world,
        rng,
        who,
        day,
        _pick_rows(rng, world.codes, cpt_mix, len(who)),
        _diagnoses(world, who, day, principal),
        world.orgs.primary_care,
        group,
        world.codes.id("11"),
        rendering=rendering,
    )


def _illness_visits(
    world: World, book: ClaimBook, rng: np.random.Generator, ill: AdvancedIllness
) -> None:
    """Add office visits coded with each member's advanced illness."""
    rate = SERIOUS_ILLNESS.illness_visits_per_month
    row, day = _covered_events(world, rng, ill.who, world.members.first_day[ill.who], rate)
    mix = {"99213": 0.3, "99214": 0.55, "99215": 0.15}
    _office_claims(world, book, rng, ill.who[row], day, ill.dx[row], mix)


def _frailty_claims(
    world: World, book: ClaimBook, rng: np.random.Generator, ill: AdvancedIllness
) -> None:
    """Add frailty of members 65 and older: office visits coded with a frailty diagnosis
    (FRAILTY_DX) and equipment (FRAILTY_DEVICE) from a supplier, delivered at home."""
    m, codes, orgs, shape = world.members, world.codes, world.orgs, SERIOUS_ILLNESS
    ill_member = np.zeros(m.n, dtype=bool)
    ill_member[ill.who] = True
    share = np.where(ill_member, shape.frail_with_illness, shape.frail_without_illness)
    frail = np.flatnonzero((m.age >= 65) & (rng.random(m.n) < share)).astype(np.int32)
    rate = shape.frailty_claims_per_month
    row, day = _covered_events(world, rng, frail, m.first_day[frail], rate)
    who, dx = frail[row], _pick_rows(rng, codes, FRAILTY_DX, len(row))
    equipment = rng.random(len(who)) < shape.frailty_equipment_share
    rows = np.flatnonzero(equipment)
    supplier = m.pcp_slot[who[rows]] % orgs.home_care.size
    book.professional(
        world,
        rng,
        who[rows],
        day[rows],
        _pick_rows(rng, codes, FRAILTY_DEVICE, len(rows)),
        _principal_only(dx[rows]),
        orgs.home_care,
        supplier,
        codes.id("12"),
        paid=world.paid(rng, who[rows], day[rows], shape.frailty_equipment_paid, 0.4),
    )
    rows = np.flatnonzero(~equipment)
    _office_claims(world, book, rng, who[rows], day[rows], dx[rows], {"99213": 0.5, "99214": 0.5})


def _palliative_care(
    world: World, book: ClaimBook, rng: np.random.Generator, ill: AdvancedIllness
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Add palliative care of some members with an advanced illness: visits by their hospital's
    palliative team, at home or in the office, coded with the illness and Z51.5 (encounter for
    palliative care), from a first visit (which also reports M1017, admitted to palliative
    care) on. Return (member, illness, day of the first visit) of each member in care."""
    m, codes, orgs, shape = world.members, world.codes, world.orgs, SERIOUS_ILLNESS
    chosen = rng.random(len(ill.who)) < shape.palliative_share
    who, dx = ill.who[chosen], ill.dx[chosen]
    last = np.minimum(m.last_day[who], world.cal.n_days - 1)
    span = np.maximum(last - m.first_day[who] + 1, 0)
    first = (m.first_day[who] + np.floor(rng.random(len(who)) * span)).astype(np.int32)
    covered = world.enrolled_on(who, first)
    who, dx, first = who[covered], dx[covered], first[covered]
    row, day = _covered_events(world, rng, who, first + 1, shape.palliative_visits_per_month)
    row = np.concatenate([np.arange(len(who)), row])
    day = np.concatenate([first, day]).astype(np.int32)
    visitor, cpt = who[row], _pick_rows(rng, codes, PALLIATIVE_CPT, len(row))
    diagnoses = _diagnoses(world, visitor, day, dx[row])
    _add_z_code(diagnoses, np.arange(len(row)), codes.id("Z515"))
    home = rng.random(len(row)) < shape.palliative_home_share
    team = m.home_hospital[visitor]
    claims = book.add(
        visitor,
        day,
        diagnoses,
        orgs.hospitals.group_npi[team],
        orgs.hospitals.tin[team],
        pos=np.where(home, codes.id("12"), codes.id("11")),
        rendering_npi=orgs.hospitals.clinician(team, m.pcp_slot[visitor]),
    )
    priced = codes.ids(PALLIATIVE_PAID)
    median = np.zeros(len(codes.strings))
    median[priced] = list(PALLIATIVE_PAID.values())
    book.line(claims, world.paid(rng, visitor, day, median[cpt]), hcpcs=cpt)
    book.line(claims[: len(who)], 0.0, hcpcs=codes.id("M1017"))
    return who, dx, first


def _hospice_discharged_alive(
    world: World, book: ClaimBook, rng: np.random.Generator, who, dx, first
) -> None:
    """Add hospice care (type of bill 811, revenue 0651: routine home care, billed by month)
    of some members in palliative care who do not die: it starts some time after palliative
    care and ends with a live discharge, or with the member's coverage or the data."""
    m, codes, cal, orgs, shape = world.members, world.codes, world.cal, world.orgs, SERIOUS_ILLNESS
    chosen = ~m.died[who] & (rng.random(len(who)) < shape.hospice_share)
    who, dx, first = who[chosen], dx[chosen], first[chosen]
    start = first + rng.geometric(1 / shape.hospice_days_after_palliative, len(who))
    stop = start + rng.geometric(1 / shape.hospice_mean_days, len(who)) - 1
    stop = np.minimum(stop, np.minimum(m.last_day[who], cal.n_days - 1))
    chosen = (start <= stop) & world.enrolled_on(who, start)
    who, dx, start, stop = who[chosen], dx[chosen], start[chosen], stop[chosen]
    months = cal.month(stop) - cal.month(start) + 1
    row = np.repeat(np.arange(len(who)), months)
    month = cal.month(start)[row] + _ranks_within(months)
    bill_start = np.maximum(start[row], cal.month_start[month]).astype(np.int32)
    bill_stop = np.minimum(stop[row], cal.month_start[month + 1] - 1).astype(np.int32)
    billed = world.enrolled_on(who[row], bill_start)
    row, bill_start, bill_stop = row[billed], bill_start[billed], bill_stop[billed]
    agency = m.pcp_slot[who[row]] % orgs.home_care.size
    claims = book.add(
        who[row],
        bill_start,
        _principal_only(dx[row]),
        orgs.home_care.group_npi[agency],
        orgs.home_care.tin[agency],
        institutional=True,
        end=bill_stop,
        bill_type=codes.id("811"),
    )
    days = bill_stop - bill_start + 1
    paid = world.paid(rng, who[row], bill_start, LTSS.hospice_per_diem * days, 0.2)
    book.line(claims, paid, revenue=codes.id("0651"))


def _long_acting_injections(world: World, book: ClaimBook, on_antipsychotic: np.ndarray) -> None:
    """Add long-acting injectable antipsychotics given at the member's BH clinic (LAI,
    LAI_DRUGS): a professional claim per dose with the drug's HCPCS code and the injection
    (CPT 96372), every 14 or 28 days as the drug says, some doses late or missed, some members
    stopping; only on days the member is enrolled. Its own random stream, so the rest of the
    demo is unchanged."""
    rng, m, codes, cal = world.rng("long-acting injections"), world.members, world.codes, world.cal
    schizophrenia = m.smi_kind == list(SMI_KINDS).index("schizophrenia")
    share = np.where(on_antipsychotic, LAI.with_oral_share, LAI.without_oral_share)
    who = np.flatnonzero(schizophrenia & (rng.random(m.n) < share))
    n = len(who)
    kind = _draw_by_share(rng, (d.share for d in LAI_DRUGS), n)
    interval = np.array([d.days for d in LAI_DRUGS])[kind]
    prevalent = m.start_day[who] < 0  # already on injections when the data start
    span = np.maximum(m.last_day[who] - m.first_day[who], 1)
    offset = np.floor(rng.random(n) * np.where(prevalent, interval, span)).astype(np.int32)
    start = m.first_day[who] + offset
    width = int(np.ceil(cal.n_days / min(d.days for d in LAI_DRUGS))) + 2
    missed = rng.random((n, width)) < LAI.missed_dose
    late = np.round(rng.exponential(LAI.late_mean, (n, width)))
    steps = interval[:, None] * (1 + missed) + late
    offsets = np.concatenate([np.zeros((n, 1)), np.cumsum(steps[:, :-1], axis=1)], axis=1)
    doses = rng.geometric(LAI.stop, n)
    row, k = np.nonzero(np.arange(width)[None, :] < doses[:, None])
    day = (start[row] + offsets[row, k]).astype(np.int32)
    ok = world.enrolled_on(who[row], day)
    row, day = row[ok], day[ok]
    person, drug = who[row], kind[row]
    clinic = m.bh_clinic[person]
    claims = book.add(
        person,
        day,
        _diagnoses(world, person, day, m.smi_dx[person]),
        world.orgs.bh_clinics.group_npi[clinic],
        world.orgs.bh_clinics.tin[clinic],
        pos=_pick_rows(rng, codes, LAI_POS, len(row)),
        rendering_npi=world.orgs.bh_clinics.clinician(clinic, m.pcp_slot[person]),
    )
    hcpcs = codes.ids(d.hcpcs for d in LAI_DRUGS)[drug]
    paid = np.array([d.paid for d in LAI_DRUGS])[drug]
    book.line(claims, world.paid(rng, person, day, paid, 0.2), hcpcs=hcpcs)
    administration = world.paid(rng, person, day, LAI.administration_paid, 0.2)
    book.line(claims, administration, hcpcs=codes.id(LAI.administration_cpt))


# ---------------------------------------------------------------- pharmacy


@dataclass
class Fills:
    person: np.ndarray
    day: np.ndarray
    drug: np.ndarray  # index into DRUGS
    supply: np.ndarray
    paid: np.ndarray
    prescriber: np.ndarray  # vocab id


DRUG_CLASSES: tuple[str, ...] = tuple(dict.fromkeys(d.drawn_for for d in DRUGS))  # regimens
BH_PRESCRIBED = ("antipsychotic", "buprenorphine", "naltrexone")
MONTHLY_ONLY = ("buprenorphine", "naltrexone")


def _regimens(world: World, rng: np.random.Generator, episodes: SudEpisodes):
    """Return (person, drug class index) of every regimen, one per member and class (members
    whose SUD treatment starts with a prescription get one)."""
    m = world.members
    chose = episodes.person[episodes.by_medication]
    opioid = m.sud_kind[chose] == list(SUD_KINDS).index("opioid")
    mat = np.where(opioid, DRUG_CLASSES.index("buprenorphine"), DRUG_CLASSES.index("naltrexone"))
    people, classes = [chose], [mat]
    for condition, by_class in REGIMENS.items():
        if condition in SMI_KINDS:
            who = np.flatnonzero(m.smi_kind == list(SMI_KINDS).index(condition))
        elif condition in SUD_KINDS:
            who = np.flatnonzero(m.sud_kind == list(SUD_KINDS).index(condition))
        else:
            who = np.flatnonzero(m.has[condition])
        for drug_class, share in by_class.items():
            on = who[rng.random(len(who)) < share]
            people.append(on)
            classes.append(np.full(len(on), DRUG_CLASSES.index(drug_class)))
    key = np.unique(np.concatenate(people).astype(np.int64) * 64 + np.concatenate(classes))
    return (key // 64).astype(np.int32), (key % 64).astype(np.int16)


def _draw_fills(world: World, episodes: SudEpisodes) -> Fills:
    """Draw refill histories: 30- or 90-day fills, late refills and stops for the non-adherent."""
    rng = world.rng("pharmacy")
    who, drug_class = _regimens(world, rng, episodes)
    n = len(who)
    class_drugs = [np.flatnonzero([d.drawn_for == c for d in DRUGS]) for c in DRUG_CLASSES]
    drug = np.zeros(n, dtype=np.int32)
    for k, options in enumerate(class_drugs):
        rows = np.flatnonzero(drug_class == k)
        drug[rows] = options[rng.integers(0, len(options), len(rows))]
    monthly = np.isin(drug_class, [DRUG_CLASSES.index(c) for c in MONTHLY_ONLY])
    supply = np.where(~monthly & (rng.random(n) < REFILLS.ninety_day_share), 90, 30).astype(
        np.int32
    )
    start = _regimen_starts(world, rng, who, drug_class, supply, episodes)
    fills = _refills(world, rng, who, drug, supply, drug_class, start)
    return _fixed_supply_refills(world, fills, who, drug, drug_class, start)


def _fixed_supply_refills(world: World, fills: Fills, who, drug, drug_class, start) -> Fills:
    """Return the fills with those of drugs given at fixed intervals (Drug.fixed_supply: a
    monthly injection dispensed by a pharmacy) drawn again with that supply, on a random
    stream of their own, so every other fill is unchanged."""
    fixed = np.array([d.fixed_supply for d in DRUGS])
    rows = np.flatnonzero(fixed[drug] > 0)
    if not len(rows):
        return fills
    keep = fixed[fills.drug] == 0
    others = Fills(*(getattr(fills, f)[keep] for f in Fills.__dataclass_fields__))
    rng = world.rng("fixed supply fills")
    supply = fixed[drug[rows]].astype(np.int32)
    redrawn = _refills(world, rng, who[rows], drug[rows], supply, drug_class[rows], start[rows])
    return _joined(others, redrawn)


def _refills(world: World, rng, who, drug, supply, drug_class, start) -> Fills:
    """Return the fills of regimens from their first fill: late refills and stops for the
    non-adherent, only on days the member is enrolled."""
    cal, n = world.cal, len(who)
    adherent = world.chance(rng, who, start, "adherent_regimen", "adherence")
    width = int(np.ceil(cal.n_days / 23)) + 2
    steps = supply[:, None] + _days_late(rng, adherent, width)
    offsets = np.concatenate([np.zeros((n, 1)), np.cumsum(steps[:, :-1], axis=1)], axis=1)
    stop_chance = np.where(adherent, REFILLS.adherent_stop, REFILLS.non_adherent_stop)
    fills_before_stop = rng.geometric(stop_chance)
    row, k = np.nonzero(np.arange(width)[None, :] < fills_before_stop[:, None])
    day = (start[row] + offsets[row, k]).astype(np.int32)
    ok = world.enrolled_on(who[row], day)
    row, day = row[ok], day[ok]
    return _fills_from(world, rng, who[row], day, drug[row], supply[row], drug_class[row])


def _medicines_off_claims(world: World, on_antipsychotic: np.ndarray) -> Fills:
    """Draw the fills of OFF_CLAIMS: diabetes medicines (not metformin) of members whose
    diabetes is not on claims, and metformin alone for members without diabetes. Its own
    random stream, so the other fills are unchanged."""
    rng, m = world.rng("medicines off claims"), world.members
    no_diabetes = ~m.has["diabetes"]
    adult = (m.age >= 18) & (m.age <= 64)
    metformin_chance = np.where(
        on_antipsychotic, OFF_CLAIMS.metformin_on_antipsychotic_share, OFF_CLAIMS.metformin_share
    )
    by_rx = np.flatnonzero(
        no_diabetes & (m.age >= 30) & (rng.random(m.n) < OFF_CLAIMS.diabetes_share)
    )
    alone = np.flatnonzero(no_diabetes & adult & (rng.random(m.n) < metformin_chance))
    alone = np.setdiff1d(alone, by_rx)
    options = np.flatnonzero([d.drug_class in OFF_CLAIMS.diabetes_drugs for d in DRUGS])
    metformin = next(i for i, d in enumerate(DRUGS) if d.drug_class == "metformin")
    who = np.concatenate([by_rx, alone]).astype(np.int32)
    drug = np.concatenate(
        [options[rng.integers(0, len(options), len(by_rx))], np.full(len(alone), metformin)]
    ).astype(np.int32)
    drug_class = np.array([DRUG_CLASSES.index(DRUGS[i].drawn_for) for i in drug], dtype=np.int16)
    n = len(who)
    supply = np.where(rng.random(n) < REFILLS.ninety_day_share, 90, 30).astype(np.int32)
    span = np.maximum(m.last_day[who] - m.first_day[who], 1)
    start = (m.first_day[who] + np.floor(rng.random(n) * span)).astype(np.int32)
    return _refills(world, rng, who, drug, supply, drug_class, start)


def _joined(one: Fills, other: Fills) -> Fills:
    """Return the fills of both."""
    return Fills(
        *(np.concatenate([getattr(one, f), getattr(other, f)]) for f in Fills.__dataclass_fields__)
    )


def _days_late(rng: np.random.Generator, adherent: np.ndarray, width: int) -> np.ndarray:
    """Return (regimens, width) days each refill comes after the last supply runs out."""
    late = np.empty((len(adherent), width), dtype=np.float32)
    on_time = np.flatnonzero(adherent)
    early_or_late = rng.normal(
        REFILLS.adherent_late_mean, REFILLS.adherent_late_sd, (len(on_time), width)
    )
    late[on_time] = np.clip(np.round(early_or_late), -5, 7)
    behind = np.flatnonzero(~adherent)
    late[behind] = np.round(rng.exponential(REFILLS.non_adherent_late_mean, (len(behind), width)))
    return late


def _regimen_starts(world: World, rng, who, drug_class, supply, episodes: SudEpisodes):
    """Prevalent users refill early in the window; others start at a random covered day."""
    m, n = world.members, len(who)
    prevalent = (m.start_day[who] < 0) & (rng.random(n) < REFILLS.prevalent_share)
    continuing = m.first_day[who] + np.floor(rng.random(n) * supply).astype(np.int32)
    span = np.maximum(m.last_day[who] - m.first_day[who], 1)
    anytime = m.first_day[who] + np.floor(rng.random(n) * span).astype(np.int32)
    start = np.where(prevalent, continuing, anytime)
    onset = m.sud_onset[who]
    sud_drug = np.isin(drug_class, [DRUG_CLASSES.index(c) for c in MONTHLY_ONLY])
    new_episode = sud_drug & (onset != NO_DAY)
    by_fill = np.full(m.n, NO_DAY, dtype=np.int32)
    chose = episodes.by_medication
    by_fill[episodes.person[chose]] = episodes.initiation_day[chose]
    start = np.where(new_episode, np.maximum(start, onset + 15), start)
    start = np.where(new_episode & (by_fill[who] != NO_DAY), by_fill[who], start)
    copd_onset = m.copd_onset[who]
    copd_drug = (drug_class == DRUG_CLASSES.index("copd_maintenance")) & (copd_onset != NO_DAY)
    start = np.where(copd_drug, np.maximum(start, copd_onset), start)
    return start.astype(np.int32)


def _fills_from(world: World, rng, who, day, drug, supply, drug_class) -> Fills:
    m, orgs = world.members, world.orgs
    paid_30 = np.array([d.paid_30_days for d in DRUGS])[drug]
    years = (day - world.cal.n_days / 2) / 365.25
    paid = (
        paid_30
        * supply
        / 30
        * np.exp(0.15 * rng.standard_normal(len(who)) + REFILLS.inflation * years)
    )
    bh = np.isin(drug_class, [DRUG_CLASSES.index(c) for c in BH_PRESCRIBED])
    bh_prescriber = orgs.bh_clinics.clinician(m.bh_clinic[who], m.pcp_slot[who])
    _, pcp = world.pcp(who, day)
    return Fills(who, day, drug, supply, np.round(paid, 2), np.where(bh, bh_prescriber, pcp))


def _on_antipsychotic(world: World, fills: Fills) -> np.ndarray:
    antipsychotic = np.array([d.drug_class == "antipsychotic" for d in DRUGS])
    out = np.zeros(world.members.n, dtype=bool)
    out[fills.person[antipsychotic[fills.drug]]] = True
    return out


# ---------------------------------------------------------------- CP activity


@dataclass
class Activities:
    person: list[np.ndarray] = field(default_factory=list)
    cp: list[np.ndarray] = field(default_factory=list)
    day: list[np.ndarray] = field(default_factory=list)
    code: list[np.ndarray] = field(default_factory=list)
    modifier: list[np.ndarray] = field(default_factory=list)
    success: list[np.ndarray] = field(default_factory=list)
    modifier_2: list[np.ndarray] = field(default_factory=list)

    def add(
        self,
        who: Ints,
        cp: Ints,
        day: Ints,
        code: Ints,
        modifier: Ints = -1,
        success: Bools = True,
        modifier_2: Ints = -1,
    ) -> None:
        n = len(who)
        self.person.append(np.asarray(who, dtype=np.int32))
        self.cp.append(np.asarray(cp, dtype=np.int32))
        self.day.append(np.asarray(day, dtype=np.int32))
        self.code.append(np.broadcast_to(np.asarray(code, dtype=np.int32), n))
        self.modifier.append(np.broadcast_to(np.asarray(modifier, dtype=np.int32), n))
        self.success.append(np.broadcast_to(np.asarray(success, dtype=bool), n))
        self.modifier_2.append(np.broadcast_to(np.asarray(modifier_2, dtype=np.int32), n))


def _business_day_table(most: int = 10) -> np.ndarray:
    """Return offsets[weekday, k]: calendar days from a weekday to k business days later."""
    table = np.zeros((7, most + 1), dtype=np.int32)
    for weekday in range(7):
        offset, counted = 0, 0
        while counted < most:
            offset += 1
            if (weekday + offset) % 7 < 5:
                counted += 1
                table[weekday, counted] = offset
    return table


BUSINESS_DAYS = _business_day_table()


def _business_days_after(cal: Calendar, day: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Return the day k business days (Monday-Friday, holidays ignored) after each day."""
    return day + BUSINESS_DAYS[cal.weekday(day), k]


def _cp_activities(world: World, stays: Stays, visits: EdVisits) -> Activities:
    """Draw outreach attempts, engagement milestones, ongoing qualifying activities and
    transitional follow-ups (T2038) for CP members."""
    rng, a, codes, cal = world.rng("cp activities"), world.cps, world.codes, world.cal
    acts = Activities()
    stop = np.where(a.end == NO_DAY, cal.n_days - 1, a.end)
    stop = np.minimum(stop, world.members.last_day[a.person])
    reached = a.first_contact != NO_DAY
    outreach_end = np.where(
        reached,
        a.first_contact - 1,
        np.minimum(a.start + CP.unreached_outreach_days, stop),
    )
    row, day = _draw_in_intervals(
        rng, a.start, outreach_end, DAYS_PER_MONTH / CP.outreach_every_days
    )
    acts.add(a.person[row], a.cp[row], day, codes.id("G9005"), success=False)
    for when, code in ((a.first_contact, "T1023"), (a.form, "G9005")):
        rows = np.flatnonzero(when != NO_DAY)
        acts.add(a.person[rows], a.cp[rows], when[rows], codes.id(code))
    _assessments_and_care_plans(world, acts)
    engaged = np.flatnonzero(a.form != NO_DAY)
    cap = world.effects.cap("cp_activity")
    row, day = _draw_in_intervals(
        rng, a.form[engaged] + 1, stop[engaged], CP.activities_per_month * cap
    )
    who = a.person[engaged][row]
    keep = rng.random(len(row)) * cap < np.exp(world.effects.at("cp_activity", who, day))
    row, day, who = row[keep], day[keep], who[keep]
    remote = world.chance(rng, who, day, "cp_telehealth", "cp_telehealth")
    acts.add(
        who,
        a.cp[engaged][row],
        day,
        _pick_rows(rng, codes, CP_ACTIVITY_CODES, len(row)),
        np.where(remote, codes.id("95"), -1),
    )
    _care_plan_renewals(world, rng, acts, stop)
    _cp_transitions(world, rng, acts, stays, visits)
    return acts


def _assessments_and_care_plans(world: World, acts: Activities) -> None:
    """Add each assignment's comprehensive assessment (G0506) and signed care plan (T2024),
    billed with the program's modifier U4; one done by telehealth (as often as other CP
    activities) carries 95 first and U4 second (hcpcs_modifier_2). Drawn from a stream of
    their own, so that the other activities are as before."""
    a, codes = world.cps, world.codes
    rng, u4, remote_code = world.rng("cp telehealth steps"), codes.id("U4"), codes.id("95")
    for when, code in ((a.assessment, "G0506"), (a.care_plan, "T2024")):
        rows = np.flatnonzero(when != NO_DAY)
        who, day = a.person[rows], when[rows]
        remote = world.chance(rng, who, day, "cp_telehealth", "cp_telehealth")
        first, second = np.where(remote, remote_code, u4), np.where(remote, u4, -1)
        acts.add(who, a.cp[rows], day, codes.id(code), first, modifier_2=second)


def _care_plan_renewals(world: World, rng, acts: Activities, stop: np.ndarray) -> None:
    """Add renewed care plans (T2024-U4) a year after the last one, on time for some CPs more
    than others, late or never for the rest."""
    a, codes = world.cps, world.codes
    plan, n = a.care_plan, len(a.person)
    for _ in range(2):  # two renewals fit a two-year window
        anchor = np.maximum(plan, 0)
        on_time = world.chance(rng, a.person, anchor, "cp_care_plan_renewed_on_time", "cp_activity")
        late = ~on_time & (rng.random(n) < PROBABILITY["cp_care_plan_renewed_late"])
        renewal = np.where(
            on_time, plan + 365 - rng.integers(0, 60, n), plan + 365 + rng.integers(1, 90, n)
        )
        plan = np.where((plan != NO_DAY) & (on_time | late) & (renewal <= stop), renewal, NO_DAY)
        rows = np.flatnonzero(plan != NO_DAY)
        acts.add(a.person[rows], a.cp[rows], plan[rows], codes.id("T2024"), codes.id("U4"))


def _assignment_on(world: World, who: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Return the CP assignment active for each member on each day, -1 if none."""
    a, shift, scale = world.cps, 1 << 16, np.int64(1 << 22)
    if len(a.person) == 0:  # a small program may have no CP assignments at all
        return np.full(len(who), -1, dtype=np.int64)
    stop = np.where(a.end == NO_DAY, world.cal.n_days - 1, a.end)
    keys = a.person.astype(np.int64) * scale + (a.start + shift)  # sorted by person, start
    row = np.searchsorted(keys, who.astype(np.int64) * scale + (day + shift), side="right") - 1
    safe = np.maximum(row, 0)
    ok = (row >= 0) & (a.person[safe] == who) & (day >= a.start[safe]) & (day <= stop[safe])
    return np.where(ok, row, -1)


def _cp_transitions(world: World, rng, acts: Activities, stays: Stays, visits: EdVisits) -> None:
    """Add T2038 follow-ups after inpatient discharges (some within 3 business days) and ED
    visits (some within 7 days) of members assigned to a CP at the time."""
    codes, cal = world.codes, world.cal
    alive = stays.disposition != codes.id("20")
    rows = np.flatnonzero(alive & (_assignment_on(world, stays.person, stays.discharge) >= 0))
    who, discharge = stays.person[rows], stays.discharge[rows]
    prompt = world.chance(
        rng, who, discharge, "cp_discharge_follow_up_3_business_days", "cp_transitions"
    )
    late = ~prompt & (rng.random(len(rows)) < 0.5)
    day = np.where(
        prompt,
        _business_days_after(cal, discharge, rng.integers(1, 4, len(rows))),
        discharge + rng.integers(4, 15, len(rows)),
    )
    keep = prompt | late
    ed = np.flatnonzero(~visits.admitted & (_assignment_on(world, visits.person, visits.day) >= 0))
    ed_keep = world.chance(
        rng, visits.person[ed], visits.day[ed], "cp_ed_follow_up_7_day", "cp_transitions"
    )
    ed_day = visits.day[ed][ed_keep] + rng.integers(1, 8, int(ed_keep.sum()))
    who = np.concatenate([who[keep], visits.person[ed][ed_keep]])
    day = np.concatenate([day[keep], ed_day])
    row = _assignment_on(world, who, day)
    ok = (row >= 0) & world.enrolled_on(who, day)
    acts.add(who[ok], world.cps.cp[row[ok]], day[ok], codes.id("T2038"))


# =================================================================================================
# Assembling the marts
# =================================================================================================

COLUMN_THREADS = 4  # columns are turned into Arrow arrays concurrently (same result, faster)
ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
}


def _arrow_column(cal: Calendar, value, column_type: str) -> pa.Array:
    """Return one column as an Arrow array of its contract type. Doubles take NaN as missing,
    as the pandas frames these tables once went through did."""
    kind = ARROW_TYPES[column_type]
    while callable(value):
        value = value()
    if isinstance(value, pa.Array | pa.ChunkedArray):
        return value.cast(kind)
    if column_type == "DATE":
        return cal.dates(value)
    return pa.array(np.asarray(value), type=kind, from_pandas=column_type == "DOUBLE")


def _table(world: World, name: str, columns: dict[str, object]) -> pa.Table:
    """Return an Arrow table with exactly the contract's columns, in order, typed (what the
    files hold), built straight from the arrays with no pandas in between."""
    table = TABLES_BY_NAME[name]
    with ThreadPoolExecutor(max_workers=COLUMN_THREADS) as pool:
        arrays = list(
            pool.map(lambda c: _arrow_column(world.cal, columns[c.name], c.type), table.columns)
        )
    return pa.table(arrays, names=table.column_names)


def _person_ids(world: World, who: np.ndarray) -> pa.Array:
    """Return the pseudonymous ids (P0000001...) of members."""
    return world.person_ids.take(pa.array(np.asarray(who, dtype=np.int64)))


def _org_ids(world: World, ids: list[str]) -> np.ndarray:
    """Return vocab ids of organisation ids, with -1 appended for 'none'."""
    return np.append(world.codes.ids(ids), -1).astype(np.int32)


def _eligibility(world: World) -> pa.Table:
    m, cal, codes = world.members, world.cal, world.codes
    gap = np.flatnonzero(m.gap_months > 0)
    who = np.concatenate([np.arange(m.n), gap])
    first_end = np.where(
        m.gap_months > 0, cal.month_start[np.minimum(m.gap_month, cal.n_months)] - 1, m.end_day
    )
    second_start = cal.month_start[np.minimum(m.gap_month + m.gap_months, cal.n_months)]
    start = np.concatenate([m.start_day, second_start[gap]])
    end = np.concatenate([first_end, m.end_day[gap]])
    order = np.lexsort((start, who))
    who, start, end = who[order], start[order], end[order]
    home_aco = m.aco[np.arange(m.n), cal.month(m.first_day)]
    plan = np.where(
        home_aco == world.orgs.n_aco,
        codes.id(PLAN_NAMES["unattributed"]),
        np.where(
            home_aco < PARTNERSHIP_PLAN_ACOS,
            codes.id(PLAN_NAMES["partnership"]),
            codes.id(PLAN_NAMES["primary_care"]),
        ),
    )
    return _table(
        world,
        "eligibility",
        {
            "person_id": _person_ids(world, who),
            "gender": codes.arrow(codes.ids(GENDERS)[m.gender[who]]),
            "race": codes.arrow(codes.ids(RACES)[m.race[who]]),
            "birth_year": m.birth_year[who],
            "enrollment_start_date": start,
            "enrollment_end_date": end,
            "payer": codes.arrow(np.full(len(who), codes.id("medicaid"))),
            "plan": codes.arrow(plan[who]),
        },
    )


def _member_table(world: World) -> pa.Table:
    m, codes = world.members, world.codes
    return _table(
        world,
        "member",
        {
            "person_id": _person_ids(world, np.arange(m.n)),
            "language": codes.arrow(codes.ids(LANGUAGES)[m.language]),
        },
    )


def _organization(world: World) -> pa.Table:
    orgs = world.orgs
    n_bh = int(orgs.cp_is_bh.sum())
    tins = [world.codes.strings[t] for t in orgs.primary_care.tin[: orgs.n_practice]]
    rows = (
        [
            (i, "aco", name, None, None, None)
            for i, name in zip(orgs.aco_ids, ACO_NAMES, strict=True)
        ]
        + [
            (i, "cp", name, "BH" if k < n_bh else "LTSS", None, None)
            for k, (i, name) in enumerate(
                zip(orgs.cp_ids, BH_CP_NAMES + LTSS_CP_NAMES, strict=True)
            )
        ]
        + [
            (i, "practice", name, None, orgs.aco_ids[a], tin)
            for i, name, a, tin in zip(
                orgs.practice_ids, orgs.practice_names, orgs.practice_aco, tins, strict=True
            )
        ]
    )
    names = TABLES_BY_NAME["organization"].column_names
    columns = {c: pa.array([r[k] for r in rows], pa.string()) for k, c in enumerate(names)}
    return _table(world, "organization", columns)


def _attribution(world: World) -> pa.Table:
    """Return one row per member and covered month, with the month's ACO, CP and practice."""
    m, orgs, codes = world.members, world.orgs, world.codes
    who, month = np.nonzero(m.enrolled)
    aco_ids = _org_ids(world, orgs.aco_ids)  # interned here: builders must not add strings
    cp_ids = _org_ids(world, orgs.cp_ids)
    practice_ids = _org_ids(world, orgs.practice_ids)
    return _table(
        world,
        "attribution",
        {
            "person_id": lambda: _person_ids(world, who),
            "month": lambda: world.cal.month_start[month],
            "aco_id": codes.arrow(lambda: aco_ids[m.aco[who, month]]),
            "cp_id": codes.arrow(lambda: cp_ids[m.cp[who, month]]),
            "practice_id": codes.arrow(lambda: practice_ids[m.practice[who, month]]),
        },
    )


def _cp_enrollment(world: World) -> pa.Table:
    a, codes = world.cps, world.codes
    cp_type = np.where(world.orgs.cp_is_bh[a.cp], codes.id("BH"), codes.id("LTSS"))
    return _table(
        world,
        "cp_enrollment",
        {
            "person_id": _person_ids(world, a.person),
            "cp_id": codes.arrow(_org_ids(world, world.orgs.cp_ids)[a.cp]),
            "cp_type": codes.arrow(cp_type),
            "assignment_date": a.start,
            "participation_form_date": a.form,
            "assessment_date": a.assessment,
            "care_plan_signed_date": a.care_plan,
            "disenrollment_date": a.end,
        },
    )


def _care_team_ids(world: World, person: np.ndarray, cp: np.ndarray) -> np.ndarray:
    """Return care-team vocab ids: a member keeps one team within a CP."""
    orgs, codes = world.orgs, world.codes
    most = int(orgs.cp_teams.max())
    table = np.array(
        [[codes.id(f"{cp_id}-T{t + 1}") for t in range(most)] for cp_id in orgs.cp_ids]
    )
    team = (person.astype(np.int64) * 7919 + cp) % orgs.cp_teams[cp]
    return table[cp, team]


def _cp_activity(world: World, acts: Activities) -> pa.Table:
    cols = {f: np.concatenate(getattr(acts, f)) for f in Activities.__dataclass_fields__}
    ok = (cols["day"] >= 0) & world.enrolled_on(cols["person"], cols["day"])
    cols = {k: v[ok] for k, v in cols.items()}
    order = np.lexsort((np.arange(len(cols["day"])), cols["day"], cols["person"]))
    cols = {k: v[order] for k, v in cols.items()}
    n, codes = len(order), world.codes
    return _table(
        world,
        "cp_activity",
        {
            "activity_id": _serial_strings("A", np.arange(1, n + 1), _id_width(n)),
            "person_id": _person_ids(world, cols["person"]),
            "cp_id": codes.arrow(_org_ids(world, world.orgs.cp_ids)[cols["cp"]]),
            "activity_date": cols["day"],
            "hcpcs_code": codes.arrow(cols["code"]),
            "hcpcs_modifier": codes.arrow(cols["modifier"]),
            "hcpcs_modifier_2": codes.arrow(cols["modifier_2"]),
            "successful_contact": cols["success"],
            "care_team_id": codes.arrow(_care_team_ids(world, cols["person"], cols["cp"])),
        },
    )


def _person_day_order(person: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Return the stable order by person, then day (days inside the window)."""
    key = (person.astype(np.int64) << 16) | (day.astype(np.int64) & 0xFFFF)
    return np.argsort(key, kind="stable")


def _line_order(claim: np.ndarray, seq: np.ndarray, claims: int) -> np.ndarray:
    """Return the order of lines by claim, then by the order they were added (a counting sort:
    each batch of lines added together holds at most one line per claim)."""
    counts = np.bincount(claim, minlength=claims)
    filled = np.cumsum(counts) - counts  # next free slot of each claim
    position = np.empty(len(claim), dtype=np.int64)
    bounds = np.flatnonzero(np.diff(seq)) + 1
    for rows in np.split(np.arange(len(claim)), bounds):
        slot = claim[rows]
        position[rows] = filled[slot]
        filled[slot] += 1
    order = np.empty(len(claim), dtype=np.int64)
    order[position] = np.arange(len(claim))
    return order


def _medical_claim(world: World, book: ClaimBook) -> pa.Table:
    """Return the claim lines: claims in person-then-date order, each claim's lines together in
    the order they were added. Empties the book as it goes (the lines are large)."""
    head = {k: np.concatenate([h[k] for h in book.headers]) for k in book.headers[0]}
    lines = {k: np.concatenate([x[k] for x in book.lines]) for k in book.lines[0]}
    book.headers.clear()
    book.lines.clear()
    n, codes = len(head["person"]), world.codes
    order = _person_day_order(head["person"], head["start"])
    head = {k: v[order] for k, v in head.items()}  # claim number k + 1 is head row k
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    line_rank = rank[lines["claim"]]
    line_order = _line_order(line_rank, lines["seq"], n)
    lines = {k: lines[k][line_order] for k in ("paid", "hcpcs", "revenue", "modifier")}
    per_claim = np.bincount(line_rank, minlength=n)
    del rank, line_rank, line_order

    def spread(values: np.ndarray) -> np.ndarray:
        """Repeat claim-level values onto the claim's lines."""
        return np.repeat(values, per_claim, axis=0)

    institutional, professional = codes.id("institutional"), codes.id("professional")
    columns: dict[str, object] = {
        "claim_id": lambda: _serial_strings(
            "C", spread(np.arange(1, n + 1)), _id_width(n, minimum=8)
        ),
        "claim_line_number": lambda: _ranks_within(per_claim) + 1,
        "claim_type": codes.arrow(
            lambda: spread(np.where(head["institutional"], institutional, professional))
        ),
        "person_id": lambda: _person_ids(world, spread(head["person"])),
        "claim_start_date": lambda: spread(head["start"]),
        "claim_end_date": lambda: spread(head["end"]),
        "admission_date": lambda: spread(head["admission"]),
        "discharge_date": lambda: spread(head["discharge"]),
        "discharge_disposition_code": codes.arrow(lambda: spread(head["disposition"])),
        "place_of_service_code": codes.arrow(lambda: spread(head["pos"])),
        "bill_type_code": codes.arrow(lambda: spread(head["bill_type"])),
        "revenue_center_code": codes.arrow(lines["revenue"]),
        "hcpcs_code": codes.arrow(lines["hcpcs"]),
        "hcpcs_modifier_1": codes.arrow(lines["modifier"]),
        "hcpcs_modifier_2": pa.nulls(len(lines["paid"]), pa.string()),  # one modifier a line
        "rendering_npi": codes.arrow(lambda: spread(head["rendering_npi"])),
        "billing_npi": codes.arrow(lambda: spread(head["billing_npi"])),
        "billing_tin": codes.arrow(lambda: spread(head["billing_tin"])),
        "paid_amount": lines["paid"],
        "allowed_amount": lines["paid"],
    }
    for k in range(DIAGNOSIS_COLUMNS):
        dx = head["dx"][:, k]
        columns[f"diagnosis_code_{k + 1}"] = codes.arrow(lambda dx=dx: spread(dx))
    return _table(world, "medical_claim", columns)


def _pharmacy_claim(world: World, fills: Fills) -> pa.Table:
    order = np.lexsort((fills.drug, fills.day, fills.person))
    n, codes = len(order), world.codes
    drugs = codes.ids(d.ndc for d in DRUGS)
    units = np.array([d.units_per_day for d in DRUGS])
    return _table(
        world,
        "pharmacy_claim",
        {
            "claim_id": _serial_strings("RX", np.arange(1, n + 1), _id_width(n, 8)),
            "person_id": _person_ids(world, fills.person[order]),
            "dispensing_date": fills.day[order],
            "ndc_code": codes.arrow(drugs[fills.drug[order]]),
            "days_supply": fills.supply[order],
            "quantity": np.round(fills.supply[order] * units[fills.drug[order]], 2),
            "paid_amount": fills.paid[order],
            "prescribing_provider_npi": codes.arrow(fills.prescriber[order]),
        },
    )


def _clinical_result(world: World, results: Results) -> pa.Table:
    cols = {f: np.concatenate(getattr(results, f)) for f in Results.__dataclass_fields__}
    order = np.lexsort((np.arange(len(cols["day"])), cols["loinc"], cols["day"], cols["person"]))
    cols = {k: v[order] for k, v in cols.items()}
    key = np.stack([cols["person"], cols["day"], cols["loinc"]], axis=1)
    first = np.concatenate([[True], (key[1:] != key[:-1]).any(axis=1)]) if len(key) else []
    cols = {k: v[first] for k, v in cols.items()}
    return _table(
        world,
        "clinical_result",
        {
            "person_id": _person_ids(world, cols["person"]),
            "result_date": cols["day"],
            "loinc_code": world.codes.arrow(cols["loinc"]),
            "value": cols["value"],
            "unit": world.codes.arrow(cols["unit"]),
        },
    )


# =================================================================================================
# Public API
# =================================================================================================


def _ed_visits(world: World, stays: Stays, episodes: SudEpisodes) -> tuple[EdVisits, np.ndarray]:
    """Return every ED visit (random, SUD episode index, admitted) and which stays came via ED."""
    rng = world.rng("ed visits")
    random_visits = _random_ed_visits(world, rng)
    index = np.flatnonzero(episodes.in_ed)
    who = episodes.person[index]
    sud_index = _ed_visits_from(
        world,
        rng,
        who,
        episodes.index_day[index],
        np.full(len(who), 2),
        dx=world.members.sud_dx[who],
    )
    via_ed = (stays.kind != _stay_kind_index("obstetric")) & (
        rng.random(len(stays.person)) < PROBABILITY["admitted_via_ed"]
    )
    rows = np.flatnonzero(via_ed)
    category = np.array([3, 1, 2, 3])[stays.kind[rows]]
    admitted = _ed_visits_from(
        world,
        rng,
        stays.person[rows],
        stays.admit[rows],
        category,
        admitted=np.ones(len(rows), dtype=bool),
        dx=stays.dx[rows],
    )
    admitted.hospital = stays.hospital[rows]
    return _concat_ed([random_visits, sud_index, admitted]), via_ed


def _marts(
    members: int, months: int, seed: int, end_month: str
) -> Iterator[tuple[str, pa.Table | pd.DataFrame]]:
    """Yield each contract table as it is made, in contract order: the built ones as
    contract-typed Arrow tables, cp_assessment as its hand-written frame. Every event is drawn
    first; a table is then made only when the one before it has been taken, so a caller that
    writes and drops each table never holds two of them."""
    world = _build_world(members, months, seed, end_month)
    book, results = ClaimBook(world.codes), Results()
    stays = _draw_stays(world)
    episodes = _sud_episodes(world)
    visits, via_ed = _ed_visits(world, stays, episodes)
    _book_stays(world, book, stays, via_ed)
    _book_ed_visits(world, book, visits)
    _mh_follow_ups(world, book, stays, visits)
    _routine_bh_visits(world, book)
    _sud_services(world, book, episodes, visits)
    _office_visits(world, book, results)
    _well_visits(world, book)
    _outpatient_services(world, book)
    _ltss_services(world, book, stays)
    _hospice_care(world, book)
    _diabetes_care(world, book, results)
    _copd_diagnoses(world, book)
    fills = _draw_fills(world, episodes)
    on_antipsychotic = _on_antipsychotic(world, fills)
    _screenings(world, book, on_antipsychotic)
    _long_acting_injections(world, book, on_antipsychotic)
    _serious_illness_care(world, book)
    fills = _joined(fills, _medicines_off_claims(world, on_antipsychotic))
    activities = _cp_activities(world, stays, visits)
    builders: dict[str, Callable[[], pa.Table | pd.DataFrame]] = {
        "eligibility": lambda: _eligibility(world),
        "member": lambda: _member_table(world),
        "organization": lambda: _organization(world),
        "attribution": lambda: _attribution(world),
        "cp_enrollment": lambda: _cp_enrollment(world),
        "cp_activity": lambda: _cp_activity(world, activities),
        "medical_claim": lambda: _medical_claim(world, book),
        "pharmacy_claim": lambda: _pharmacy_claim(world, fills),
        "clinical_result": lambda: _clinical_result(world, results),
        "cp_assessment": lambda: demo_assessments(world.orgs.cp_ids),  # hand-written rows
    }
    for spec in TABLES:
        yield spec.name, builders[spec.name]()


def _as_frame(mart: pa.Table | pd.DataFrame) -> pd.DataFrame:
    """Return a built table as a DataFrame, dates as datetime64[s] and text as large strings,
    which pandas takes without a copy (a frame stays as it is)."""
    if isinstance(mart, pd.DataFrame):
        return mart
    pandas_types = {pa.date32(): pa.timestamp("s"), pa.string(): pa.large_string()}
    fields = [f.with_type(pandas_types.get(f.type, f.type)) for f in mart.schema]
    return mart.cast(pa.schema(fields)).to_pandas()


def generate_marts(
    members: int = 4000, months: int = 24, seed: int = 42, end_month: str = "2025-12"
) -> dict[str, pd.DataFrame]:
    """Return synthetic marts, one DataFrame per contract table, for `months` months ending with
    `end_month` (YYYY-MM). The same arguments always give the same data. To write them to files,
    write_demo_marts needs far less memory (one table at a time) and writes the same bytes."""
    return {name: _as_frame(mart) for name, mart in _marts(members, months, seed, end_month)}


def _arrow_table(name: str, frame: pd.DataFrame) -> pa.Table:
    """Return a frame as an Arrow table typed by the contract (dates as date32), no metadata."""
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    spec: Table | None = TABLES_BY_NAME.get(name)
    if spec is None:
        return table
    types = {c.name: ARROW_TYPES[c.type] for c in spec.columns}
    return table.cast(pa.schema([(f.name, types.get(f.name, f.type)) for f in table.schema]))


def _write_csv(table: pa.Table, path: Path) -> None:
    """Write CSV with a plain header, ISO dates and empty fields for missing values."""
    header = ",".join(table.column_names) + "\n"
    with open(path, "wb") as out:
        out.write(header.encode())
        try:
            options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
            pa_csv.write_csv(table, out, options)
        except pa.ArrowInvalid:  # a value holds a comma, quote or newline
            out.seek(len(header))
            out.truncate()
            pa_csv.write_csv(table, out, pa_csv.WriteOptions(include_header=False))


def _write_table(table: pa.Table, path: Path, fmt: Literal["csv", "parquet"]) -> None:
    if fmt == "csv":
        _write_csv(table, path)
    else:
        pq.write_table(table, path, compression="zstd")


def _out_folder(out_dir: str | Path, fmt: str) -> Path:
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, not {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_marts(
    frames: dict[str, pd.DataFrame], out_dir: str | Path, fmt: Literal["csv", "parquet"] = "csv"
) -> list[Path]:
    """Write each frame to `<out_dir>/<table>.csv` or `.parquet` and return the paths written."""
    out = _out_folder(out_dir, fmt)
    paths = []
    for name, frame in frames.items():
        path = out / f"{name}.{fmt}"
        _write_table(_arrow_table(name, frame), path, fmt)
        paths.append(path)
    return paths


def write_demo_marts(
    out_dir: str | Path,
    fmt: Literal["csv", "parquet"] = "csv",
    *,
    members: int = 4000,
    months: int = 24,
    seed: int = 42,
    end_month: str = "2025-12",
) -> dict[Path, int]:
    """Generate the synthetic marts and write each one as soon as it is made, then drop it;
    return the row count of each path written. The files are byte for byte those of
    write_marts(generate_marts(...)), with a fraction of the memory: no table waits for the
    others, and none goes through pandas."""
    out = _out_folder(out_dir, fmt)
    rows: dict[Path, int] = {}
    for name, mart in _marts(members, months, seed, end_month):
        table = _arrow_table(name, mart) if isinstance(mart, pd.DataFrame) else mart
        del mart
        path = out / f"{name}.{fmt}"
        _write_table(table, path, fmt)
        rows[path] = table.num_rows
        del table  # before the next table is made
    return rows


def ndc_value_set() -> pd.DataFrame:
    """Return the NDC -> drug-class code list (code, code_system, description, source,
    drug_class, drug, route) the demo's fills use: the content of
    measures/value_sets/ndc_drug_class.csv. One row per NDC, with its fine class, its medicine
    whatever the maker or strength (drug: SAA adds up the fills of one medicine) and its route
    (AMR counts an inhaler fill as one unit); groups of classes are separate value sets."""
    return pd.DataFrame(
        {
            "code": [d.ndc for d in DRUGS],
            "code_system": "NDC",
            "description": [d.description for d in DRUGS],
            "source": NDC_SOURCE,
            "drug_class": [d.drug_class for d in DRUGS],
            "drug": [d.ingredient for d in DRUGS],
            "route": [d.route for d in DRUGS],
        }
    )


def write_ndc_value_set(path: str | Path) -> Path:
    """Write ndc_value_set() as CSV to `path` (measures/value_sets/ndc_drug_class.csv)."""
    path = Path(path)
    ndc_value_set().to_csv(path, index=False, lineterminator="\n")
    return path
