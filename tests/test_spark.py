"""The same measures on Apache Spark (local mode): every result equal to DuckDB's.

Runs `scorecard build --engine spark` on the hand-checked fixture and the build's compute
stage on a 1,500-member demo, and compares every row of the results table with the DuckDB run:
units exactly, sums and values to 1e-9; on the fixture the site's downloads must be
byte-identical too. One local SparkSession for the module (2 cores, 2 shuffle
partitions, small-data settings). pyspark and a Java runtime are required: without them these
tests fail, they do not skip (pip install -e ".[test,spark]").
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from engine_fixture import demo_months

from scorecard import build, engine, spark_engine
from scorecard.cli import main
from scorecard.settings import load_settings
from scorecard.specs import load_specs

pytestmark = [
    pytest.mark.spark,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

ROOT = Path(__file__).resolve().parents[1]
BASIC = ROOT / "tests" / "fixtures" / "marts" / "basic"
KEYS = ["measure_id", "period_id", "level", "entity_id", "stratum", "stratum_value"]
SUMS = [*engine.SUM_COLUMNS, *engine.PERSON_COLUMNS, "value"]


@pytest.fixture(scope="module")
def spark():
    """One local SparkSession for the module, stopped at the end."""
    session = spark_engine.session(
        "local[2]",
        app_name="scorecard-tests",
        shuffle_partitions=2,
        conf={"spark.ui.enabled": "false", **spark_engine.SMALL_DATA_CONF},
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def specs():
    return load_specs(ROOT / "measures")


@pytest.fixture(scope="module")
def demo_marts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from scorecard.demo import generate_marts, write_marts

    out = tmp_path_factory.mktemp("spark_demo")
    months = demo_months(load_specs(ROOT / "measures"))  # every measure's newest quarter
    write_marts(generate_marts(members=1500, months=months, seed=7), out, fmt="parquet")
    return out


def both_engines(data: Path, specs: list) -> tuple[engine.EngineRun, engine.EngineRun]:
    """Return build.compute() over `data` with engine=duckdb, then with engine=spark."""
    runs = []
    for name in ("duckdb", "spark"):
        settings = load_settings(None, data=data, engine=name, spark_master="local[2]")
        runs.append(build.compute(settings, specs))
    return runs[0], runs[1]


def reading(specs: list, *ids: str) -> list:
    """Return the specs of `ids`: the measures that read what an input-variant test varies.

    Those tests are about how a file is read (both engines read the marts whole, whatever the
    measures), so they run these few measures, not all ~70 (test_demo_every_measure_equals_duckdb
    compares every measure): each Spark run then costs its fixed start, not a minute.
    """
    found = {s.id: s for s in specs}
    return [found[i] for i in ids]


# Measures that read each contract table's columns (claim_type, paid_amount, dates, ages,
# diagnoses, procedures, bill types, revenue codes, fills): the input-variant tests run these.
CLAIMS = (
    "members",
    "member_months",
    "ed_visits",
    "non_emergent_ed",
    "pmpm_inpatient",
    "pmpm_outpatient",
    "pmpm_professional",
    "acute_admissions",
    "readmission_30d",
    "hba1c_testing",
    "prevalence_diabetes",
    "breast_cancer_screening",
)
FILLS = ("pmpm_pharmacy", "rx_scripts", "rx_bh_scripts", "saa", "asthma_medication_ratio")


PRODUCT_SUMS = tuple(engine.PRODUCTS)  # y², d², y·d


def mismatches(duck: pd.DataFrame, spark: pd.DataFrame) -> dict[str, list[str]]:
    """Return measure id -> what differs, over every results row (empty when equal)."""
    both = duck.merge(spark, on=KEYS, how="outer", suffixes=("_d", "_s"), indicator=True)
    found: dict[str, list[str]] = {}
    for mid in both.loc[both["_merge"] != "both", "measure_id"].unique():
        found.setdefault(mid, []).append("rows only in one engine")
    matched = both[both["_merge"] == "both"]
    different = matched["units_d"] != matched["units_s"]
    for mid in matched.loc[different, "measure_id"].unique():
        found.setdefault(mid, []).append("units")
    for column in SUMS:
        d, s = matched[f"{column}_d"].astype(float), matched[f"{column}_s"].astype(float)
        # a product (y², d², y·d) is rounded to 6 decimals per cluster before it is summed,
        # and the engines' casts of a double to DECIMAL may round a half the other way (DuckDB
        # 358.688480, Spark 358.688479 on the demo): one unit of the 6th decimal per cluster
        rounding = 1e-6 * matched["units_d"].astype(float) if column in PRODUCT_SUMS else 0.0
        same = (abs(d - s) <= 1e-9 + 1e-9 * abs(d) + rounding) | (d.isna() & s.isna())
        for mid in matched.loc[~same, "measure_id"].unique():
            found.setdefault(mid, []).append(column)
    return found


def assert_same(duck: engine.EngineRun, spark: engine.EngineRun) -> None:
    assert (spark.period_id, spark.periods) == (duck.period_id, duck.periods)
    assert (spark.data_start, spark.data_end) == (duck.data_start, duck.data_end)
    assert spark.skipped == duck.skipped
    assert list(spark.results.columns) == list(duck.results.columns)
    assert len(spark.results) == len(duck.results)
    assert mismatches(duck.results, spark.results) == {}
    pd.testing.assert_frame_equal(spark.organizations, duck.organizations, check_dtype=False)
    pd.testing.assert_frame_equal(spark.panels, duck.panels, check_dtype=False)
    pd.testing.assert_frame_equal(spark.care_gaps, duck.care_gaps, check_dtype=False)


def files_under(folder: Path) -> dict[str, bytes]:
    """Return relative path -> bytes of every file under `folder`."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_cli_build_engine_spark_equals_duckdb(spark, tmp_path, monkeypatch) -> None:
    """`scorecard build --engine spark` on the fixture: every result and download as DuckDB's."""
    runs: dict[str, engine.EngineRun] = {}
    compute = build.compute

    def keep_run(settings, specs, cache=None):  # build_site's compute stage, its run kept
        runs[settings.engine] = compute(settings, specs, cache)
        return runs[settings.engine]

    monkeypatch.setattr(build, "compute", keep_run)
    for name in ("duckdb", "spark"):
        out = tmp_path / name
        args = ["build", "--data", str(BASIC), "--out", str(out), "--engine", name]
        result = CliRunner().invoke(main, [*args, "--spark-master", "local[2]", "--quiet"])
        assert result.exit_code == 0, result.output
    assert runs["spark"].period_id == "2024Q4"
    assert_same(runs["duckdb"], runs["spark"])
    duck, on_spark = (files_under(tmp_path / n / "2024Q4" / "downloads") for n in runs)
    assert "results.csv" in duck
    assert sorted(on_spark) == sorted(duck)
    assert [name for name in duck if on_spark[name] != duck[name]] == []


