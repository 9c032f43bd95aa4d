"""Downloads of a version: full results, one CSV per entity, and the CP summary for the state.

    downloads/results.csv, results.parquet   every public row the version shows (all periods
                                             of stratum 'all', strata of the published period;
                                             stars on the published period's rows only)
    downloads/measures.csv                   one row per measure: titles, unit, direction...
    downloads/peer_bands.csv, .parquet       the middle half of each peer group and its middle
                                             result, as the pages show them (only in an
                                             edition whose pages show a band)
    downloads/results_columns.csv            what each column of results.csv holds
    downloads/<level>/<slug>.csv             one entity's rows of results.csv
    downloads/summary_stars.csv              overall and area stars of every entity for the
                                             published period (and its incentive tier, when
                                             measures/_tiers.yml sets tiers)
    downloads/cp_summary.csv, .xlsx          one row per Community Partner, laid out for
                                             reporting to the state (the workbook adds the
                                             results in long form, assessments and notes)
    downloads/manifest.json, cut_points.csv  provenance (written by site.write_downloads)

Numbers are rounded: value and interval to the measure's decimals + 2, counts to integers.
Every number in a CSV is quoted: with integer counts, bare numbers side by side ("148,7656")
would read as other numbers to anything scanning the text (the privacy tests do). The CSVs
leave out period_end (the period id says it; results.parquet has it).
Everything is read from the public view (site.download_frame), never from the raw results.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from scorecard import i18n, stats, views
from scorecard import site as S
from scorecard.audience import SUMMARY_HIDDEN
from scorecard.compile import WINDOW_MONTHS
from scorecard.specs import FAMILY_ORDER, RATED_FAMILIES, left_out

EXTRA_DIGITS = 2
ENTITY_CONSTANT = ["level", "period_end"]  # constant in, or implied by, a row
# What the per-entity CSVs add after measure_id, so that a reader of one organization's file
# sees what each row measures without measures.csv: its title, unit and better direction.
ENTITY_MEASURE_COLUMNS = ("title", "unit", "direction")
NUMBER_COLUMNS = ("value", "lower", "upper", "numerator", "denominator", "open_gaps", "stars")
RESULT_COLUMNS = (
    *("measure_id", "measure_version", "period_id", "window_start", "window_end", "period_end"),
    *("level", "entity_id", "entity_name"),
    *("stratum", "stratum_value", "kind", "value", "lower", "upper", "numerator", "denominator"),
    *("open_gaps", "stars", "star_note", "peer_group", "peer_label", "trend_label"),
    *("suppressed", "suppression_reason", "suppression_text"),
)
# No count of the members a measure left out: the shared exclusions are a WHERE of the
# compiled query (compile.not_excluded) and a measure's own are inside its SQL, so the
# results never hold it; a count would need each measure's SQL to return the rows it drops.
# What each column of results.csv (and of the per-entity CSVs) holds, written beside them as
# results_columns.csv: the data dictionary of the downloads.
RESULT_COLUMN_MEANINGS = {
    "measure_id": "The measure (measures.csv describes each one).",
    "measure_version": "The version of the measure's definition the result follows "
    "(measures.csv describes the version in use; a new version can change the result).",
    "period_id": "The reporting period: a quarter such as 2025Q4.",
    "window_start": "The first day of the measurement window: the 12 months up to the "
    "period's end for most measures, the quarter alone for some (measures.csv, window). "
    "Measures that follow an event up (a hospital stay, an ED visit, a new diagnosis) count "
    "events that leave time for the follow-up inside the window, so their events can start "
    "before it and stop before its end: see the measure's page (How it is worked out).",
    "window_end": "The last day of the measurement window (the period's last day). A measure "
    "that follows an event up counts only events early enough for the follow-up to end by "
    "then (window_start says more).",
    "period_end": "The last day of the period (results.parquet only).",
    "level": "program, aco, cp (Community Partner) or practice.",
    "entity_id": "The organization's id (ALL for the whole program).",
    "entity_name": "The organization's name.",
    "title": "The measure's title (per-organization files only; measures.csv has the rest).",
    "unit": "What the value counts, e.g. percent of members (per-organization files and "
    "peer_bands.csv only).",
    "direction": "Whether a higher or a lower result is better, or neither (per-organization "
    "files only).",
    "stratum": "How the members are grouped: all, age_band, sex, race, language or cp_type.",
    "stratum_value": "The group within the stratum (all when stratum is all).",
    "kind": "proportion, rate, mean, median or ratio: how value is worked out.",
    "value": "The result: numerator / denominator x the measure's multiplier (proportion, "
    "rate), the average (mean), the middle value (median; not numerator / denominator), or "
    "observed / expected (ratio). Blank when not shown.",
    "lower": "Lower end of the 95% likely range (Wilson for proportions, exact Poisson for "
    "rates and ratios, each member's months taken together for spending and the rated rates, "
    "log-scale t for means, so never below 0 for a mean of amounts). Blank for medians, "
    "results not shown and means not compared (peer_label too_few or no_spread).",
    "upper": "Upper end of the 95% likely range.",
    "numerator": "Members who met the measure, events, a sum (days, dollars, risk scores) or "
    "observed events, by kind. Blank when not shown.",
    "denominator": "Members, events, member months or expected events counted. Blank when "
    "not shown.",
    "open_gaps": "Care-gap measures only: those counted who did not get the care (or had the "
    "bad outcome, where lower is better).",
    "stars": "1 to 5 stars, on the published period's rated results only.",
    "small_counts": "Internal edition only: yes when the row shows a count from 1 to 10. "
    "Do not share such rows outside the program.",
    "star_note": "Why a shown result of a rated measure has no stars: chance (too few members "
    "to tell real differences from chance: its reliability is below the minimum), level_chance "
    "(too few organizations of its kind had reliable results to rate the measure among them), "
    "few_entities (too few organizations of its kind had enough data) or alike (most "
    "organizations of its kind had the same result: too few different results were left, once "
    "the very unusual ones were set aside, to set five star levels); blank otherwise.",
    "peer_group": "Whom an organization's result (stratum all) is compared with, for its "
    "stars, peer_label and middle-half band (peer_bands.csv has the bands): BH or LTSS for "
    "a Community Partner, compared only with the Community Partners of the same type "
    "(Behavioral Health or Long-Term Services and Supports); blank for ACOs, practices and "
    "Community Partners of unknown type, compared with every organization of their level "
    "(and with the whole program).",
    "peer_label": "Against the whole program, or for a Community Partner with a peer_group "
    "against all the members of its type of Community Partner (the program's cp_type row): "
    "better, worse or no_different (the likely range "
    "on one side of that value or not); higher or lower for a measure that is "
    "neither better nor worse by itself (direction neutral); too_few or no_spread for an "
    f"average not compared: fewer than {stats.MIN_MEAN_MEMBERS} members (spending), or every "
    "member had the same "
    "result (such as $0), so it has no likely range; few_peers when fewer than "
    f"{stats.MIN_PEERS} Community Partners of its type have results to compare; "
    "hidden_reference when the result it would be compared with is hidden to protect privacy, "
    "no_reference when there is none for the measure (neither gives a figure).",
    "trend_label": "Against the result a whole window before, so that the two share no "
    "month: a result over twelve months against the twelve months before (the same quarter a "
    "year earlier), a result over a quarter against the quarter before. improved, declined or "
    "no_change (a test at "
    "the 5% level); rose or fell for a neutral measure.",
    "suppressed": "true when the result is not shown.",
    "suppression_reason": "Why not: no_data, small_count, small_complement, "
    "small_denominator or complementary (the public edition: no_data or withheld).",
    "suppression_text": "The reason in words.",
}
# What the columns of peer_bands.csv that results.csv does not have hold (results_columns.csv
# lists them too, when the edition has the file).
PEER_BAND_MEANINGS = {
    "n_organizations": "peer_bands.csv only: how many organizations of the peer group the "
    "band is worked out from: those whose result in the period could be shown and counted "
    "enough members.",
    "low": "peer_bands.csv only: the low end of the middle half of the peer group's results "
    "(a quarter of them scored below it), rounded as the pages show it.",
    "middle": "peer_bands.csv only: the middle result of the peer group (half scored below "
    "it), rounded as the pages show it; blank when no page shows it (only the measure pages "
    "do).",
    "high": "peer_bands.csv only: the high end of the middle half (a quarter scored above it).",
}
SHORT_REASONS = {  # one row per stratum and period: short words keep the file small
    "no_data": "No one eligible",
    "small_count": "Privacy: 10 or fewer",
    "small_complement": "Privacy: would reveal 10 or fewer",
    "small_denominator": "Too few eligible",
    "complementary": "Privacy: would reveal another hidden result",
    "withheld": "Too few to show safely or reliably",
}


def round_results(frame: pd.DataFrame, decimals: pd.Series) -> pd.DataFrame:
    """Return frame with value/lower/upper rounded to decimals+2 and counts rounded."""
    out = frame.copy()
    digits = decimals.fillna(1).astype(int) + EXTRA_DIGITS
    for column in ("value", "lower", "upper"):
        numbers = pd.to_numeric(out[column], errors="coerce")
        rounded = numbers.copy()
        for d in sorted(digits.unique()):
            mask = digits == d
            rounded[mask] = numbers[mask].round(int(d))
        out[column] = rounded
    for column in S.COUNT_COLUMNS:
        if column in out.columns:
            out[column] = round_counts(pd.to_numeric(out[column], errors="coerce"))
    out["stars"] = pd.to_numeric(out["stars"], errors="coerce").round().astype("Int64")
    return out


def round_counts(numbers: pd.Series) -> pd.Series:
    """Return counts rounded: whole numbers stay whole, sums (days, dollars, risk scores) keep
    two decimals, and no number outside 1-10 (stats.is_small_count: never shown) is ever rounded
    into it."""
    rounded = numbers.round(2)
    into_small = ~stats.is_small_count(numbers) & stats.is_small_count(rounded)
    return rounded.mask(into_small, numbers.round(6))


def number_text(numbers: pd.Series) -> pd.Series:
    """Return numbers as text: '148' for whole numbers, '10.43' otherwise, '' when missing."""
    values = pd.to_numeric(numbers, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    text = ["" if v != v else format(v, ".15g") for v in values.tolist()]  # v != v: NaN
    return pd.Series(text, index=numbers.index, dtype=object)


def csv_cells(frame: pd.DataFrame) -> list[np.ndarray]:
    """Return the CSV cells of each column of frame (object arrays of str), as csv_text writes
    them. Each distinct value is formatted once: ids, labels and counts repeat a lot."""
    columns = []
    for name in frame.columns:
        series = frame[name]
        if (
            name in NUMBER_COLUMNS
            or pd.api.types.is_numeric_dtype(series.dtype)
            and not (pd.api.types.is_bool_dtype(series.dtype))
        ):
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            bits = np.ascontiguousarray(values).view(np.int64)  # keeps -0.0 apart from 0.0
            _, at, codes = np.unique(bits, return_index=True, return_inverse=True)
            texts = number_text(pd.Series(values[at])).tolist()
            cells = np.array([f'"{t}"' if t else "" for t in texts], dtype=object)
        else:
            text = series.astype("string").fillna("")
            codes, uniques = pd.factorize(text)
            cleaned = pd.Series(uniques, dtype="string").str.replace(r"[\r\n]+", " ", regex=True)
            quoted = '"' + cleaned.str.replace('"', '""', regex=False) + '"'
            cells = quoted.where(cleaned.str.contains(r'[",]', regex=True), cleaned)
            cells = np.asarray(cells.astype(object).tolist(), dtype=object)
        columns.append(cells[codes])
    return columns


def csv_text(frame: pd.DataFrame) -> str:
    """Return frame as CSV in which every number is quoted ("148","7656") and text is quoted
    only when it must be: with bare integers side by side, '148,7656' would read as other
    numbers to anything scanning the text (the privacy tests do)."""
    return _joined(list(frame.columns), csv_cells(frame))


def _joined(header: list[str], columns: list[np.ndarray]) -> str:
    if not columns:
        return ""
    return "\n".join([",".join(map(str, header)), *_lines(columns)]) + "\n"


def _lines(columns: list[np.ndarray]) -> list[str]:
    """Return the CSV lines of the rows whose cells are `columns` (csv_cells)."""
    return [",".join(row) for row in zip(*columns, strict=True)]


def results_frame(model: S.SiteModel) -> pd.DataFrame:
    """Return the public results as downloaded: names, short reasons, rounded numbers."""
    frame = S.download_frame(model)
    frame = round_results(frame, frame["decimals"])
    short = frame["suppression_reason"].map(SHORT_REASONS)
    frame["suppression_text"] = short.fillna(frame["suppression_text"]).where(
        frame["suppressed"], ""
    )
    frame = frame.assign(**result_windows(frame, model.specs))
    frame["period_end"] = pd.to_datetime(frame["period_end"]).dt.strftime("%Y-%m-%d")
    columns = [c for c in RESULT_COLUMNS if c in frame.columns]
    if model.site.small_counts:  # the internal edition: mark the rows with a count under 11
        small = pd.concat(
            [stats.is_small_count(frame[c]) for c in ("numerator", "denominator", "open_gaps")],
            axis=1,
        ).any(axis=1)
        frame["small_counts"] = np.where(small, "yes", "")
        columns.append("small_counts")
    return frame[columns]


def result_windows(frame: pd.DataFrame, specs: dict) -> dict[str, pd.Series]:
    """Return each row's measure_version, window_start and window_end (YYYY-MM-DD): the
    spec's version, and the measurement window (a year or a quarter up to period_end). A
    measure that follows an event up counts events shifted from it (IET: from 47 days before
    the window to 47 days before its end); its method says so, not these columns."""
    ends = pd.to_datetime(frame["period_end"])
    months = (
        frame["measure_id"]
        .map({m: WINDOW_MONTHS[s.window] for m, s in specs.items()})
        .fillna(WINDOW_MONTHS["year"])
    )
    after = ends + pd.Timedelta(days=1)  # a month's first day: counted back whole months
    starts = [a - pd.DateOffset(months=int(n)) for a, n in zip(after, months, strict=True)]
    versions = frame["measure_id"].map({m: s.version for m, s in specs.items()})
    return {
        "measure_version": versions.astype("Int64"),
        "window_start": pd.Series(starts, index=frame.index).dt.strftime("%Y-%m-%d"),
        "window_end": ends.dt.strftime("%Y-%m-%d"),
    }


def measures_frame(model: S.SiteModel) -> pd.DataFrame:
    """Return one row per measure: ids, titles, family, kind, unit, direction, decimals."""
    rows = [
        {
            "measure_id": s.id,
            "title": s.title,
            "short_title": s.short_title,
            "plain_title": s.text("en").title,
            "family": s.family,
            "kind": s.kind,
            "unit": s.unit,
            "direction": s.direction,
            "multiplier": s.multiplier,
            "decimals": s.decimals,
            "window": s.window,
            "min_denominator": s.min_denominator,
            "levels": " ".join(s.levels),
            "source": " ".join(s.source.split()),
            "version": s.version,
            "edition": s.edition,
            "lookback_months": s.lookback_months,
            "exclusions": "; ".join(left_out(s)),
            "strata": " ".join(s.strata),
            "star_method": s.stars.method,
            "definition": " ".join(s.description.split()),
            "method": " ".join(s.method.split()),
        }
        for s in model.specs.values()
    ]
    return pd.DataFrame(rows)


def write_downloads(model: S.SiteModel, folder: Path) -> None:
    """Write results.csv/.parquet, measures.csv, the per-entity CSVs and the CP summary."""
    folder.mkdir(parents=True, exist_ok=True)
    frame = results_frame(model)
    table = frame.drop(columns=["period_end"])
    cells = csv_cells(table)  # results.csv and the entity CSVs share them
    (folder / "results.csv").write_text(_joined(list(table.columns), cells), encoding="utf-8")
    frame.to_parquet(folder / "results.parquet", index=False)
    _csv(measures_frame(model), folder / "measures.csv")
    meanings = [(c, RESULT_COLUMN_MEANINGS.get(c, "")) for c in frame.columns]
    meanings += [(c, RESULT_COLUMN_MEANINGS[c]) for c in ENTITY_MEASURE_COLUMNS]
    if write_peer_bands(model, folder):
        meanings += list(PEER_BAND_MEANINGS.items())
    _csv(pd.DataFrame(meanings, columns=["column", "meaning"]), folder / "results_columns.csv")
    write_entity_csvs(model, frame, folder.parent, dict(zip(table.columns, cells, strict=True)))
    _csv(summary_stars_frame(model), folder / "summary_stars.csv")
    summary = cp_summary(model, frame)  # no rows when the version has no CP (a partner's)
    _csv(summary, folder / "cp_summary.csv")
    write_cp_workbook(model, frame, summary, folder / "cp_summary.xlsx")


def write_peer_bands(model: S.SiteModel, folder: Path) -> bool:
    """Write peer_bands.csv and .parquet (views.peer_bands_frame) when the edition's pages
    show a band; return whether they were written."""
    bands = views.peer_bands_frame(model)
    if bands.empty:
        return False
    _csv(bands, folder / "peer_bands.csv")
    bands.to_parquet(folder / "peer_bands.parquet", index=False)
    return True


def _csv(frame: pd.DataFrame, path: Path) -> None:
    path.write_text(csv_text(frame), encoding="utf-8")


def write_entity_csvs(
    model: S.SiteModel,
    frame: pd.DataFrame,
    docs_dir: Path,
    cells: dict[str, np.ndarray] | None = None,
) -> None:
    """Write each entity's rows of the results to its CSV (one to_csv call in all); `cells`,
    the csv_cells of frame by column (frame's rows in frame's order), saves making them again."""
    ordered = frame[frame["level"].isin(S.LEVELS)].sort_values(
        ["level", "entity_id"], kind="stable"
    )
    kept = [c for c in ordered.columns if c not in ENTITY_CONSTANT]
    if cells is None or any(c not in cells for c in kept):
        cells = dict(zip(kept, csv_cells(ordered[kept]), strict=True))
        at = np.arange(len(ordered))
    else:
        at = frame.index.get_indexer(ordered.index)  # rows of ordered within frame
    # the measure's title, unit and direction in words after measure_id (the same on every
    # row of a measure: from the specs, never from the results)
    specs = model.specs
    about = pd.DataFrame(
        {
            "title": [specs[m].title if m in specs else "" for m in ordered["measure_id"]],
            "unit": [specs[m].unit if m in specs else "" for m in ordered["measure_id"]],
            "direction": [
                S.DIRECTION_TEXT.get(specs[m].direction, "") if m in specs else ""
                for m in ordered["measure_id"]
            ],
        }
    )
    columns = [cells[c][at] for c in kept]
    extra = csv_cells(about)
    where = kept.index("measure_id") + 1 if "measure_id" in kept else 0
    names = [*kept[:where], *ENTITY_MEASURE_COLUMNS, *kept[where:]]
    header = ",".join(names)
    lines = _lines([*columns[:where], *extra, *columns[where:]])
    levels = ordered["level"].to_numpy(dtype=object)
    ids = ordered["entity_id"].astype(str).to_numpy(dtype=object)
    starts = np.flatnonzero((levels[1:] != levels[:-1]) | (ids[1:] != ids[:-1])) + 1
    bounds = [0, *starts.tolist(), len(lines)]  # each entity's rows are one run of lines
    for start, stop in itertools.pairwise(bounds if len(lines) else []):
        entity = model.entity(levels[start], ids[start])
        if entity is not None:
            path = docs_dir / entity.csv
            path.parent.mkdir(parents=True, exist_ok=True)
            body = "\n".join([header, *lines[start:stop]]) + "\n"
            path.write_text(body, encoding="utf-8")


# ---------------------------------------------------------------- CP summary for the state


SUMMARY_COLUMNS = (
    *("cp_id", "cp_name", "cp_type", "period_id", "period_end", "members_at_period_end"),
    *(f"stars_{family}" for family in ("overall", *RATED_FAMILIES)),
)


SUMMARY_STARS_COLUMNS = (
    *("level", "entity_id", "entity_name", "peer_group", "period_id", "family", "stars"),
    *("average", "n_rated", "n_measures", "reward", "reward_note", "note"),
)


def summary_stars_frame(model: S.SiteModel) -> pd.DataFrame:
    """Return the published period's overall and area stars of every entity with a page: one
    row per entity and family, with the unrounded average, n_rated of the n_measures it could
    be rated on, the reward factor included in a rated overall average (`reward`, blank when
    none was given; `reward_note` says so in words), `note` saying why a rating this edition
    leaves blank is not shown, and its incentive tier on overall rows (column `tier` only with
    tiers)."""
    summary = model.site.summary
    now = summary[summary["period_id"] == model.site.period_id]
    rows = []
    for level in S.LEVELS:
        names = {e.entity_id: e.name for e in model.entities[level]}
        part = now[(now["level"] == level) & now["entity_id"].astype(str).isin(names)]
        for record in part.to_dict("records"):
            entity_id = str(record["entity_id"])
            tier = model.tiers.get((level, entity_id), {}) if record["family"] == "overall" else {}
            rows.append(
                {
                    **{k: record.get(k) for k in SUMMARY_STARS_COLUMNS},
                    "entity_id": entity_id,
                    "entity_name": names[entity_id],
                    **_reward_columns(record),
                    "note": _summary_note(record),
                    "tier": tier.get("name", ""),
                }
            )
    columns = [*SUMMARY_STARS_COLUMNS, *(["tier"] if model.site.tiers else [])]
    frame = pd.DataFrame(rows, columns=[*SUMMARY_STARS_COLUMNS, "tier"])[columns]
    frame["average"] = pd.to_numeric(frame["average"], errors="coerce").round(4)
    order = {f: i for i, f in enumerate(("overall", *FAMILY_ORDER))}
    frame = frame.assign(_order=frame["family"].map(order).fillna(len(order)))
    frame = frame.sort_values(["level", "entity_id", "_order"], kind="stable")
    return frame.drop(columns="_order").reset_index(drop=True)


def _summary_note(record: dict) -> str:
    """Return why a rating is left blank in this edition ('' when it is not)."""
    return i18n.t("en", "summary_hidden") if record.get("note") == SUMMARY_HIDDEN else ""


def _reward_columns(record: dict) -> dict[str, object]:
    """Return `reward` and `reward_note` of a summary row: the reward factor in its rated
    overall average, or blanks when it got none."""
    reward = S.given_reward(record)
    if reward is None:
        return {"reward": None, "reward_note": ""}
    return {"reward": reward, "reward_note": i18n.reward_words(reward)}


def _cp_specs(model: S.SiteModel) -> list:
    specs = [s for s in model.specs.values() if "cp" in s.levels]
    return sorted(specs, key=lambda s: (FAMILY_ORDER.index(s.family), s.id))


def cp_summary(model: S.SiteModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Return one row per CP for the published period: type, members, stars, each result; the
    CPs of each type together, as the site's index shows them (S.index_sections): their
    stars compare them with CPs of their own type alone."""
    cps = [e for section in S.index_sections(model, "cp") for e in section["entities"]]
    now = frame[
        (frame["level"] == "cp")
        & (frame["period_id"] == model.site.period_id)
        & (frame["stratum"] == "all")
    ]
    values = now.pivot_table(
        index="entity_id", columns="measure_id", values="value", aggfunc="first", dropna=False
    )
    counted = views.member_spec(model)
    member_rows = now[now["measure_id"] == (counted.id if counted else views.MEMBER_MEASURE)]
    members = member_rows.set_index("entity_id")["denominator"]
    rows = []
    for cp in cps:
        row: dict[str, object] = {
            "cp_id": cp.entity_id,
            "cp_name": cp.name,
            "cp_type": cp.detail,
            "period_id": model.site.period_id,
            "period_end": model.period_end,
            "members_at_period_end": members.get(cp.entity_id, pd.NA),
        }
        for family in ("overall", *RATED_FAMILIES):
            stars = model.stars.get(("cp", cp.entity_id, family))
            row[f"stars_{family}"] = pd.NA if S.missing(stars) else float(stars)  # type: ignore[arg-type]
        if model.site.tiers:
            row["tier"] = model.tiers.get(("cp", cp.entity_id), {}).get("name", "")
        for spec in _cp_specs(model):
            value = (
                values.at[cp.entity_id, spec.id]
                if spec.id in values.columns and (cp.entity_id in values.index)
                else pd.NA
            )
            row[spec.id] = value
        rows.append(row)
    tier = ["tier"] if model.site.tiers else []
    columns = [*SUMMARY_COLUMNS[:7], *tier, *SUMMARY_COLUMNS[7:], *(s.id for s in _cp_specs(model))]
    return pd.DataFrame(rows, columns=columns)


