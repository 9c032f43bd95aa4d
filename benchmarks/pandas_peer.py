"""The peer baseline: three measures written the way a pandas user would write them.

ED visits per 1,000 member months (measures/ed_visits.yml: not admitted, no mental-disorder
principal diagnosis), 30-day all-cause readmissions (readmission_30d.yml) and follow-up within
7 days after hospitalisation for mental illness (fuh_7d.yml, with its enrollment through 30 days after discharge; both leave out members with
hospice care in the window), program level only, every period the engine reports. Plain DataFrame code:
read the columns needed from the Parquet marts, filter, merge, group. No attempt at being
clever, and no DuckDB. benchmarks/run.py times it and checks that it gives the engine's
program-level numerators and denominators.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

CLAIM_COLUMNS = [
    "claim_id", "person_id", "claim_type", "claim_start_date", "claim_end_date",
    "admission_date", "discharge_date", "discharge_disposition_code", "diagnosis_code_1",
    "bill_type_code", "revenue_center_code", "hcpcs_code", "place_of_service_code",
]  # fmt: skip
DATE_COLUMNS = ("claim_start_date", "claim_end_date", "admission_date", "discharge_date",
                "enrollment_start_date", "enrollment_end_date", "dispensing_date")  # fmt: skip


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    frame = pd.read_parquet(path, columns=columns)
    for col in frame.columns:
        if col in DATE_COLUMNS:
            frame[col] = pd.to_datetime(frame[col])
    return frame


def read_marts(folder: Path) -> dict[str, pd.DataFrame]:
    """Read the columns the three measures need."""
    folder = Path(folder)
    return {
        "medical_claim": _read(folder / "medical_claim.parquet", CLAIM_COLUMNS),
        "eligibility": _read(
            folder / "eligibility.parquet",
            ["person_id", "enrollment_start_date", "enrollment_end_date", "birth_year"],
        ),
        "pharmacy_claim": _read(folder / "pharmacy_claim.parquet", ["dispensing_date"]),
    }


def value_set(folder: Path, name: str) -> tuple[set[str], tuple[str, ...]]:
    """Return (exact codes, ICD-10-CM prefixes) of measures/value_sets/<name>.csv."""
    vs = pd.read_csv(folder / f"{name}.csv", dtype=str)
    icd = vs["code_system"] == "ICD10CM"
    return set(vs.loc[~icd, "code"]), tuple(vs.loc[icd, "code"])


def in_value_set(codes: pd.Series, folder: Path, name: str) -> pd.Series:
    exact, prefixes = value_set(folder, name)
    hit = codes.isin(exact)
    if prefixes:
        hit |= codes.fillna("").str.startswith(prefixes)
    return hit & codes.notna()


def periods(claims: pd.DataFrame, pharmacy: pd.DataFrame) -> pd.DataFrame:
    """Return the complete quarters of the data: period_id, period_start, period_end."""
    first = min(claims["claim_start_date"].min(), pharmacy["dispensing_date"].min())
    last = max(claims["claim_end_date"].max(), pharmacy["dispensing_date"].max())
    data_start = first.to_period("M").start_time
    data_end = last.to_period("M").end_time.normalize()
    quarters = pd.period_range(data_start, data_end, freq="Q")
    rows = [
        (f"{q.year}Q{q.quarter}", q.start_time, q.end_time.normalize())
        for q in quarters
        if q.end_time.normalize() <= data_end
    ]
    out = pd.DataFrame(rows, columns=["period_id", "period_start", "period_end"])
    out["year_start"] = out["period_end"] - pd.DateOffset(months=12) + pd.Timedelta(days=1)
    out.attrs["data_start"] = data_start
    return out


def member_months(
    eligibility: pd.DataFrame, data_start: pd.Timestamp, data_end: pd.Timestamp
) -> pd.DataFrame:
    """Return distinct (person_id, month) for every month an enrollment span touches."""
    start = (
        eligibility["enrollment_start_date"].dt.to_period("M").clip(lower=data_start.to_period("M"))
    )
    end = eligibility["enrollment_end_date"].dt.to_period("M").clip(upper=data_end.to_period("M"))
    first = (start.dt.year * 12 + start.dt.month - 1).to_numpy()
    last = (end.dt.year * 12 + end.dt.month - 1).to_numpy()
    n = np.maximum(last - first + 1, 0)
    person = np.repeat(eligibility["person_id"].to_numpy(), n)
    month_index = np.repeat(first, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
    months = pd.to_datetime({"year": month_index // 12, "month": month_index % 12 + 1, "day": 1})
    return pd.DataFrame({"person_id": person, "month": months.to_numpy()}).drop_duplicates()


def ed_visits(m: dict, vs: Path, per: pd.DataFrame, bills: pd.DataFrame) -> dict:
    """ED visits (one per member and day) not followed by a hospital admission (type of bill
    11x) that day or the next, and with no ED line that day whose principal diagnosis is a
    mental illness or substance use disorder (mental_disorder_dx)."""
    claims, elig = m["medical_claim"], m["eligibility"]
    codes, _ = value_set(vs, "ed_visit")
    is_ed = (
        claims["revenue_center_code"].isin(codes)
        | claims["hcpcs_code"].isin(codes)
        | (claims["place_of_service_code"] == "23")
    )
    lines = claims.loc[is_ed, ["person_id", "claim_start_date", "diagnosis_code_1"]].copy()
    lines["mental"] = in_value_set(lines["diagnosis_code_1"], vs, "mental_disorder_dx")
    visits = lines.groupby(["person_id", "claim_start_date"], as_index=False)["mental"].any()
    admissions = bills.loc[bills["kind"] == "11", ["person_id", "admission_date"]]
    admitted = set()
    for days in (0, 1):
        shifted = admissions.assign(
            claim_start_date=admissions["admission_date"] - pd.Timedelta(days=days)
        )
        hit = visits.merge(
            shifted[["person_id", "claim_start_date"]], on=["person_id", "claim_start_date"]
        )
        admitted |= set(zip(hit["person_id"], hit["claim_start_date"], strict=True))
    keys = list(zip(visits["person_id"], visits["claim_start_date"], strict=True))
    visits = visits[
        ~visits["mental"] & ~pd.Series([k in admitted for k in keys], index=visits.index)
    ]
    visits = visits.assign(month=visits["claim_start_date"].dt.to_period("M").dt.start_time)
    by_month = visits.groupby(["person_id", "month"]).size().rename("visits").reset_index()
    mm = member_months(elig, per.attrs["data_start"], per["period_end"].max())
    mm = mm.merge(by_month, on=["person_id", "month"], how="left")
    mm["visits"] = mm["visits"].fillna(0)
    out = {}
    for p in per[per["period_start"] >= per.attrs["data_start"]].itertuples():
        in_q = mm[(mm["month"] >= p.period_start) & (mm["month"] <= p.period_end)]
        out[f"ed_visits|{p.period_id}"] = [float(in_q["visits"].sum()), float(len(in_q))]
    return out


def inpatient_bills(claims: pd.DataFrame) -> pd.DataFrame:
    """Return one row per hospital claim (type of bill 11x or 12x) with `stay`, the claim id of
    the first claim of its stay: a member's claims of the same kind of bill are one stay while
    each is admitted no later than the day after the latest discharge before it."""
    inst = claims[
        (claims["claim_type"] == "institutional")
        & claims["bill_type_code"].str[:2].isin(["11", "12"])
    ].copy()
    inst["admit"] = inst["admission_date"].fillna(inst["claim_start_date"])
    inst["discharge"] = inst["discharge_date"].fillna(inst["claim_end_date"])
    bills = inst.groupby("claim_id", as_index=False).agg(
        person_id=("person_id", "first"),
        admission_date=("admit", "min"),
        discharge_date=("discharge", "max"),
        disposition=("discharge_disposition_code", "first"),
        principal_dx=("diagnosis_code_1", "first"),
        bill_type_code=("bill_type_code", "first"),
    )
    bills["kind"] = bills["bill_type_code"].str[:2]
    bills = bills.sort_values(["person_id", "kind", "admission_date", "discharge_date", "claim_id"])
    keys = [bills["person_id"], bills["kind"]]
    latest = bills.groupby(keys)["discharge_date"].cummax()
    before = latest.groupby(keys).shift()
    starts = before.isna() | (bills["admission_date"] > before + pd.Timedelta(days=1))
    bills["stay"] = bills["claim_id"].where(starts).ffill()
    return bills


LAST_CLAIM_TIES = ["bill_type_code", "disposition", "principal_dx"]


def hospital_stays(bills: pd.DataFrame) -> pd.DataFrame:
    """Return one row per stay of `bills`, keyed by claim_id (the stay's first claim): the
    first admission, the last discharge and the last claim's status, diagnosis and bill type
    (two claims over the same days: not an interim bill, then the higher bill type, status and
    diagnosis, as extract_helpers.sql)."""
    ordered = bills.assign(final=bills["disposition"] != "30").sort_values(
        ["stay", "discharge_date", "admission_date", "final", *LAST_CLAIM_TIES],
        na_position="first",
    )
    last = ordered.drop_duplicates("stay", keep="last").drop(columns="final")
    first_admission = bills.groupby("stay")["admission_date"].min()
    last["admission_date"] = last["stay"].map(first_admission)
    return last.drop(columns=["claim_id", "kind"]).rename(columns={"stay": "claim_id"})


def birth_years(elig: pd.DataFrame) -> pd.DataFrame:
    latest = elig.sort_values("enrollment_start_date").groupby("person_id").tail(1)
    return latest[["person_id", "birth_year"]]


def year_windows(per: pd.DataFrame, lookback_months: int = 0) -> pd.DataFrame:
    """Return the periods whose 12-month window, and `lookback_months` before it, are in the
    data."""
    first = per["year_start"] - pd.DateOffset(months=lookback_months)
    return per[first >= per.attrs["data_start"]]


def enrolled_months(m: dict, per: pd.DataFrame) -> set:
    """Return the (person_id, month start) pairs an enrollment span touches, in the data."""
    months = member_months(m["eligibility"], per.attrs["data_start"], per["period_end"].max())
    return set(zip(months["person_id"], months["month"], strict=False))


def enrolled_year_before(m: dict, per: pd.DataFrame, stays: pd.DataFrame) -> pd.DataFrame:
    """Return the stays whose member is enrolled in all but at most one of the 12 months
    before the discharge month (HEDIS PCR's year before, one gap of up to 45 days)."""
    enrolled = enrolled_months(m, per)
    month = stays["discharge_date"].dt.to_period("M")
    ok = [
        sum((person, (start - k).start_time) not in enrolled for k in range(1, 13)) <= 1
        for person, start in zip(stays["person_id"], month, strict=True)
    ]
    return stays[ok]


def enrolled_30_days(m: dict, per: pd.DataFrame, stays: pd.DataFrame) -> pd.DataFrame:
    """Return the stays whose member is enrolled in every month from discharge to 30 days on."""
    enrolled = enrolled_months(m, per)
    first = stays["discharge_date"].dt.to_period("M").dt.start_time
    last = (stays["discharge_date"] + pd.Timedelta(days=30)).dt.to_period("M").dt.start_time
    ok = [
        all((person, month) in enrolled for month in pd.date_range(a, b, freq="MS"))
        for person, a, b in zip(stays["person_id"], first, last, strict=True)
    ]
    return stays[ok]


def hospice_care(claims: pd.DataFrame, vs: Path) -> pd.DataFrame:
    """Return each member's days of hospice care (type of bill 81x, 82x or value set hospice)."""
    hit = (
        claims["bill_type_code"].str[:2].isin(["81", "82"])
        | in_value_set(claims["revenue_center_code"], vs, "hospice")
        | in_value_set(claims["hcpcs_code"], vs, "hospice")
    )
    return claims.loc[hit, ["person_id", "claim_start_date"]].drop_duplicates()


def without_hospice(rows: pd.DataFrame, hospice: pd.DataFrame, window) -> pd.DataFrame:
    """Return the rows whose member had no hospice care in the window (a period row)."""
    during = hospice["claim_start_date"].between(window.year_start, window.period_end)
    return rows[~rows["person_id"].isin(set(hospice.loc[during, "person_id"]))]


def readmissions(m: dict, vs: Path, per: pd.DataFrame, stays: pd.DataFrame) -> dict:
    acute = stays[stays["bill_type_code"].str[:2] == "11"]
    acute = acute.merge(birth_years(m["eligibility"]), on="person_id")
    age = acute["discharge_date"].dt.year - acute["birth_year"]
    eligible = (
        age.between(18, 64)
        & ~acute["disposition"].fillna("01").isin(["02", "05", "20", "30"])
        & ~in_value_set(acute["principal_dx"], vs, "pregnancy_dx")
        & acute["principal_dx"].notna()
    )
    candidates = enrolled_year_before(m, per, enrolled_30_days(m, per, acute[eligible]))
    later = acute[
        ~in_value_set(acute["principal_dx"], vs, "planned_admission_dx")
        & acute["principal_dx"].notna()
    ][["person_id", "claim_id", "admission_date"]]
    pairs = candidates[["person_id", "claim_id", "discharge_date"]].merge(
        later, on="person_id", suffixes=("", "_r")
    )
    pairs = pairs[
        (pairs["claim_id_r"] != pairs["claim_id"])
        & (pairs["admission_date"] > pairs["discharge_date"])
        & (pairs["admission_date"] <= pairs["discharge_date"] + pd.Timedelta(days=30))
    ]
    readmitted = set(pairs["claim_id"])
    hospice = hospice_care(m["medical_claim"], vs)
    out = {}
    for p in year_windows(per, lookback_months=12).itertuples():
        index = candidates[
            (candidates["discharge_date"] >= p.year_start)
            & (candidates["discharge_date"] <= p.period_end - pd.Timedelta(days=30))
        ]
        index = without_hospice(index, hospice, p)
        out[f"readmission_30d|{p.period_id}"] = [
            float(index["claim_id"].isin(readmitted).sum()),
            float(len(index)),
        ]
    return out


def fuh_7d(m: dict, vs: Path, per: pd.DataFrame, stays: pd.DataFrame, bills: pd.DataFrame) -> dict:
    claims = m["medical_claim"]
    mh = stays[
        (stays["bill_type_code"].str[:2] == "11")
        & in_value_set(stays["principal_dx"], vs, "mental_illness_dx")
        & ~stays["disposition"].fillna("01").isin(["20", "30"])
    ].merge(birth_years(m["eligibility"]), on="person_id")
    mh = enrolled_30_days(m, per, mh[mh["discharge_date"].dt.year - mh["birth_year"] >= 6])
    # discharges followed within 30 days by acute or non-acute inpatient care: excluded
    inpatient = claims[
        (claims["claim_type"] == "institutional")
        & claims["bill_type_code"].str[:2].isin(["11", "12", "18", "21", "86"])
    ]
    admissions = inpatient.assign(
        admission_date=inpatient["admission_date"].fillna(inpatient["claim_start_date"])
    )[["person_id", "claim_id", "admission_date"]].drop_duplicates()
    stay_of = bills.set_index("claim_id")["stay"]
    admissions["claim_id"] = admissions["claim_id"].map(stay_of).fillna(admissions["claim_id"])
    pairs = mh[["person_id", "claim_id", "discharge_date"]].merge(
        admissions, on="person_id", suffixes=("", "_s")
    )
    followed = pairs[
        (pairs["claim_id_s"] != pairs["claim_id"])
        & (pairs["admission_date"] >= pairs["discharge_date"])
        & (pairs["admission_date"] <= pairs["discharge_date"] + pd.Timedelta(days=30))
    ]
    mh = mh[~mh["claim_id"].isin(set(followed["claim_id"]))]
    mh_service = (claims["claim_type"] == "professional") & in_value_set(
        claims["hcpcs_code"], vs, "mental_health_visit"
    )
    visit_for_mental_illness = (
        in_value_set(claims["hcpcs_code"], vs, "outpatient_visit")
        | in_value_set(claims["revenue_center_code"], vs, "outpatient_visit")
    ) & in_value_set(claims["diagnosis_code_1"], vs, "mental_illness_dx")
    visits = claims.loc[
        mh_service | visit_for_mental_illness, ["person_id", "claim_start_date"]
    ].drop_duplicates()
    pairs = mh[["person_id", "claim_id", "discharge_date"]].merge(visits, on="person_id")
    days = (pairs["claim_start_date"] - pairs["discharge_date"]).dt.days
    followed_up = set(pairs.loc[days.between(1, 7), "claim_id"])
    hospice = hospice_care(claims, vs)
    out = {}
    for p in year_windows(per).itertuples():
        d = mh[
            (mh["discharge_date"] >= p.year_start)
            & (mh["discharge_date"] <= p.period_end - pd.Timedelta(days=30))
        ]
        d = without_hospice(d, hospice, p)
        out[f"fuh_7d|{p.period_id}"] = [float(d["claim_id"].isin(followed_up).sum()), float(len(d))]
    return out


def program_values(m: dict, value_sets: Path) -> dict:
    """Return {"<measure>|<period>": [numerator, denominator]} at program level."""
    per = periods(m["medical_claim"], m["pharmacy_claim"])
    bills = inpatient_bills(m["medical_claim"])
    stays = hospital_stays(bills)
    return {
        **ed_visits(m, value_sets, per, bills),
        **readmissions(m, value_sets, per, stays),
        **fuh_7d(m, value_sets, per, stays, bills),
    }