def test_demo_every_measure_equals_duckdb(spark, specs, demo_marts) -> None:
    duck, on_spark = both_engines(demo_marts, specs)
    assert len(duck.results) > 10_000 and not duck.skipped
    assert_same(duck, on_spark)


def test_unknown_engine_is_a_build_error(specs) -> None:
    settings = load_settings(None, data=BASIC, engine="oracle")
    with pytest.raises(build.BuildError, match="use duckdb or spark"):
        build.compute(settings, specs)


SHARED_CTES = """
WITH periods AS (SELECT 'P1' AS period_id),
measure_rows AS (
  WITH base AS (SELECT t.x, p.period_id FROM t CROSS JOIN periods p),
  odd AS (SELECT * FROM base WHERE x % 2 = 1),
  once AS (SELECT x FROM t WHERE x > 3)
  SELECT period_id, x FROM base
  UNION ALL SELECT period_id, x FROM odd
  UNION ALL SELECT b.period_id, x FROM base b JOIN once USING (x)
)
SELECT period_id, x FROM measure_rows ORDER BY ALL
"""


def test_shared_ctes_become_stages_with_the_same_rows() -> None:
    """A CTE read twice (base) is computed first as a view; the rest reads it; same rows."""
    import duckdb

    stages, rest = spark_engine.stage_shared_ctes(SHARED_CTES, "m_demo")
    assert [view for view, _ in stages] == ["m_demo__base"]
    assert "periods" in stages[0][1].lower()  # the inline CTE it reads goes with it
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS x FROM range(6)")
    for view, query in stages:
        con.execute(f"CREATE VIEW {view} AS {query}")
    assert con.execute(rest).fetchall() == con.execute(SHARED_CTES).fetchall()


