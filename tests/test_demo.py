"""The synthetic demo marts: deterministic, on contract, pseudonymous and plausible."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from scorecard import demo, engine
from scorecard.contract import DIAGNOSIS_COLUMNS, IDENTIFYING_COLUMNS, TABLES
from scorecard.marts import load_marts
from scorecard.specs import MeasureSpec, load_specs

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / "data" / "demo"
NDC_FILE = ROOT / "measures" / "value_sets" / "ndc_drug_class.csv"
LAI_FILE = ROOT / "measures" / "value_sets" / "antipsychotic_lai.csv"
WINDOW = (pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31"))


@pytest.fixture(scope="module")
def marts() -> dict[str, pd.DataFrame]:
    """The default demo: 4,000 members, 24 months to 2025-12, seed 42 (as in data/demo)."""
    return demo.generate_marts()


def _stays(marts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    claims = marts["medical_claim"]
    stays = claims[claims["bill_type_code"] == "111"].drop_duplicates("claim_id")
    columns = ["person_id", "admission_date", "discharge_date", "discharge_disposition_code"]
    return stays[columns].sort_values(["person_id", "admission_date"], ignore_index=True)


def _ed_visits(marts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    claims = marts["medical_claim"]
    ed = claims["bill_type_code"].eq("131") & claims["revenue_center_code"].str.startswith("045")
    return claims[ed.fillna(False)].drop_duplicates("claim_id")


# ------------------------------------------------------------------------------ determinism


def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    for run in ("first", "second"):
        frames = demo.generate_marts(members=300, months=14, seed=7, end_month="2025-06")
        demo.write_marts(frames, tmp_path / run / "csv", "csv")
        demo.write_marts(frames, tmp_path / run / "parquet", "parquet")
    for path in sorted((tmp_path / "first").rglob("*.*")):
        twin = tmp_path / "second" / path.relative_to(tmp_path / "first")
        assert path.read_bytes() == twin.read_bytes(), path.name


def test_streamed_marts_are_the_bytes_of_the_frames_written(tmp_path: Path) -> None:
    """write_demo_marts makes and writes one table at a time, in Arrow only; generate_marts holds
    every table as a DataFrame. The files must not tell them apart."""
    arguments = {"members": 300, "months": 14, "seed": 7, "end_month": "2025-06"}
    frames = demo.generate_marts(**arguments)
    for fmt in ("csv", "parquet"):
        held = demo.write_marts(frames, tmp_path / "held" / fmt, fmt)
        streamed = demo.write_demo_marts(tmp_path / "streamed" / fmt, fmt, **arguments)
        assert [p.name for p in streamed] == [p.name for p in held]
        for path in held:
            twin = tmp_path / "streamed" / fmt / path.name
            assert twin.read_bytes() == path.read_bytes(), f"{fmt}: {path.name}"
        assert {p.stem: n for p, n in streamed.items()} == {k: len(f) for k, f in frames.items()}


def test_another_seed_gives_other_data() -> None:
    one = demo.generate_marts(members=200, seed=1)["medical_claim"]
    two = demo.generate_marts(members=200, seed=2)["medical_claim"]
    assert not one.equals(two)


def test_committed_demo_is_what_the_generator_writes(tmp_path: Path) -> None:
    """data/demo is 20,000 members as Parquet; with the numpy it was written with, the bytes match.

    Under another numpy minor version random draws may differ, so the bytes cannot be compared;
    the committed marts must then still load with no problem at all (never a skip).
    """
    readme = (DEMO_DIR / "README.md").read_text()
    written_with = re.search(r"numpy (\d+\.\d+)", readme)
    if written_with is None or not np.__version__.startswith(written_with.group(1) + "."):
        tables, problems = load_marts(duckdb.connect(), DEMO_DIR)
        assert problems == [] and tables == {t.name for t in TABLES}
        return
    written = demo.write_demo_marts(
        tmp_path, "parquet", members=20000, months=36, seed=42, end_month="2025-12"
    )
    for path in written:
        committed = DEMO_DIR / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} is stale: see data/demo/README.md for the command"
        )


# ------------------------------------------------------------------------------ the contract


def test_every_contract_table_with_exactly_its_columns(marts) -> None:
    assert list(marts) == [t.name for t in TABLES]
    for table in TABLES:
        assert list(marts[table.name].columns) == table.column_names, table.name
        assert len(marts[table.name]) > 0, table.name


def test_column_types_follow_the_contract(marts) -> None:
    for table in TABLES:
        frame = marts[table.name]
        for column in table.columns:
            values = frame[column.name]
            if column.type == "VARCHAR":
                assert pd.api.types.is_string_dtype(values), (table.name, column.name)
            elif column.type == "DATE":
                assert pd.api.types.is_datetime64_any_dtype(values), (table.name, column.name)
            elif column.type == "INTEGER":
                assert pd.api.types.is_integer_dtype(values), (table.name, column.name)
            elif column.type == "DOUBLE":
                assert pd.api.types.is_float_dtype(values), (table.name, column.name)
            elif column.type == "BOOLEAN":
                assert pd.api.types.is_bool_dtype(values), (table.name, column.name)


def test_values_are_allowed_and_in_range(marts) -> None:
    for table in TABLES:
        frame = marts[table.name]
        for column in table.columns:
            values = frame[column.name].dropna()
            allowed = getattr(column, "allowed", ())
            if allowed:
                assert set(values) <= set(allowed), (table.name, column.name)
            low, high = getattr(column, "min_value", None), getattr(column, "max_value", None)
            if column.type == "DATE":
                low, high = (pd.Timestamp(v) if v is not None else None for v in (low, high))
            if low is not None:
                assert (values >= low).all(), (table.name, column.name)
            if high is not None:
                assert (values <= high).all(), (table.name, column.name)


def test_required_columns_are_filled_and_keys_unique(marts) -> None:
    for table in TABLES:
        frame = marts[table.name]
        for column in table.required_columns:
            assert frame[column].notna().all(), (table.name, column)
        if table.key:
            assert not frame.duplicated(list(table.key)).any(), table.name


def test_references_resolve(marts) -> None:
    people = set(marts["eligibility"]["person_id"])
    for table in TABLES:
        if "person_id" in table.column_names:
            assert set(marts[table.name]["person_id"]) <= people, table.name
    orgs = marts["organization"].set_index("org_id")["org_type"]
    attribution = marts["attribution"]
    for column, kind in (("aco_id", "aco"), ("cp_id", "cp"), ("practice_id", "practice")):
        used = attribution[column].dropna().unique()
        assert (orgs.reindex(used) == kind).all(), column


def test_no_identifying_columns_and_pseudonymous_ids(marts) -> None:
    for name, frame in marts.items():
        assert not IDENTIFYING_COLUMNS & set(frame.columns), name
    assert marts["eligibility"]["person_id"].str.fullmatch(r"P\d{7}").all()
    assert "birth_year" in marts["eligibility"]


def test_every_event_is_inside_the_window_and_coverage(marts) -> None:
    claims = marts["medical_claim"]
    for column in ("claim_start_date", "claim_end_date"):
        assert claims[column].between(*WINDOW).all(), column
    spans = marts["eligibility"][["person_id", "enrollment_start_date", "enrollment_end_date"]]
    for name, column in (
        ("medical_claim", "claim_start_date"),
        ("pharmacy_claim", "dispensing_date"),
        ("cp_activity", "activity_date"),
        ("clinical_result", "result_date"),
    ):
        events = marts[name][["person_id", column]].drop_duplicates()
        joined = events.merge(spans, on="person_id")
        inside = joined[column].between(
            joined["enrollment_start_date"], joined["enrollment_end_date"]
        )
        covered = inside.groupby([joined["person_id"], joined[column]]).any()
        assert covered.all(), f"{name}: {int((~covered).sum())} events outside coverage"


def test_codes_are_well_formed(marts) -> None:
    claims = marts["medical_claim"]
    for k in range(1, DIAGNOSIS_COLUMNS + 1):
        codes = claims[f"diagnosis_code_{k}"].dropna()
        assert codes.str.fullmatch(r"[A-Z][0-9][0-9A-Z]{1,5}").all(), k  # ICD-10-CM, no dot
    npis = pd.concat([claims["billing_npi"], claims["rendering_npi"].dropna()]).unique()
    assert all(_luhn_ok(npi) and npi.startswith("9") for npi in npis)
    assert marts["organization"]["tin"].dropna().str.fullmatch(r"\d{9}").all()
    assert marts["pharmacy_claim"]["ndc_code"].str.fullmatch(r"\d{11}").all()
    assert marts["pharmacy_claim"]["days_supply"].isin([28, 30, 90]).all()  # 28: an injection


def _luhn_ok(npi: str) -> bool:
    digits = [int(c) for c in "80840" + npi]
    total = sum(
        d if i % 2 == 0 else (2 * d) // 10 + (2 * d) % 10 for i, d in enumerate(digits[::-1])
    )
    return total % 10 == 0


def test_ndc_value_set_file_is_the_generators(marts) -> None:
    committed = pd.read_csv(NDC_FILE, dtype=str)
    assert list(committed.columns) == [
        "code",
        "code_system",
        "description",
        "source",
        "drug_class",
        "drug",
        "route",
    ]
    assert committed.equals(demo.ndc_value_set().astype(str))
    assert committed["code"].is_unique  # one fine class per NDC; groups are separate value sets
    assert set(marts["pharmacy_claim"]["ndc_code"]) <= set(committed["code"])
    assert (committed["code_system"] == "NDC").all()
    assert committed["source"].str.contains("demo").all()


def test_long_acting_injections_follow_their_value_set(marts) -> None:
    # The injections' codes and days between doses are those SAA reads (antipsychotic_lai.csv)
    listed = pd.read_csv(LAI_FILE, dtype={"code": str, "days_covered": int})
    assert {(d.hcpcs, d.days) for d in demo.LAI_DRUGS} == set(
        zip(listed["code"], listed["days_covered"], strict=True)
    )
    assert sum(d.share for d in demo.LAI_DRUGS) == pytest.approx(1.0)
    claims = marts["medical_claim"]
    days = dict(zip(listed["code"], listed["days_covered"], strict=True))
    doses = claims[claims["hcpcs_code"].isin(days)]
    assert len(doses) > 50
    assert (doses["claim_type"] == "professional").all()
    assert doses["diagnosis_code_1"].str.match(r"F2[05]").all()  # schizophrenia(-affective)
    given = claims[claims["claim_id"].isin(doses["claim_id"])]
    assert given.groupby("claim_id")["hcpcs_code"].apply(lambda c: "96372" in set(c)).all()
    # every 14 or 28 days as the drug says: never sooner, mostly within a week of it, some
    # doses missed (a gap of two intervals or more)
    doses = doses.sort_values(["person_id", "claim_start_date"])
    gap = doses.groupby("person_id")["claim_start_date"].diff().dt.days
    due = doses["hcpcs_code"].map(days)
    gap, due = gap[gap.notna()], due[gap.notna()]
    assert (gap >= due).all()
    assert (gap <= due + 7).mean() > 0.7
    assert (gap >= 2 * due).any()
    # about a fifth of the members with schizophrenia on an antipsychotic in 2025 get them
    fills = marts["pharmacy_claim"]
    year = WINDOW[1] - pd.Timedelta(days=364), WINDOW[1]
    ndc = pd.read_csv(NDC_FILE, dtype=str)
    oral = fills[
        fills["ndc_code"].isin(ndc.loc[ndc["drug_class"] == "antipsychotic", "code"])
        & fills["dispensing_date"].between(*year)
    ]
    schizophrenia = claims.loc[claims["diagnosis_code_1"].str.match(r"F2[05]", na=False)]
    injected = set(doses.loc[doses["claim_start_date"].between(*year), "person_id"])
    treated = (set(oral["person_id"]) | injected) & set(schizophrenia["person_id"])
    assert 0.1 <= len(injected) / len(treated) <= 0.35
    # a pharmacy-dispensed monthly injection is a 28-day supply
    injectable = {d.ndc for d in demo.DRUGS if d.fixed_supply}
    assert (fills.loc[fills["ndc_code"].isin(injectable), "days_supply"] == 28).all()


# ------------------------------------------------------------------------------ shape and rates


def test_programme_shape(marts) -> None:
    orgs = marts["organization"]
    assert (orgs["org_type"] == "aco").sum() == 15
    cps = orgs[orgs["org_type"] == "cp"]
    assert cps["cp_type"].value_counts().to_dict() == {"BH": 14, "LTSS": 6}
    practices = orgs[orgs["org_type"] == "practice"]
    assert 3 <= len(practices) / 15 <= 5
    assert practices["parent_org_id"].isin(orgs["org_id"][orgs["org_type"] == "aco"]).all()
    attribution = marts["attribution"]
    assert attribution["aco_id"].nunique() == 15
    assert attribution["cp_id"].nunique() == 20
    assert attribution["practice_id"].nunique() == len(practices)
    members = attribution.groupby("person_id")
    cp_share = members["cp_id"].count().gt(0).mean()
    unattributed = members["aco_id"].count().eq(0).mean()
    assert 0.06 <= cp_share <= 0.14
    assert 0.02 <= unattributed <= 0.15


def test_enrollment_has_churn_and_gaps(marts) -> None:
    spans = marts["eligibility"]
    assert spans["person_id"].duplicated().mean() > 0.04  # members with a gap have two spans
    assert (spans["enrollment_start_date"] > WINDOW[0]).mean() > 0.15  # joiners
    assert (spans["enrollment_end_date"] < WINDOW[1]).mean() > 0.15  # leavers
    age = 2025 - spans.drop_duplicates("person_id")["birth_year"]
    assert (age < 18).mean() > 0.25 and 0 < (age >= 65).mean() < 0.06


def test_rates_are_plausible(marts) -> None:
    member_months = len(marts["attribution"])
    ed_per_1000 = len(_ed_visits(marts)) / member_months * 1000
    assert 30 <= ed_per_1000 <= 150
    stays = _stays(marts)
    assert 4 <= len(stays) / member_months * 1000 <= 15
    next_admission = stays.groupby("person_id")["admission_date"].shift(-1)
    index = ~stays["discharge_disposition_code"].isin(["02", "20"]) & (
        stays["discharge_date"] <= WINDOW[1] - pd.Timedelta(days=30)
    )
    days = (next_admission - stays["discharge_date"]).dt.days
    readmitted = days.between(1, 30)[index].mean()
    assert 0.05 <= readmitted <= 0.30
    paid = marts["medical_claim"]["paid_amount"]
    assert (paid >= 0).all() and 100 <= paid.sum() / member_months <= 600


def test_entity_rates_differ(marts) -> None:
    ed = _ed_visits(marts)
    ed_month = ed.assign(month=ed["claim_start_date"].dt.to_period("M").dt.to_timestamp())
    per_member_month = ed_month.groupby(["person_id", "month"]).size().rename("visits")
    attribution = marts["attribution"].join(per_member_month, on=["person_id", "month"])
    by_aco = attribution.groupby("aco_id")["visits"].sum() / attribution.groupby("aco_id").size()
    assert by_aco.max() / by_aco.min() > 1.3
    enrollment = marts["cp_enrollment"]
    days = enrollment["participation_form_date"] - enrollment["assignment_date"]
    by_cp = days.dt.days.groupby(enrollment["cp_id"]).median()
    assert by_cp.max() - by_cp.min() > 10


def test_clinical_results_and_cp_activity_look_right(marts) -> None:
    results = marts["clinical_result"]
    a1c = results.loc[results["loinc_code"] == "4548-4", "value"]
    assert a1c.between(4, 16).all() and (a1c > 9).mean() > 0.05
    assert set(results["unit"]) == {"%", "mm[Hg]"}
    activity = marts["cp_activity"]
    assert {"G9005", "G9006", "G9004", "G9007", "T2038", "T1023", "G0506", "T2024"} <= set(
        activity["hcpcs_code"]
    )
    assert (~activity["successful_contact"]).any()
    assert (activity["hcpcs_modifier"] == "95").any()
    # the assessment and the care plan carry the program's U4; by telehealth, 95 first
    steps = activity[activity["hcpcs_code"].isin(["G0506", "T2024"])]
    modifiers = steps["hcpcs_modifier"] + "," + steps["hcpcs_modifier_2"].fillna("")
    assert set(modifiers) == {"U4,", "95,U4"}


# ------------------------------------------------------------------------------ the exclusions

# Measures whose denominators the committed demo's serious illness (SERIOUS_ILLNESS in demo.py)
# should thin, and the exclusions each of those must show at work in one of them.
EXCLUDING_MEASURES = ("colorectal_cancer_screening", "controlling_blood_pressure")
SHOWN_EXCLUSIONS = ("hospice", "palliative_care", "frailty_advanced_illness")


def _without_exclusions(spec: MeasureSpec) -> list[MeasureSpec]:
    """Return copies of `spec` leaving out no one, and each of its exclusions alone, named
    `<id>__none` and `<id>__<exclusion>`, so that one run computes them all."""
    kept: list[tuple[str, tuple[str, ...]]] = [("none", ())]
    kept += [(name, (name,)) for name in spec.exclusions]
    return [
        spec.model_copy(update={"id": f"{spec.id}__{label}", "exclusions": exclusions})
        for label, exclusions in kept
    ]


def test_the_committed_demo_leaves_members_out_of_the_hedis_measures() -> None:
    # HEDIS's exclusions (hospice, palliative care, frailty with advanced illness) must leave
    # someone out of the committed demo's 2025Q4 denominators, and only a few percent: each
    # count is the denominator without an exclusion less the one with it.
    specs = [s for s in load_specs(ROOT / "measures") if s.id in EXCLUDING_MEASURES]
    variants = [v for s in specs for v in [s, *_without_exclusions(s)]]
    run = engine.run(DEMO_DIR, ROOT / "measures" / "value_sets", variants, period_id="2025Q4")
    rows = run.results[(run.results.level == "program") & (run.results.stratum == "all")]
    denominator = rows[rows.period_id == "2025Q4"].set_index("measure_id")["denominator"]
    excluded = {
        (measure, name): denominator[f"{measure}__none"] - denominator[f"{measure}__{name}"]
        for measure in EXCLUDING_MEASURES
        for name in SHOWN_EXCLUSIONS
    }
    for name in SHOWN_EXCLUSIONS:
        assert max(excluded[m, name] for m in EXCLUDING_MEASURES) > 0, name
    for measure in EXCLUDING_MEASURES:
        everyone = denominator[f"{measure}__none"]
        assert 0 < everyone - denominator[measure] < 0.05 * everyone, measure


def _live_hospice_spans(marts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each member's live hospice (811 claims coded with an advanced illness, not a terminal
    one): first and last day, months billed, and the last day coverage or data allow."""
    claims = marts["medical_claim"]
    illness = set(demo.ADVANCED_ILLNESS_DX_65) | set(demo.ADVANCED_ILLNESS_DX_UNDER_65)
    hospice = claims[claims["bill_type_code"].eq("811") & claims["diagnosis_code_1"].isin(illness)]
    spans = hospice.groupby("person_id").agg(
        start=("claim_start_date", "min"),
        stop=("claim_end_date", "max"),
        months=("claim_id", "nunique"),
    )
    coverage = marts["eligibility"].groupby("person_id")["enrollment_end_date"].max()
    spans["limit"] = np.minimum(coverage.reindex(spans.index), WINDOW[1])
    return spans


