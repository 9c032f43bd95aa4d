"""Who a version of the site is for, and what each audience may see.

Three audiences (`scorecard build --audience ...`):

- `internal`: every result of every entity, for the program's own analysts (who hold the
  person-level marts): no privacy suppression (internal_results: counts of 1 to 10 and the
  results that would give them away are shown), only the rule that a result on fewer than its
  minimum denominator is too unreliable to show (small_denominator). Every page says it holds
  counts under 11 (notice) and the results downloads mark each row that does (small_counts).
  Plus the only person-level output of the tool: the program's care-gap list by pseudonymous
  person id (every member with an open gap in the period, for every care-gap measure, with the
  measure's title and the member's ACO, practice and CP:
  downloads/internal/care_gaps_program.csv and .parquet) and the same rows per CP
  (downloads/internal/care_gaps/<cp_id>.csv).
- `public`: aggregates only. Entity-level demographic breakdowns are dropped (program-level
  ones stay), every hidden result gives one neutral reason (stats.neutral_reasons),
  practices with fewer than PUBLIC_MIN_PANEL members attributed in the period get no page
  (their members still count in the program and ACO results), and benchmarks are recomputed
  from the published entities only.
- `partner:<org id>` (an ACO or a CP): the partner's own entities in full (an ACO and its
  practices, by organization.parent_org_id; a CP alone) and the program. Other entities appear
  only inside benchmark percentiles (at least stats.MIN_PEERS of them): no other id or name
  anywhere.

Suppression for privacy (scorecard.stats and site.public_view) applies to the partner and
public editions, which share the one star rating and suppression every build makes (the
internal edition's stars are the same: a result shown only there gets none, star_note
INTERNAL_ONLY); restricting rows only ever hides more. An overall or area rating that counts
a result with stars the edition hides is left blank there (withhold_summaries): it would give
those stars away.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from scorecard import stats

PUBLIC_MIN_PANEL = 100  # members attributed to a practice in the period, for it to get a page
CARE_GAPS_DIR = "downloads/internal/care_gaps"
CARE_GAPS_FILE = "downloads/internal/care_gaps_program"  # .csv and .parquet
# The care-gap lists' columns: open_gaps is the member's open units (discharges, visits) for
# the measure at that attribution, so the program list's open_gaps add up to the results'.
CARE_GAP_COLUMNS = (
    *("person_id", "measure_id", "measure_title", "period_id"),
    *("aco_id", "practice_id", "cp_id", "open_gaps"),
)
_PARTNER = re.compile(r"^partner:(?P<id>[A-Za-z0-9][A-Za-z0-9._-]*)$")

Kind = Literal["internal", "public", "partner"]


class AudienceError(ValueError):
    """Raised for an audience that is malformed or names no ACO or CP."""


@dataclass(frozen=True)
class Audience:
    """An audience: internal, public, or one partner (an ACO or CP org id)."""

    kind: Kind
    partner_id: str = ""

    @property
    def key(self) -> str:
        """Return the audience as written on the command line: 'partner:CP01', 'public'."""
        return f"partner:{self.partner_id}" if self.kind == "partner" else self.kind

    @property
    def person_level(self) -> bool:
        """Return True when person-level outputs (care-gap lists) may be published."""
        return self.kind == "internal"


def parse_audience(text: str) -> Audience:
    """Return the Audience for 'internal', 'public' or 'partner:<org id>'; raise AudienceError."""
    text = (text or "").strip()
    if text in ("internal", "public"):
        return Audience(text)  # type: ignore[arg-type]
    match = _PARTNER.match(text)
    if match is None:
        raise AudienceError(
            f"--audience: {text!r} is not one of internal, public, partner:<ACO or CP org id>"
        )
    return Audience("partner", match["id"])


def partner_problems(audience: Audience, organizations: pd.DataFrame) -> list[str]:
    """Return why a partner audience cannot be built from these organizations ([] if it can)."""
    if audience.kind != "partner":
        return []
    orgs = organizations[organizations["org_id"].astype(str) == audience.partner_id]
    if orgs.empty:
        return [
            f"--audience: no organization has the org_id {audience.partner_id}; "
            "a partner is an ACO or a CP of the organization mart"
        ]
    kind = str(orgs["org_type"].iloc[0])
    if kind not in ("aco", "cp"):
        return [
            f"--audience: {audience.partner_id} is a {kind}; a partner is an ACO or a CP "
            "(an ACO's edition holds its practices)"
        ]
    return []


def own_entities(audience: Audience, organizations: pd.DataFrame) -> set[tuple[str, str]]:
    """Return the (level, entity id) pairs a partner sees in full (empty for other audiences)."""
    if audience.kind != "partner":
        return set()
    orgs = organizations.astype({"org_id": str})
    me = orgs[orgs["org_id"] == audience.partner_id]
    if me.empty:
        return set()
    level = str(me["org_type"].iloc[0])
    own = {(level, audience.partner_id)}
    if level == "aco":
        parents = orgs["parent_org_id"].astype("string")
        practices = orgs[(orgs["org_type"] == "practice") & (parents == audience.partner_id)]
        own |= {("practice", pid) for pid in practices["org_id"]}
    return own


def label(audience: Audience, organizations: pd.DataFrame) -> str:
    """Return the words shown in every page's header: who this version is for."""
    if audience.kind == "internal":
        return "Internal: not for distribution"
    if audience.kind == "public":
        return "Public edition"
    return f"For {partner_name(audience, organizations)}"


