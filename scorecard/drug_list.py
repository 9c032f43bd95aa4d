"""The NDC-to-drug-class list against the program's pharmacy claims.

The medication measures find medicines through one code list, value set ndc_drug_class
(measures/value_sets/ndc_drug_class.csv: one row per NDC with its drug class, drug and route).
The list shipped with scorecard holds only the invented NDCs of the demo data, so a program's
real fills match none of it, and measures that count medicines would publish zeros (or rates
far too low) without a word. check() compares the list with pharmacy_claim once the marts and
code lists are loaded, in `scorecard check` and in `build` with either engine:

- when fewer than MIN_MATCHED_SHARE of the fills (of at least MIN_FILLS) have a listed NDC,
  the measures whose results count medicines (a fill is what is measured, or what puts a
  member in the denominator, or counts as the care given) are not computed, like a measure
  whose table is missing, and the build says why: a skipped measure is better than a false
  figure;
- the measures that read the list only to find more members with diabetes (beside their
  diagnoses) or to leave out members on dementia medicines are computed, and the warning names
  them: without the list their results are close to right, and skipping them would take most
  quality measures off the site.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from scorecard.plausibility import DRUG_LIST, Finding
from scorecard.specs import MeasureSpec

LIST_NAME = "ndc_drug_class"  # the value set (file stem) of the NDC-to-drug-class list
LIST_COLUMNS = ("code", "code_system", "description", "source", "drug_class", "drug", "route")
# The list matches too little when, of at least MIN_FILLS fills, at most MIN_MATCHED_SHARE have
# a listed NDC. Medicines of the classes measured (antipsychotics, antidepressants, diabetes,
# asthma and addiction medicines) are several % of a Medicaid program's fills: with a real list
# that matched 1 fill in 20, 100 fills with at most 1 listed would happen by chance once in 27
# (binomial), 1,000 with at most 10 listed less than once in 10^11: a rate published from so few
# would be a false one. Fewer fills (a small test mart with one unrelated fill) are too few to
# judge.
MIN_MATCHED_SHARE = 0.01
MIN_FILLS = 100

# Shared tables through which a measure reads the list for a side purpose: its results stay
# close to right without it. Any other use of the list counts medicines (see the docstring).
SIDE_USES: dict[str, str] = {
    "diabetes_fill": "the members found to have diabetes from their fills alone",
    "frailty_window": "the exclusion of frail members on dementia medicines",
}

COVERAGE_SQL = f"""
WITH listed AS (
  SELECT DISTINCT code FROM value_set WHERE value_set = '{LIST_NAME}'
)
SELECT count(*) AS fills,
       count(DISTINCT f.ndc_code) AS ndcs,
       count(l.code) AS matched_fills,
       count(DISTINCT l.code) AS matched_ndcs
FROM pharmacy_claim f
LEFT JOIN listed l ON l.code = f.ndc_code
"""


@dataclass(frozen=True)
class Coverage:
    """How much of pharmacy_claim the list matches."""

    fills: int
    ndcs: int
    matched_fills: int
    matched_ndcs: int

    def too_low(self) -> bool:
        """Return True when of at least MIN_FILLS fills at most MIN_MATCHED_SHARE are listed."""
        return self.fills >= MIN_FILLS and self.matched_fills <= MIN_MATCHED_SHARE * self.fills


def coverage(con: duckdb.DuckDBPyConnection) -> Coverage:
    """Return how many fills and distinct NDCs of pharmacy_claim the list matches."""
    return Coverage(*con.execute(COVERAGE_SQL).fetchone())


def list_uses(spec: MeasureSpec) -> set[str]:
    """Return how `spec` reads the list: 'counted' if its results count medicines, and the
    SIDE_USES keys of the shared tables it reads it through otherwise; empty if it does not."""
    uses = {name for name, query in spec.shared_tables.items() if LIST_NAME in query}
    if LIST_NAME in spec.sql or uses - SIDE_USES.keys():
        return {"counted"}
    return uses


def skip_reason(list_file: Path) -> str:
    """Return why a measure that counts medicines is not computed (the same for all of them,
    so the build names them on one line)."""
    return (
        f"the drug-class list {list_file} matches almost none of the NDCs in pharmacy_claim, "
        "so its result would be a false zero or far too low (see the warning)"
    )


def warning(list_file: Path, found: Coverage, readers: dict[str, set[str]]) -> str:
    """Return the warning for a list that matches too little of pharmacy_claim; `readers`:
    measure id -> its list_uses."""
    skipped = sorted(sid for sid, uses in readers.items() if "counted" in uses)
    share = found.matched_fills / found.fills
    text = (
        f"pharmacy_claim: the drug-class list {list_file} matches {found.matched_ndcs:,} of the "
        f"{found.ndcs:,} distinct NDCs and {found.matched_fills:,} of the {found.fills:,} fills "
        f"({share:.1%}; scorecard's own list holds only the demo data's invented NDCs). "
    )
    if skipped:
        text += f"Not computed, as they count medicines: {', '.join(skipped)}. "
    for use, words in SIDE_USES.items():
        side = sorted(sid for sid, uses in readers.items() if use in uses and sid not in skipped)
        if side:
            text += f"Computed, but without {words}: {', '.join(side)}. "
    return text + (
        f"To count the medicines, replace {list_file} with the program's own NDC-to-drug-class "
        f"list, with the same columns ({', '.join(LIST_COLUMNS)}; README: The drug-class list)."
    )


def check(
    con: duckdb.DuckDBPyConnection,
    specs: list[MeasureSpec],
    tables: set[str],
    value_set_dir: Path,
) -> tuple[list[MeasureSpec], dict[str, str], list[Finding]]:
    """Return the specs to run, id -> why for those not computed, and the warning (if any),
    once the marts and the code lists (table value_set) are loaded."""
    readers = {s.id: list_uses(s) for s in specs if "pharmacy_claim" in s.requires}
    readers = {sid: uses for sid, uses in readers.items() if uses}
    if "pharmacy_claim" not in tables or not readers:
        return specs, {}, []
    found = coverage(con)
    if not found.too_low():
        return specs, {}, []
    list_file = Path(value_set_dir) / f"{LIST_NAME}.csv"
    finding = Finding(DRUG_LIST, "pharmacy_claim", warning(list_file, found, readers))
    skipped = {sid: skip_reason(list_file) for sid, uses in readers.items() if "counted" in uses}
    return [s for s in specs if s.id not in skipped], skipped, [finding]