def test_live_hospice_lasts_as_long_as_the_setting_says(monkeypatch) -> None:
    # Everyone with an advanced illness in palliative care and, if alive, in hospice, for enough
    # spans. Each span is geometric with mean hospice_mean_days, cut short by the end of the
    # member's coverage or of the data: its expected length is sum_{k<room} (1-p)^k.
    shape = replace(demo.SERIOUS_ILLNESS, palliative_share=1.0, hospice_share=1.0)
    monkeypatch.setattr(demo, "SERIOUS_ILLNESS", shape)
    spans = _live_hospice_spans(demo.generate_marts(members=20000, months=36, seed=42))
    days = (spans["stop"] - spans["start"]).dt.days + 1
    room = (spans["limit"] - spans["start"]).dt.days + 1
    p = 1 / shape.hospice_mean_days
    expected = ((1 - (1 - p) ** room) / p).mean()
    assert len(spans) >= 50
    assert (days <= room).all()
    assert 0.75 * shape.hospice_mean_days < expected <= shape.hospice_mean_days
    assert 0.75 * expected < days.mean() < 1.25 * expected, (days.mean(), expected)
    assert spans["months"].mean() > 2  # billed by month


@pytest.mark.parametrize("members", [1, 2, 5, 20])
def test_tiny_programs_generate(members: int) -> None:
    # 5 and 20 members once had no CP assignment, and looking one up crashed (IndexError)
    marts = demo.generate_marts(members=members)
    assert len(marts["member"]) == members
    assert marts["cp_enrollment"].empty or len(marts["cp_enrollment"]) <= members