def test_marts_in_folders_give_the_same_results_on_both_engines(spark, specs, tmp_path) -> None:
    """Spark reads a mart folder (part files, key=value partitions) as DuckDB does (the
    measures that read medical and pharmacy claims, claim_type among them: see reading())."""
    from test_mart_folders import split_into_parts

    folder = tmp_path / "marts"
    shutil.copytree(BASIC, folder)
    split_into_parts(folder, "medical_claim", "medical_claim", partitioned=True)
    split_into_parts(folder, "pharmacy_claim", "pharmacy_claim.parquet", partitioned=False)
    duck, on_spark = both_engines(folder, reading(specs, *CLAIMS, *FILLS))
    assert len(duck.results) > 1_000
    assert_same(duck, on_spark)


def test_headers_in_another_case_give_the_same_results_on_both_engines(spark, specs, tmp_path):
    """PERSON_ID, a byte-order mark ...: both engines read the contract's columns (the checks
    in DuckDB pass them, so Spark must not read them as absent) and match the plain fixture
    (the measures that read eligibility and medical claims: see reading())."""
    folder = tmp_path / "marts"
    shutil.copytree(BASIC, folder)
    for table in ("eligibility", "medical_claim"):
        path = folder / f"{table}.csv"
        header, rest = path.read_text(encoding="utf-8").split("\n", 1)
        path.write_text("\ufeff" + header.upper() + "\n" + rest, encoding="utf-8")
    specs = reading(specs, *CLAIMS)
    plain = build.compute(load_settings(None, data=BASIC, engine="duckdb"), specs)
    duck, on_spark = both_engines(folder, specs)
    assert_same(plain, duck)
    assert_same(plain, on_spark)


def test_written_forms_are_read_alike_on_both_engines(spark, specs, tmp_path) -> None:
    """Diagnosis codes with a dot in lower case (e11.9), a type of bill with its leading zero
    (0111), procedure codes in lower case and revenue and status codes without their leading
    zeros (450, 1) are rewritten by Spark as by DuckDB's loader (marts.FORMS), and amounts with
    an exponent read alike (marts.TEXT_FORMS): the same results as the plain fixture (the
    measures that read those columns: see reading())."""
    folder = tmp_path / "marts"
    shutil.copytree(BASIC, folder)
    claims = pd.read_csv(folder / "medical_claim.csv", dtype=str, keep_default_na=False)
    dotted = claims["diagnosis_code_1"].str.len() > 3
    claims.loc[dotted, "diagnosis_code_1"] = (
        claims["diagnosis_code_1"].str[:3] + "." + claims["diagnosis_code_1"].str[3:]
    ).str.lower()
    billed = claims["bill_type_code"].str.len() == 3
    claims.loc[billed, "bill_type_code"] = "0" + claims["bill_type_code"]
    # procedure codes in lower case, codes of a fixed width without their leading zeros
    claims["hcpcs_code"] = claims["hcpcs_code"].str.lower()
    for column in ("revenue_center_code", "discharge_disposition_code"):
        claims[column] = claims[column].str.lstrip("0")
    stripped = (claims["revenue_center_code"].str.len() == 3).sum()
    assert dotted.sum() > 5 and billed.sum() > 5 and stripped > 5  # the rewrites are exercised
    # amounts with an exponent (1.2000000000e+02), as some exports write them (marts.TEXT_FORMS)
    paid = claims["paid_amount"] != ""
    claims.loc[paid, "paid_amount"] = (
        claims.loc[paid, "paid_amount"].astype(float).map("{:.10e}".format)
    )
    claims.to_csv(folder / "medical_claim.csv", index=False)
    specs = reading(specs, *CLAIMS)
    plain = build.compute(load_settings(None, data=BASIC, engine="duckdb"), specs)
    duck, on_spark = both_engines(folder, specs)
    assert_same(plain, duck)
    assert_same(plain, on_spark)