def partner_name(audience: Audience, organizations: pd.DataFrame) -> str:
    """Return the name of a partner audience's organisation (its id if it has none)."""
    orgs = organizations[organizations["org_id"].astype(str) == audience.partner_id]
    return str(orgs["org_name"].iloc[0]) if len(orgs) else audience.partner_id


def notice(audience: Audience, organizations: pd.DataFrame) -> dict[str, str]:
    """Return the marking at the top of every page, also when printed, by language: who an
    internal or partner edition is for ({} for the public edition, which anyone may read)."""
    if audience.kind == "internal":
        return {
            "en": "For internal use only. Do not share it outside the program. It shows "
            "counts under 11, hidden in the partner and public editions to protect privacy.",
            "es": "Solo para uso interno. No lo comparta fuera del programa. Muestra cifras "
            "menores de 11, ocultas por privacidad en las ediciones para socios y pública.",
        }
    if audience.kind == "partner":
        name = partner_name(audience, organizations)
        return {
            "en": f"Made for {name}. Do not share it with others.",
            "es": f"Hecho para {name}. No lo comparta con otros.",
        }
    return {}


@dataclass
class View:
    """The tables one audience's site is rendered from, and what was withheld."""

    results: pd.DataFrame
    summary: pd.DataFrame
    benchmarks: pd.DataFrame
    organizations: pd.DataFrame
    manifest: dict = field(default_factory=dict)