def _long_results(model: S.SiteModel, frame: pd.DataFrame) -> pd.DataFrame:
    now = frame[
        (frame["level"] == "cp")
        & (frame["period_id"] == model.site.period_id)
        & (frame["stratum"] == "all")
    ].copy()
    titles = {s.id: s.short_title for s in model.specs.values()}
    units = {s.id: s.unit for s in model.specs.values()}
    out = pd.DataFrame(
        {
            "CP id": now["entity_id"],
            "CP name": now["entity_name"],
            "Measure id": now["measure_id"],
            "Measure": now["measure_id"].map(titles),
            "Unit": now["measure_id"].map(units),
            "Result": now["value"],
            "Likely range from": now["lower"],
            "Likely range to": now["upper"],
            "Numerator": now["numerator"],
            "Denominator": now["denominator"],
            "Open care gaps": now["open_gaps"],
            "Stars": now["stars"],
            "Compared with": [S.Peers("cp", g).reference for g in S.peer_group_of(now)],
            "Comparison": now["peer_label"].map(S.PEER_TEXT).fillna(""),
            "Change over time": _trend_words(now, model),  # the words say against what
            "Why not shown": now["suppression_text"],
        }
    )
    return out.sort_values(["CP name", "Measure id"]).reset_index(drop=True)