def _hyphenated(ndc: str, turn: int) -> str:
    """Return the 11-digit `ndc` (5-4-2) written with hyphens, in one of the 10-digit
    configurations a zero it holds allows (4-4-2, 5-3-2, 5-4-1; by `turn`), else as 5-4-2."""
    labeler, product, package = ndc[:5], ndc[5:9], ndc[9:]
    forms = [f"{labeler}-{product}-{package}"]
    if labeler[0] == "0":
        forms.append(f"{labeler[1:]}-{product}-{package}")
    if product[0] == "0":
        forms.append(f"{labeler}-{product[1:]}-{package}")
    if package[0] == "0":
        forms.append(f"{labeler}-{product}-{package[1:]}")
    return forms[turn % len(forms)]


def test_hyphenated_ndcs_are_read_alike_on_both_engines(spark, specs, tmp_path) -> None:
    """NDCs written with hyphens as packages print them, in each configuration (4-4-2, 5-3-2,
    5-4-1, 5-4-2), are read by Spark as by DuckDB's loader (marts.NDC_SEGMENTS): the same
    11-digit codes as written plain, and the same results (fixture quality_smi, whose fills
    the medication measures count, with fills of an NDC whose labeler begins with 0 added; the
    measures that read ndc_code: see reading())."""
    from scorecard.contract import TABLES

    plain, folder = tmp_path / "plain", tmp_path / "hyphenated"
    shutil.copytree(ROOT / "tests" / "fixtures" / "marts" / "quality_smi", plain)
    fills = pd.read_csv(plain / "pharmacy_claim.csv", dtype=str, keep_default_na=False)
    added = fills.head(2).assign(claim_id=["Z1", "Z2"], ndc_code="00000000001")
    fills = pd.concat([fills, added], ignore_index=True)
    fills.to_csv(plain / "pharmacy_claim.csv", index=False)
    shutil.copytree(plain, folder)
    ndcs = fills["ndc_code"].tolist()
    fills["ndc_code"] = [_hyphenated(ndc, turn) for turn, ndc in enumerate(ndcs)]
    written = set(fills["ndc_code"])
    for configuration in ("4-4-2", "5-3-2", "5-4-1", "5-4-2"):  # each is exercised
        lengths = [int(n) for n in configuration.split("-")]
        assert any([len(s) for s in n.split("-")] == lengths for n in written), configuration
    fills.to_csv(folder / "pharmacy_claim.csv", index=False)
    table = next(t for t in TABLES if t.name == "pharmacy_claim")
    read = spark_engine.read_mart(spark, table, folder / "pharmacy_claim.csv").toPandas()
    assert read["ndc_code"].tolist() == ndcs
    specs = reading(specs, "members", *FILLS, "antipsychotic_metabolic_monitoring", "ssd", "fua_7d")
    duck, on_spark = both_engines(folder, specs)
    assert_same(build.compute(load_settings(None, data=plain, engine="duckdb"), specs), duck)
    assert_same(duck, on_spark)
    assert duck.results["measure_id"].str.startswith("rx_").any()  # fills are counted


def test_two_modifiers_in_one_field_are_read_alike_on_both_engines(spark, specs, tmp_path):
    """Both modifiers of an activity written in one field ("95 U4", "u4,95", in either column
    when the other is empty) are read by Spark as by DuckDB's loader (marts.split_modifiers):
    the same two columns, and the same results, U4's care plans and assessments counted (the
    measures that read cp_activity: see reading())."""
    from scorecard.contract import TABLES

    folder = tmp_path / "marts"
    shutil.copytree(ROOT / "tests" / "fixtures" / "marts" / "cp_ops", folder)
    path = folder / "cp_activity.csv"
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    rows = [f"{row}," for row in rows] + [
        'Q4,O1,C1,2024-08-12,G0506,"95 U4",true,T1,',
        'Q5,O1,C1,2024-08-13,T2024,,true,T1,"u4,95"',
        'Q6,O8,C1,2024-05-20,T2024,"95:U4",true,T1,',
        "Q7,O8,C1,2024-05-21,T1023,95,true,T1,GT",
    ]
    path.write_text("\n".join([f"{header},hcpcs_modifier_2", *rows]) + "\n", encoding="utf-8")
    table = next(t for t in TABLES if t.name == "cp_activity")
    read = spark_engine.read_mart(spark, table, path).toPandas().set_index("activity_id")
    modifiers = read.loc[["Q4", "Q5", "Q6", "Q7"], ["hcpcs_modifier", "hcpcs_modifier_2"]]
    assert modifiers.values.tolist() == [["95", "U4"], ["U4", "95"], ["95", "U4"], ["95", "GT"]]
    activity = ("cp_annual_care_plan", "cp_qualifying_activities", "cp_outreach_attempts")
    duck, on_spark = both_engines(folder, reading(specs, "cp_caseload", *activity))
    assert_same(duck, on_spark)
    plans = duck.results.query("measure_id == 'cp_annual_care_plan' and level == 'program'")
    assert plans["numerator"].sum() > 0