def _pairs(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(
        list(zip(frame["level"].astype(str), frame["entity_id"].astype(str), strict=True)),
        index=frame.index,
        dtype=object,
    )


def small_practices(panels: pd.DataFrame | None, results: pd.DataFrame) -> set[str]:
    """Return the practices of results with fewer than PUBLIC_MIN_PANEL members in panels."""
    practices = set(results.loc[results["level"] == "practice", "entity_id"].astype(str))
    if panels is None or panels.empty:
        return practices
    sizes = panels[panels["level"] == "practice"]
    members = dict(zip(sizes["entity_id"].astype(str), sizes["members"], strict=True))
    return {p for p in practices if members.get(p, 0) < PUBLIC_MIN_PANEL}


def _org_attribute(organizations: pd.DataFrame | None, org_type: str, column: str) -> dict:
    """Return org id -> `column` for the organisations of `org_type` that have one."""
    if organizations is None or column not in organizations.columns:
        return {}
    rows = organizations[(organizations["org_type"] == org_type) & organizations[column].notna()]
    return dict(zip(rows["org_id"], rows[column], strict=True))


def practice_acos(organizations: pd.DataFrame | None) -> dict[str, str]:
    """Return each practice's ACO id (organization.parent_org_id), from EngineRun.organizations."""
    return _org_attribute(organizations, "practice", "parent_org_id")


def cp_types(organizations: pd.DataFrame | None) -> dict[str, str]:
    """Return each CP's type (organization.cp_type), from EngineRun.organizations."""
    return _org_attribute(organizations, "cp", "cp_type")


def suppress(
    results: pd.DataFrame,
    organizations: pd.DataFrame | None,
    withheld: np.ndarray | None = None,
) -> pd.DataFrame:
    """Return stats.suppress of results with the groups the organisations make: the practices
    of each ACO, the CPs of each type."""
    return stats.suppress(results, practice_acos(organizations), withheld, cp_types(organizations))


def protect_withheld(
    results: pd.DataFrame, organizations: pd.DataFrame, withheld: np.ndarray
) -> pd.DataFrame:
    """Return results suppressed again with the `withheld` rows (practices an edition leaves
    out) counted as hidden for privacy: their ACO less its published practices would give them.
    Rows hidden only now lose their stars and labels too."""
    again = suppress(results, organizations, withheld)
    newly = again["suppressed"].to_numpy(bool) & ~results["suppressed"].to_numpy(bool)
    for column, empty in (
        *(("stars", pd.NA), ("star_note", ""), ("reliability", np.nan)),
        *(("peer_label", ""), ("trend_label", "")),
    ):
        if column in again.columns:
            again.loc[newly, column] = empty
    if "trend_label" in again.columns and newly.any():  # a change from a value now hidden
        cell = ["measure_id", "level", "entity_id", "stratum", "stratum_value"]
        hidden_now = again.loc[newly, [*cell, "period_id"]]
        ahead = -stats.comparison_quarters(again.loc[newly])  # the period compared with it
        hidden_now["period_id"] = stats.quarters_before(hidden_now["period_id"], ahead)
        after = (
            again[[*cell, "period_id"]]
            .merge(hidden_now.assign(_after=True), on=[*cell, "period_id"], how="left")["_after"]
            .fillna(False)
            .to_numpy(bool)
        )
        again.loc[after, "trend_label"] = ""
    return again


INTERNAL_ONLY = "internal_only"  # star_note of a result only the internal edition shows
LEVEL_NOTES = ("level_chance", "few_entities", "alike")  # ratings.STAR_NOTES shared by a level


def internal_results(results: pd.DataFrame) -> pd.DataFrame:
    """Return the results as the internal edition shows them: a result hidden only to protect
    privacy (stats.PROTECTED_REASONS) is shown, unless its count is under its minimum
    denominator (stats.reliability_count), when small_denominator says why. Its stars stay
    as every edition has them (none, as the rating left it out): star_note INTERNAL_ONLY where
    its measure has stars at its level in its period."""
    out = results.copy()
    reason = out["suppression_reason"].fillna("").astype(str)
    private = reason.isin(stats.PROTECTED_REASONS).to_numpy()
    if not private.any():
        return out
    min_den = out.get("min_denominator", pd.Series(stats.DEFAULT_MIN_DENOMINATOR, out.index))
    unreliable = (stats.reliability_count(out) < min_den.astype(float)).to_numpy()
    reason = reason.to_numpy(dtype=object)
    reason[private] = np.where(unreliable[private], "small_denominator", "")
    out["suppression_reason"] = reason
    out["suppressed"] = reason != ""
    shown = private & ~unreliable
    if "stars" in out.columns and "star_note" in out.columns:
        # rated in the same peer group (stats.PEER_GROUP: a CP among CPs of its type)
        group = ["measure_id", "period_id", "level", stats.PEER_GROUP]
        keys = out[group[:-1]].assign(**{stats.PEER_GROUP: stats.peer_group_of(out)})
        entity = (out["stratum"] == "all").to_numpy() & (out["level"] != "program").to_numpy()
        rated = keys[out["stars"].notna()].drop_duplicates().assign(_rated=True)
        hit = keys.merge(rated, on=group, how="left")["_rated"].notna().to_numpy()
        out.loc[shown & entity & hit, "star_note"] = INTERNAL_ONLY
        # a note every organisation of the peer group shares (no stars for anyone) applies too
        notes = keys.assign(_note=out["star_note"])[out["star_note"].isin(LEVEL_NOTES)]
        notes = notes.drop_duplicates(group)
        shared = keys.merge(notes, on=group, how="left")["_note"].to_numpy()
        level_wide = shown & entity & ~hit & pd.notna(shared)
        out.loc[level_wide, "star_note"] = shared[level_wide]
    return out


def restrict(
    audience: Audience,
    results: pd.DataFrame,
    summary: pd.DataFrame,
    benchmarks: pd.DataFrame,
    organizations: pd.DataFrame,
    panels: pd.DataFrame | None = None,
) -> View:
    """Return the tables this audience may see (internal: unchanged)."""
    if audience.kind == "internal":
        results = internal_results(results)
        rules = {
            "audience": audience.key,
            "entities": "all",
            "suppression": "none for privacy: counts of 1 to 10 are shown and marked; "
            "results under their minimum denominator are not shown",
            "person_level": f"{CARE_GAPS_FILE}.csv, .parquet and {CARE_GAPS_DIR}",
        }
        return View(results, summary, benchmarks, organizations, {"audience_rules": rules})
    full, entity = results, results["level"] != "program"
    if audience.kind == "public":
        hidden = small_practices(panels, results)
        withheld = (results["level"] == "practice") & results["entity_id"].astype(str).isin(hidden)
        if withheld.any():
            results = protect_withheld(results, organizations, withheld.to_numpy())
        drop = entity & ((results["stratum"] != "all") | withheld)
        kept = stats.neutral_reasons(results[~drop])
        bench = stats.benchmarks(kept)
        rules = {
            "audience": "public",
            "entities": "all ACOs and CPs; practices with at least "
            f"{PUBLIC_MIN_PANEL} members attributed in the period",
            "practices_without_a_page": len(hidden),
            "breakdowns": "program level only",
            "benchmarks": f"published entities only, at least {stats.MIN_PEERS}",
            "reasons": "one reason for every hidden result (stats.NEUTRAL_REASON)",
            "person_level": "none",
        }
    else:
        own = own_entities(audience, organizations)
        kept = results[~entity | _pairs(results).isin(own)]
        bench = benchmarks
        rules = {
            "audience": audience.key,
            "entities": "this partner's own (an ACO and its practices, or a CP)",
            "benchmarks": f"all entities of a level, unnamed, at least {stats.MIN_PEERS}",
            "person_level": "none",
        }
    visible = set(_pairs(kept[kept["level"] != "program"]))
    summary = summary[(summary["level"] == "program") | _pairs(summary).isin(visible)]
    summary = withhold_summaries(summary, hidden_stars(full, kept), kept)
    named = {e for _, e in visible | own_entities(audience, organizations)}
    orgs = organizations[organizations["org_id"].astype(str).isin(named)]
    return View(
        kept.reset_index(drop=True),
        summary.reset_index(drop=True),
        bench.reset_index(drop=True),
        orgs.reset_index(drop=True),
        {"audience_rules": rules},
    )


# summary `note` of an overall or area rating an edition leaves blank (i18n "summary_hidden")
SUMMARY_HIDDEN = "hidden_results"
SUMMARY_KEYS = ["period_id", "level", "entity_id", "family"]
_CELL = ["measure_id", "period_id", "level", "entity_id", "stratum", "stratum_value"]


def _rated_rows(results: pd.DataFrame) -> pd.DataFrame:
    """Return the entity results with stars that summary ratings count (ratings.summary_stars)."""
    rated = (results["level"] != "program") & (results["stratum"] == "all")
    return results[rated & results["stars"].notna()]


def hidden_stars(full: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    """Return the summary ratings (SUMMARY_KEYS) that count a result with stars in `full` which
    the edition's `kept` rows show without stars (hidden by its own suppression): the
    result's area and the overall rating of its entity, for the entities the edition shows."""
    starred = _rated_rows(full)[[*_CELL, "family"]]
    starred = starred[_pairs(starred).isin(set(_pairs(kept)))]
    shown = _rated_rows(kept)[_CELL].assign(_shown=True)
    lost = starred.merge(shown, on=_CELL, how="left")
    lost = lost[lost["_shown"].isna()]
    areas = lost[SUMMARY_KEYS]
    return pd.concat([areas, areas.assign(family="overall")]).drop_duplicates()


def withhold_summaries(
    summary: pd.DataFrame, hidden: pd.DataFrame, kept: pd.DataFrame
) -> pd.DataFrame:
    """Return `summary` with the ratings `hidden` (hidden_stars) left blank: no stars, average,
    reward or tier, n_rated counting only the results with stars the edition shows, and
    `note` SUMMARY_HIDDEN (its stars, average or count would give the hidden stars away)."""
    out = summary.assign(note="")
    if hidden.empty:
        return out
    hit = out[SUMMARY_KEYS].merge(hidden.assign(_hit=True), on=SUMMARY_KEYS, how="left")
    hit = hit["_hit"].notna().to_numpy()
    blank = {"stars": np.nan, "average": np.nan, "reward": np.nan, "tier": None}
    for column, empty in blank.items():
        if column in out.columns:
            out.loc[hit, column] = empty
    out.loc[hit, "n_rated"] = _shown_counts(out[hit], kept)
    if "rated_share" in out.columns:
        out.loc[hit, "rated_share"] = out.loc[hit, "n_rated"] / out.loc[hit, "n_measures"]
    out.loc[hit, "note"] = SUMMARY_HIDDEN
    return out


def _shown_counts(rows: pd.DataFrame, kept: pd.DataFrame) -> np.ndarray:
    """Return, for summary `rows`, how many results with stars of their area (all areas for
    'overall') the edition's `kept` rows show."""
    rated = _rated_rows(kept)
    by_area = rated.groupby(SUMMARY_KEYS).size()
    overall = rated.groupby(SUMMARY_KEYS[:-1]).size()
    counts = [
        overall.get(tuple(key[:-1]), 0) if key[-1] == "overall" else by_area.get(tuple(key), 0)
        for key in rows[SUMMARY_KEYS].itertuples(index=False)
    ]
    return np.asarray(counts, dtype=int)


def visible_ids(view: View) -> set[str]:
    """Return the ids of the entities a view shows (its organizations)."""
    return set(view.organizations["org_id"].astype(str))


def only_visible(
    audience: Audience, frame: pd.DataFrame | None, column: str, view: View
) -> pd.DataFrame | None:
    """Return the rows of an entity table (e.g. cp_assessment by cp_id) this audience may see."""
    if frame is None or audience.kind == "internal":
        return frame
    return frame[frame[column].astype(str).isin(visible_ids(view))].reset_index(drop=True)


def foreign_entities(
    audience: Audience, site_input: object, view: View, organizations: pd.DataFrame
) -> list[str]:
    """Return problems for any id or name of an entity the audience may not see, found in any
    table of site_input (a last check before rendering; [] for the internal audience)."""
    if audience.kind == "internal":
        return []
    hidden = organizations[~organizations["org_id"].astype(str).isin(visible_ids(view))]
    banned = set(hidden["org_id"].astype(str)) | set(hidden["org_name"].astype(str))
    problems = []
    for name, value in sorted(vars(site_input).items()):
        if not isinstance(value, pd.DataFrame):
            continue
        for column in value.columns:
            if value[column].dtype.kind in "biufcmM":
                continue
            found = sorted(set(value[column].dropna().astype(str)) & banned)
            if found:
                problems.append(
                    f"{audience.key}: {name}.{column}: entities this audience may not see, "
                    f"e.g. {found[0]!r}"
                )
    return problems


def care_gap_frame(gaps: pd.DataFrame, titles: dict[str, str]) -> pd.DataFrame:
    """Return engine.care_gap_rows as published (CARE_GAP_COLUMNS): with each measure's title,
    ids as text (empty when the member has no ACO, practice or CP) and sorted."""
    out = gaps.copy()
    for column in ("person_id", "measure_id", "period_id", "aco_id", "practice_id", "cp_id"):
        out[column] = out[column].astype("string").fillna("").astype(str)
    out["measure_title"] = [titles.get(m, "") for m in out["measure_id"]]
    out["open_gaps"] = pd.to_numeric(out["open_gaps"]).round().astype("int64")
    out = out.sort_values(["measure_id", "aco_id", "practice_id", "cp_id", "person_id"])
    return out[list(CARE_GAP_COLUMNS)].reset_index(drop=True)


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def care_gap_files(
    gaps: pd.DataFrame, organizations: pd.DataFrame, titles: dict[str, str] | None = None
) -> dict[str, bytes]:
    """Return {path under the version folder: bytes}: the program's care-gap list
    (CARE_GAPS_FILE .csv and .parquet: every member with an open gap in the period, for
    every care-gap measure) and one list per CP (its members' rows of the same list).
    `gaps`: engine.care_gap_rows; `titles`: measure id -> title."""
    from scorecard.site import slug

    frame = care_gap_frame(gaps, titles or {})
    parquet = io.BytesIO()
    frame.to_parquet(parquet, index=False)
    files = {f"{CARE_GAPS_FILE}.csv": _csv_bytes(frame)}
    files[f"{CARE_GAPS_FILE}.parquet"] = parquet.getvalue()
    cps = sorted(organizations.loc[organizations["org_type"] == "cp", "org_id"].astype(str))
    for cp_id in cps:
        rows = frame[frame["cp_id"] == cp_id]
        files[f"{CARE_GAPS_DIR}/{slug(cp_id)}.csv"] = _csv_bytes(rows)
    return files
