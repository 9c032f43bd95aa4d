"""Member ids replaced by integer keys once the marts are checked (marts.key_person_ids).

The keys only make joins cheaper: results and care gaps (which name members by their own ids)
must be exactly those of a run that keeps the ids as text, which is what happens when two ids
would share a key.
"""

from __future__ import annotations

import pandas as pd
import pytest
from engine_fixture import few_measure_inputs

from scorecard import engine, marts

# Two ids of the same length share this key: the fallback to text ids must be taken.
COLLIDING_KEY_SQL = "CASE WHEN {0} IS NOT NULL THEN length({0}) END"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return few_measure_inputs(tmp_path_factory.mktemp("keys"), 800, seed=11)


def _run(inputs: dict) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], bool]:
    """Run the engine; return results, care gaps, person_id's type per table, keyed or not."""
    with engine.working_connection() as con:
        run = engine.run(inputs["data"], inputs["value_sets"], inputs["specs"], None, con)
        gaps = engine.care_gap_rows(con, inputs["specs"], run.period_id)
        types = dict(
            con.execute(
                "SELECT table_name, data_type FROM duckdb_columns() "
                "WHERE column_name = 'person_id' AND NOT internal AND schema_name = 'main'"
            ).fetchall()
        )
        keyed = marts.has_person_keys(con)
    return run.results, gaps, types, keyed


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_checked_marts_join_members_by_integer_keys(inputs: dict) -> None:
    _, gaps, types, keyed = _run(inputs)
    assert keyed
    for table in marts.person_tables():
        assert types[table] == "UBIGINT", table
    assert types["measure_rows"] == "UBIGINT"
    eligible = set(pd.read_csv(inputs["data"] / "eligibility.csv")["person_id"].astype(str))
    assert len(gaps) > 0 and set(gaps["person_id"]) <= eligible  # the members' own ids


def test_keys_change_no_result_and_no_care_gap(
    inputs: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    results, gaps, _, keyed = _run(inputs)
    monkeypatch.setattr(marts, "PERSON_KEY_SQL", COLLIDING_KEY_SQL)
    text_results, text_gaps, types, text_keyed = _run(inputs)
    assert keyed and not text_keyed  # ids sharing a key are left as text
    assert types["eligibility"] == "VARCHAR" and types["measure_rows"] == "VARCHAR"
    pd.testing.assert_frame_equal(_sorted(results), _sorted(text_results))
    pd.testing.assert_frame_equal(_sorted(gaps), _sorted(text_gaps))