def test_a_drug_list_that_matches_no_fill_skips_the_same_measures_on_both_engines(
    spark, specs, tmp_path
) -> None:
    """The fixture with 100 fills of an NDC the drug-class list does not hold (see
    test_measures_claims): both engines skip the measures that count medicines, with the
    same warning, and compute the rest alike (the measures that read pharmacy claims and a
    few that do not: see reading())."""
    folder = tmp_path / "marts"
    shutil.copytree(BASIC, folder)
    pharmacy = folder / "pharmacy_claim.csv"
    header = pharmacy.read_text(encoding="utf-8").splitlines()[0]
    fills = "".join(f"U{i},P1,2024-03-{1 + i % 28:02d},00000000001,30,30,10,\n" for i in range(100))
    pharmacy.write_text(header + "\n" + fills, encoding="utf-8")
    chosen = reading(specs, "members", "ed_visits", *FILLS, "hba1c_testing", "prevalence_diabetes")
    duck, on_spark = both_engines(folder, chosen)
    assert "rx_bh_scripts" in duck.skipped and "rx_bh_scripts" not in set(duck.results.measure_id)
    assert [w.message for w in on_spark.warnings] == [w.message for w in duck.warnings]
    assert_same(duck, on_spark)


def test_csv_written_otherwise_gives_the_same_results_on_both_engines(spark, specs, tmp_path):
    """What DuckDB's loader reads, Spark reads the same (it once read NULLs or one column):
    a file delimited by ; (eligibility) or a tab (pharmacy_claim), a line break inside a quoted
    field (an organization's name), a compressed file named in capitals (MEDICAL_CLAIM.CSV.GZ),
    whole numbers written 1980.0 and 30.0, dates with a time after them. The results are the
    plain fixture's on both engines (the measures that read those tables and columns, ages,
    days' supply and claim end dates among them: see reading())."""
    import gzip

    folder = tmp_path / "marts"
    shutil.copytree(BASIC, folder)

    def rewrite(table: str, change, sep: str = ",") -> None:
        frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
        change(frame)
        frame.to_csv(folder / f"{table}.csv", index=False, sep=sep)

    rewrite("eligibility", lambda f: f.__setitem__("birth_year", f["birth_year"] + ".0"), ";")
    rewrite("pharmacy_claim", lambda f: f.__setitem__("days_supply", f["days_supply"] + ".0"), "\t")
    rewrite("organization", lambda f: f.__setitem__("org_name", f["org_name"] + "\n(name)"))
    claims = folder / "medical_claim.csv"
    rewrite(
        "medical_claim",
        lambda f: f.__setitem__("claim_end_date", f["claim_end_date"] + "T00:00:00"),
    )
    (folder / "MEDICAL_CLAIM.CSV.GZ").write_bytes(gzip.compress(claims.read_bytes()))
    claims.unlink()
    specs = reading(specs, *CLAIMS, *FILLS, "acsc_admissions")
    plain = build.compute(load_settings(None, data=BASIC, engine="duckdb"), specs)
    duck, on_spark = both_engines(folder, specs)
    assert mismatches(plain.results, duck.results) == {}
    assert len(duck.results) > 1_000
    assert_same(duck, on_spark)  # the organizations too, names with their line break
    assert on_spark.organizations["org_name"].str.endswith("\n(name)").all()


