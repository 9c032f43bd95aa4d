"""Member and medical claim ids replaced by integer keys once the marts are checked
(marts.key_person_ids, marts.key_claim_ids).

The keys only make joins cheaper: results and care gaps (which name members by their own ids)
must be exactly those of a run that keeps the ids as text, which is what happens when two ids
would share a key.
"""

from __future__ import annotations

import pandas as pd
import pytest
from engine_fixture import FEW_MEASURES, few_measure_inputs

from scorecard import engine, marts

# Two ids of the same length share this key: the fallback to text ids must be taken.
COLLIDING_KEY_SQL = "CASE WHEN {0} IS NOT NULL THEN length({0}) END"
# Measures that join medical claims by id (stays and diagnoses, discharges and readmissions,
# diabetes claims) and one that reads pharmacy claims' ids (antipsychotic_event).
CLAIM_JOINING = ("readmission_30d", "acsc_admissions", "fuh_7d", "hba1c_testing", "saa")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    measures = FEW_MEASURES + CLAIM_JOINING
    return few_measure_inputs(tmp_path_factory.mktemp("keys"), 800, seed=11, measures=measures)


def _run(inputs: dict) -> tuple[pd.DataFrame, pd.DataFrame, dict[tuple[str, str], str], bool]:
    """Run the engine; return results, care gaps, the id columns' types, keyed members or not."""
    with engine.working_connection() as con:
        run = engine.run(inputs["data"], inputs["value_sets"], inputs["specs"], None, con)
        gaps = engine.care_gap_rows(con, inputs["specs"], run.period_id)
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE column_name IN ('person_id', 'claim_id') AND NOT internal "
            "AND schema_name = 'main'"
        ).fetchall()
        keyed = marts.has_person_keys(con)
    return run.results, gaps, {(table, column): kind for table, column, kind in rows}, keyed


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.fixture(scope="module")
def keyed_run(inputs: dict) -> tuple[pd.DataFrame, pd.DataFrame, dict, bool]:
    return _run(inputs)


def test_checked_marts_join_members_and_claims_by_integer_keys(keyed_run: tuple) -> None:
    results, gaps, types, keyed = keyed_run
    assert keyed
    for table in marts.person_tables():
        assert types[table, "person_id"] == "UBIGINT", table
    assert types["measure_rows", "person_id"] == "UBIGINT"
    assert types["medical_claim", "claim_id"] == "UBIGINT"
    assert types["pharmacy_claim", "claim_id"] == "VARCHAR"  # never joined; orders ties
    assert types["claim_diagnosis", "claim_id"] == "UBIGINT"  # helpers inherit the key
    program = results[(results["level"] == "program") & (results["stratum"] == "all")]
    counted = program.groupby("measure_id")["denominator"].sum()
    assert (counted[list(CLAIM_JOINING)] > 0).all()  # the claim joins are exercised


def test_members_own_ids_name_the_care_gaps(inputs: dict, keyed_run: tuple) -> None:
    gaps = keyed_run[1]
    eligible = set(pd.read_csv(inputs["data"] / "eligibility.csv")["person_id"].astype(str))
    assert len(gaps) > 0 and set(gaps["person_id"]) <= eligible


@pytest.mark.parametrize(
    ("key_sql", "table", "column"),
    [
        ("PERSON_KEY_SQL", "eligibility", "person_id"),
        ("CLAIM_KEY_SQL", "medical_claim", "claim_id"),
    ],
)
def test_keys_change_no_result_and_no_care_gap(
    inputs: dict,
    keyed_run: tuple,
    monkeypatch: pytest.MonkeyPatch,
    key_sql: str,
    table: str,
    column: str,
) -> None:
    results, gaps, _, _ = keyed_run
    monkeypatch.setattr(marts, key_sql, COLLIDING_KEY_SQL)
    text_results, text_gaps, types, _ = _run(inputs)
    assert types[table, column] == "VARCHAR"  # ids sharing a key are left as text
    pd.testing.assert_frame_equal(_sorted(results), _sorted(text_results))
    pd.testing.assert_frame_equal(_sorted(gaps), _sorted(text_gaps))