def _trend_words(rows: pd.DataFrame, model: S.SiteModel) -> pd.Series:
    """Return each row's trend in words, which say what it is compared with."""
    windows = rows["measure_id"].map({s.id: s.window for s in model.specs.values()})
    return pd.Series(
        [
            S.TREND_TEXT.get(str(w), S.TREND_TEXT["quarter"]).get(str(t), ("", ""))[1]
            for w, t in zip(windows, rows["trend_label"], strict=True)
        ],
        index=rows.index,
    )


def _assessment_rows(model: S.SiteModel) -> pd.DataFrame:
    frame = getattr(model.site, "cp_assessment", None)
    columns = ["CP id", "CP name", "Focus area", "Rating", "Recommendation", "Assessment date"]
    if frame is None or len(frame) == 0:
        return pd.DataFrame(columns=columns)
    names = {e.entity_id: e.name for e in model.entities.get("cp", [])}
    own = frame[frame["cp_id"].astype(str).isin(names)]
    return pd.DataFrame(
        {
            "CP id": own["cp_id"].astype(str),
            "CP name": own["cp_id"].astype(str).map(names),
            "Focus area": own["focus_area"],
            "Rating": own["rating"],
            "Recommendation": own["recommendation"].fillna(""),
            "Assessment date": pd.to_datetime(own["assessment_date"]).dt.strftime("%Y-%m-%d"),
        },
        columns=columns,
    ).sort_values(["CP name", "Assessment date", "Focus area"])


