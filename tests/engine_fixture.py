"""Small engine runs: demo marts and a few measures (a rate with a quarter window, a 12-month
proportion, a cost, a median and a CP measure)."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Header lines of small hand-made marts (CSV), shared by the measure tests that write them.
ELIGIBILITY = "person_id,gender,race,birth_year,enrollment_start_date,enrollment_end_date\n"
MEDICAL = (
    "claim_id,claim_line_number,claim_type,person_id,claim_start_date,claim_end_date,"
    "admission_date,discharge_date,place_of_service_code,bill_type_code,revenue_center_code,"
    "hcpcs_code,hcpcs_modifier_1,paid_amount,diagnosis_code_1,diagnosis_code_2\n"
)
PHARMACY = "claim_id,person_id,dispensing_date,ndc_code,days_supply,paid_amount\n"
CLINICAL = "person_id,result_date,loinc_code,value,unit\n"
FEW_MEASURES = (
    "ed_visits",
    "breast_cancer_screening",
    "total_cost_pmpm",
    "cp_days_to_first_contact",
)


def demo_months(specs: list) -> int:
    """Return how many months of demo data let every spec compute the newest quarter: two
    years, or more when a window and the look-back before it (lookback_months) need more
    (breast cancer screening: 12 + 15 = 27)."""
    from scorecard.compile import WINDOW_MONTHS

    return max(24, *(WINDOW_MONTHS[s.window] + s.lookback_months for s in specs))


def few_measure_inputs(
    root: Path, members: int, seed: int, fmt: str = "csv", measures: tuple[str, ...] = FEW_MEASURES
) -> dict:
    """Return demo marts in root/data (enough months for the newest quarter of every measure:
    demo_months), a copy of the code lists and the specs of `measures`."""
    from scorecard import demo
    from scorecard.specs import load_specs

    data, value_sets = root / "data", root / "value_sets"
    specs = [s for s in load_specs(ROOT / "measures") if s.id in measures]
    months = demo_months(specs)
    demo.write_marts(demo.generate_marts(members=members, months=months, seed=seed), data, fmt=fmt)
    shutil.copytree(ROOT / "measures" / "value_sets", value_sets)
    return {"data": data, "value_sets": value_sets, "specs": specs, "root": root}