def test_bad_measures_stop_spark_as_duckdb(spark, specs, tmp_path) -> None:
    """A measure's impossible rows (a proportion over 100%) stop both engines with the same
    problem; with every measure skipped both stop saying why (Spark once failed on a KeyError);
    a measure only Spark cannot run stops `scorecard build` with exit 2 naming its SQL file,
    no traceback and nothing published."""
    from test_bad_input import _custom_measures

    proportion = {"kind": "proportion", "multiplier": 100, "unit": "%", "shared_counts": {}}
    measures = _custom_measures(tmp_path, "2 * coalesce(v.visits, 0)", "1", **proportion)
    impossible = [s for s in load_specs(measures) if s.id == "ed_count"]
    no_pharmacy = tmp_path / "no_pharmacy"
    shutil.copytree(BASIC, no_pharmacy)
    (no_pharmacy / "pharmacy_claim.csv").unlink()
    rx = [s for s in specs if s.id == "rx_scripts"]
    for data, chosen, title in [
        (BASIC, impossible, "a measure's SQL returns impossible rows"),
        (no_pharmacy, rx, "no measure can be computed from these marts"),
    ]:
        refused = {}
        for name in ("duckdb", "spark"):
            settings = load_settings(None, data=data, engine=name, spark_master="local[2]")
            with pytest.raises(build.BuildError) as caught:
                build.compute(settings, chosen)
            refused[name] = caught.value
        duck, on_spark = refused["duckdb"], refused["spark"]
        assert on_spark.title == duck.title == title
        shown = [(p.file, p.column, p.message, p.example[:10]) for p in on_spark.problems]
        assert shown == [(p.file, p.column, p.message, p.example[:10]) for p in duck.problems]
    sql_file = measures / "sql" / "ed_count.sql"
    sql_file.write_text(
        sql_file.read_text(encoding="utf-8").replace("2 * coalesce(", "hamming('a', 'a') + ("),
        encoding="utf-8",
    )
    out = tmp_path / "site"
    args = ["build", "--data", str(BASIC), "--measures", str(measures), "--out", str(out)]
    built = CliRunner().invoke(main, [*args, "--engine", "spark", "--spark-master", "local[2]"])
    assert built.exit_code == 2 and not out.exists(), built.output
    assert "a measure cannot run on Spark (1 problem):" in built.stderr
    assert f"  - {sql_file}: on Spark: " in built.stderr
    assert "Traceback" not in built.output


def test_palliative_care_and_long_term_stays_are_left_out_alike_on_both_engines(
    spark, tmp_path
) -> None:
    """The shared exclusion tables palliative_care and long_term_institutional (merged stays,
    day counts) give Spark the rows DuckDB gives, on test_measures_exclusions' fixture."""
    from test_measures_exclusions import with_long_term_institutional, write_marts

    # with long_term_institutional added, as a program with Medicare members would declare it
    chosen = with_long_term_institutional(tmp_path / "measures")
    duck, on_spark = both_engines(write_marts(tmp_path / "marts"), chosen)
    assert_same(duck, on_spark)
    program = duck.results[
        (duck.results.period_id == "2024Q4")
        & (duck.results.level == "program")
        & (duck.results.stratum == "all")
    ]
    assert set(program.denominator) == {5}  # 10 members less 2 palliative, 3 long-term


def test_a_mastectomy_line_billed_left_and_right_is_read_alike_on_both_engines(
    spark, specs, tmp_path
) -> None:
    """A mastectomy line with LT in one modifier column and RT in the other removed both
    breasts on Spark as on DuckDB (breast_cancer_screening: a row per side modifier)."""
    from test_measures_preventive import MASTECTOMY_CLAIMS, MASTECTOMY_MEMBERS, run_marts

    claims = MASTECTOMY_CLAIMS.replace(",19303,LT,", ',19303,"LT RT",', 1)
    claims = claims.replace(",19303,LT,", ',19303,"RT LT",', 1)
    folder = tmp_path / "marts"
    run_marts(folder, ["breast_cancer_screening"], MASTECTOMY_MEMBERS, claims)
    chosen = [s for s in specs if s.id == "breast_cancer_screening"]
    duck, on_spark = both_engines(folder, chosen)
    assert_same(duck, on_spark)
    program = duck.results[(duck.results.level == "program") & (duck.results.stratum == "all")]
    assert set(program.denominator) == {1}  # W4 alone: W1, W2 and W3 had both breasts removed