def write_cp_workbook(
    model: S.SiteModel, frame: pd.DataFrame, summary: pd.DataFrame, path: Path
) -> None:
    """Write the CP summary workbook: Summary, Results, Assessment, Measures and About sheets."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    specs = {s.id: s for s in model.specs.values()}
    header = {
        c: f"{specs[c].short_title} ({specs[c].unit})" if c in specs else c.replace("_", " ")
        for c in summary.columns
    }
    about = pd.DataFrame(
        {
            "Item": [
                "Program",
                "Period",
                "Period ends",
                "Rows",
                "Privacy",
                "Stars",
                "Rounding",
            ],
            "Value": [
                model.site.program_name,
                S.period_label(model.site.period_id),
                model.period_end,
                f"{len(summary)} Community Partners",
                "No count from 1 to 10 is shown; results that could reveal one are left blank.",
                "1 (lowest) to 5 (highest), compared with other Community Partners of the "
                "same type (Behavioral Health or Long-Term Services and Supports) where the "
                "type is known.",
                "Results to the measure's decimals + 2; counts of members and events are whole "
                "numbers, sums (days, dollars, risk scores) keep two decimals.",
            ],
        }
    )
    sheets = {
        "Summary": summary.rename(columns=header),
        "Results": _long_results(model, frame),
        "Assessment": _assessment_rows(model),
        "Measures": measures_frame(model)[lambda m: m["levels"].str.contains("cp")],
        "About": about,
    }
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, sheet in sheets.items():
            sheet.to_excel(writer, sheet_name=name, index=False)
            ws = writer.sheets[name]
            ws.freeze_panes = "C2" if name in ("Summary", "Results") else "A2"
            for cell in ws[1]:
                cell.font = Font(bold=True)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            for index, column in enumerate(sheet.columns, start=1):
                width = max([len(str(column))] + [len(str(v)) for v in sheet[column].head(200)])
                ws.column_dimensions[get_column_letter(index)].width = min(max(width, 8), 60) + 2
        writer.book.properties.creator = "scorecard"
