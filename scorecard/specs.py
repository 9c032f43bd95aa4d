"""Measure specs: one YAML file per measure in measures/, typed by a pydantic model.

A spec is data. Its SQL lives in measures/sql/<id>.sql (or the file named by `sql_file:`) and
returns the shared long shape (period_id, person_id, attr_month, numerator, denominator); see
compile.py. Loading reports every problem as "file: field: message", never only the first.

The SQL file is a Jinja2 template, rendered once when the spec is loaded:

- `parameters:` in the spec maps names to scalar values (text, numbers, true/false); the
  template uses them as `{{ days }}`, `'{{ category }}'` or `{% if ... %}`, and `{{ id }}` is
  the spec's id. Several specs can share one file through `sql_file:`, each with its own
  parameters (e.g. fua_7d and fua_30d: `sql_file: sql/fua.sql`, `parameters: {days: 7}`).
- `{% include "_name.sql" %}` pastes a shared fragment, a file in measures/sql/ whose name
  starts with an underscore (e.g. `_cms_hcc_v24.sql`). A fragment sees the parameters and
  the values set around the include (`{% with max_age=75 %}{% include ... %}{% endwith %}`).
- `{{ shared("name") }}` reads a shared table: the query in measures/sql/shared/<name>.sql,
  computed once per build for every measure that reads it and named `shared_<name>` in SQL.
  It is for work several measures repeat over every period's data (e.g. the SUD episodes of
  the six IET measures), so it must not read the periods (`periods`, `all_periods`): the
  measure joins it to its own. It has no parameters and may read other shared tables.
- `{{ in_computed_months("claim_start_date") }}` is true for a date in a month of the periods
  computed (from the earliest window's start to the latest period's end): a filter for the
  rows a measure groups by month before it joins them to its periods, which DuckDB does not
  push through the grouping (at a million members the PMPM measures summed 7.8 million member
  months of payments for the 2.4 million a quarter needs).
- Undefined names are errors (StrictUndefined), as is a parameter the SQL never uses;
  `{{ fail("message") }}` stops with a message (e.g. for a value the template does not know).

`spec.sql` holds the rendered text, so the engines, the compiler and `scorecard measures show`
see plain SQL; `spec.sql_includes` lists the fragments and shared-table files it used (they
are hashed into the manifest with the spec's YAML and SQL file) and `spec.shared_tables` holds
each shared table's rendered query, those it reads first.
"""

from __future__ import annotations

import csv
import re
import traceback
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Literal, get_args

import jinja2
import jinja2.meta
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from scorecard.contract import TABLES_BY_NAME

Family = Literal["operational", "claims", "quality", "profile"]
Kind = Literal["proportion", "rate", "mean", "median", "ratio"]
# Kinds whose value is shown as computed: the engine's value, the intervals and the reliability
# use `multiplier` only for proportions and rates, so these must keep it at 1.
UNSCALED_KINDS: tuple[str, ...] = ("mean", "median", "ratio")
# neutral: a count or a share that describes the members (how many, how sick, which
# conditions) and is neither good nor bad by itself; never rated.
Direction = Literal["higher_is_better", "lower_is_better", "neutral"]
Window = Literal["quarter", "year"]
Stratum = Literal["age_band", "sex", "race", "language", "cp_type"]
WeightCategory = Literal["process", "outcome", "intermediate_outcome", "experience", "improvement"]
Level = Literal["program", "aco", "cp", "practice"]
STRATA: tuple[str, ...] = get_args(Stratum)  # in the order pages and the engine take them
ALL_LEVELS: tuple[Level, ...] = get_args(Level)
ENTITY_LEVELS: tuple[str, ...] = tuple(lv for lv in ALL_LEVELS if lv != "program")
DEFAULT_MIN_DENOMINATOR = 30  # a result over fewer people is not reliable enough to show
# Each exclusion reads the shared table of its name: (person_id, service_date), days of care
# that leave a member out of a period whose window holds one (hospice), or, for those of
# PERIOD_EXCLUSIONS, (person_id, period_end), the members left out of the 12-month window
# ending on period_end (a rule over the whole window and the year before it).
Exclusion = Literal[
    "hospice",
    "palliative_care",
    "frailty_advanced_illness",
    "frailty_81",
    "long_term_institutional",
]
PERIOD_EXCLUSIONS: tuple[str, ...] = (
    "frailty_advanced_illness",
    "frailty_81",
    "long_term_institutional",
)
# The period exclusions that read dementia medicines (frailty_window.sql): pharmacy_claim needed.
FILL_EXCLUSIONS: tuple[str, ...] = ("frailty_advanced_illness", "frailty_81")
Parameter = bool | int | float | str

# CMS Star Ratings weights by measure category (2026 Technical Notes).
CATEGORY_WEIGHTS: dict[str, float] = {
    "process": 1.0,
    "outcome": 3.0,
    "intermediate_outcome": 3.0,
    "experience": 2.0,
    "improvement": 5.0,
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlainText(Strict):
    """Plain-language texts for members and families, in one language."""

    title: str
    summary: str
    meaning: str = Field("", description="What this means for members.")


class Stars(Strict):
    method: Literal["none", "fixed", "relative"] = "relative"
    thresholds: tuple[float, float, float, float] | None = None
    first_rated: int | None = Field(
        None,
        ge=1900,
        le=2999,
        description=(
            "The year the measure was first rated with stars in this program (year 1). A"
            " measure in its first three years of ratings gets no guardrails (CMS). Without"
            " it, the year of the earliest quarter the results history (--history) keeps cut"
            " points of the measure for, or this edition's year if none. Set it for a measure"
            " rated before this site published it; set it anew when a measure changes so much"
            " that it counts as new."
        ),
    )

    @model_validator(mode="after")
    def _fixed_needs_thresholds(self) -> Stars:
        if self.method == "fixed" and self.thresholds is None:
            raise ValueError("method 'fixed' needs thresholds: [t2, t3, t4, t5]")
        return self


class MeasureSpec(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: int = 1
    title: str
    short_title: str
    description: str
    plain: dict[Literal["en", "es"], PlainText]
    family: Family
    kind: Kind
    direction: Direction
    unit: str
    multiplier: float = 1.0
    decimals: int = Field(1, ge=0, le=4)
    window: Window = "year"
    lookback_months: int = Field(
        0,
        ge=0,
        description=(
            "Months of data before the window that the measure reads (a mammogram up to 15"
            " months before the year, a diagnosis in the year before): a period whose window"
            " starts fewer months after the first data month is not computed, since its result"
            " would count less than a later period's and make a false trend."
        ),
    )
    min_denominator: int = Field(DEFAULT_MIN_DENOMINATOR, ge=1)
    cluster: Literal["unit", "person"] = Field(
        "unit",
        description=(
            "What one independent unit is, for the likely range, the trend test and the"
            " cell-size rule: 'unit', each row the SQL returns (a member, a discharge, a"
            " care-team month), or 'person', a member's rows taken together (their member"
            " months, their days). With 'person' the engine sums each member's rows in a group"
            " first: the range allows for a member's months being alike (a member with a large"
            " bill one month often has more; one member's ED visits bunch up), and the"
            " cell-size rule counts members, not rows. For a mean, a proportion or a rate that"
            " has several rows per member."
        ),
    )
    source: str
    weight_category: WeightCategory = "process"
    stars: Stars = Stars()
    strata: tuple[Stratum, ...] = ()
    levels: tuple[Level, ...] = ALL_LEVELS
    requires: tuple[str, ...] = ("eligibility",)
    parts: tuple[str, ...] = Field(
        (),
        description=(
            "Measures that split this one's people or events between them, with nothing left"
            " over: its numerator and denominator are their sums (iet_initiation is"
            " iet_initiation_13_17 plus iet_initiation_18plus). Privacy protection then treats"
            " them as one group, so a hidden part cannot be worked out by subtracting the others"
            " from the total."
        ),
    )
    exclusions: tuple[Exclusion, ...] = Field(
        (),
        description=(
            "Members left out of the measure by a rule every measure of its kind shares:"
            " 'hospice' drops a member's rows in a period when they had hospice care in its"
            " window (as HEDIS does), from the shared table measures/sql/shared/hospice.sql;"
            " 'palliative_care' likewise for palliative care (a claim with diagnosis Z51.5 or"
            " HCPCS G9054 or M1017 on a day of the window; shared/palliative_care.sql);"
            " 'frailty_advanced_illness' drops members 66 and older with frailty claims of two"
            " or more dates in the 12-month window and an advanced illness in it or the year"
            " before, and 'frailty_81' members 81 and older with frailty claims of two or more"
            " dates in the window (as public"
            " HEDIS summaries describe them; measures/sql/shared/frailty_window.sql);"
            " 'long_term_institutional' members 66 and older living long-term in an"
            " institution, approximated from claims (HEDIS reads a CMS flag claims lack): a"
            " nursing-facility or intermediate-care stay (type of bill 21x, 65x, 66x) of 90"
            " days or more by the window's end with a day in the window"
            " (shared/long_term_institutional.sql); HEDIS applies it to Medicare members only,"
            " so no measure of this Medicaid program declares it. The last three are for a"
            " 12-month window only."
        ),
    )
    leaves_out: tuple[str, ...] = Field(
        (),
        description=(
            "What the measure's own SQL leaves out, beyond the shared `exclusions`: each rule"
            " in plain words for a reader with no health-care training (members who were"
            " pregnant in the window; hospital stays that ended in a move to another"
            " hospital). The measure page, `measures show` and measures.csv list these after"
            " the shared ones, so every rule that removes people or events is named."
        ),
    )
    shared_counts: dict[Literal["numerator", "denominator"], str] = Field(
        default_factory=dict,
        description=(
            "The name of a count this measure publishes that other measures publish too, for"
            " the same people and period (ed_visits and the spending measures all divide by"
            " member_months): the measures that name a count alike are suppressed together, so"
            " a count hidden in one is not shown by another."
        ),
    )
    method: str = Field("", description="How the measure is computed, in full.")
    edition: str = Field("", description="Which edition of the definition this follows.")
    sql_file: str = Field("", description="The SQL template, by path inside measures/.")
    parameters: dict[str, Parameter] = Field(
        default_factory=dict, description="Values for the SQL template, by name."
    )
    sql: str = Field("", exclude=True, description="The rendered SQL.")
    sql_path: str = Field(
        "", exclude=True, description="The SQL template's file, as found (messages name it)."
    )
    sql_includes: tuple[str, ...] = Field(
        (), exclude=True, description="The fragments the SQL included, by path inside measures/."
    )
    shared_tables: dict[str, str] = Field(
        default_factory=dict,
        exclude=True,
        description="The shared tables the SQL reads: name -> query, dependencies first.",
    )

    @model_validator(mode="after")
    def _neutral_is_not_rated(self) -> MeasureSpec:
        if self.direction == "neutral" and self.stars.method != "none":
            raise ValueError(
                "direction 'neutral' (neither higher nor lower is better) needs stars: "
                "{method: none}: a result that is not better or worse cannot earn stars"
            )
        return self

    @model_validator(mode="after")
    def _cluster_needs_a_ratio(self) -> MeasureSpec:
        if self.cluster == "person" and self.kind not in ("mean", "proportion", "rate"):
            raise ValueError(
                f"cluster 'person' is for a mean, a proportion or a rate, not a {self.kind}:"
                " a median has no range, and an O/E ratio uses the exact Poisson range of"
                " its observed count"
            )
        return self

    @field_validator("multiplier")
    @classmethod
    def _multiplier_scales_counts_only(cls, multiplier: float, info: ValidationInfo) -> float:
        kind = info.data.get("kind")
        if kind in UNSCALED_KINDS and multiplier != 1:
            raise ValueError(
                f"a {kind} is shown as computed: multiplier must be 1, not {multiplier:g}"
                " (it scales proportions, e.g. 100 for a percent, and rates, e.g. 1000 for"
                " per 1,000 member months)"
            )
        return multiplier

    @field_validator("parameters", mode="before")
    @classmethod
    def _scalar_parameters(cls, parameters: object) -> object:
        if not isinstance(parameters, dict):
            return parameters  # the type check reports it
        names = [n for n in parameters if not str(n).isidentifier() or n in RESERVED_PARAMETERS]
        if names:
            raise ValueError(f"parameter name(s) {names} must be identifiers other than 'id'")
        values = [n for n, v in parameters.items() if not isinstance(v, bool | int | float | str)]
        if values:
            raise ValueError(f"parameter(s) {values} need a text, number or true/false value")
        return parameters

    @field_validator("requires")
    @classmethod
    def _known_tables(cls, tables: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [t for t in tables if t not in TABLES_BY_NAME]
        if unknown:
            raise ValueError(f"unknown mart table(s) {unknown}; known: {sorted(TABLES_BY_NAME)}")
        return tables

    @model_validator(mode="after")
    def _exclusions_read_claims(self) -> MeasureSpec:
        if self.exclusions and "medical_claim" not in self.requires:
            raise ValueError(
                f"exclusions {list(self.exclusions)} read medical_claim: add it to requires"
            )
        period_rules = [x for x in self.exclusions if x in PERIOD_EXCLUSIONS]
        if period_rules and self.window != "year":
            raise ValueError(f"exclusions {period_rules} are for a 12-month window: window: year")
        fill_rules = [x for x in self.exclusions if x in FILL_EXCLUSIONS]
        if fill_rules and "pharmacy_claim" not in self.requires:
            # dementia medicines are evidence of advanced illness: without the fills the
            # exclusion would quietly leave such members in, and the measure would not say so
            raise ValueError(
                f"exclusions {fill_rules} read pharmacy_claim (dementia medicines): add it "
                "to requires"
            )
        return self

    @field_validator("shared_counts")
    @classmethod
    def _count_names(cls, names: dict[str, str]) -> dict[str, str]:
        bad = [name for name in names.values() if not name.isidentifier()]
        if bad:
            raise ValueError(f"shared count name(s) {bad} must be identifiers, e.g. member_months")
        return names

    @field_validator("plain")
    @classmethod
    def _english_required(cls, plain: dict) -> dict:
        if "en" not in plain:
            raise ValueError("plain needs at least an 'en' entry")
        return plain

    @property
    def weight(self) -> float:
        """Return the CMS-style weight of this measure's category."""
        return CATEGORY_WEIGHTS[self.weight_category]

    def text(self, lang: str) -> PlainText:
        """Return the plain-language texts in `lang`, falling back to English."""
        return self.plain.get(lang) or self.plain["en"]


class SpecError(Exception):
    """Raised with every problem found while loading measure specs."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _field_path(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) or "(file)"


def _read_yaml(path: Path) -> tuple[dict | None, list[str]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return None, [f"{path}: (file): not valid YAML: {exc}".replace("\n", " ")]
    if not isinstance(data, dict):
        return None, [f"{path}: (file): expected a mapping of fields, got {type(data).__name__}"]
    return data, []


RESERVED_PARAMETERS: tuple[str, ...] = ("id",)
EXCLUSIONS: tuple[str, ...] = typing.get_args(Exclusion)
FRAGMENT_FOLDER = "sql"  # fragments live here, inside the measures folder
SHARED_FOLDER = "shared"  # shared tables' queries live here, inside FRAGMENT_FOLDER
SHARED_PREFIX = "shared_"  # a shared table's name in SQL
PERIOD_TABLES = re.compile(r"\b(all_)?periods\b", re.IGNORECASE)


def _is_fragment(template: str) -> bool:
    return template.startswith("_") and "/" not in template and "\\" not in template


def _is_shared_query(template: str) -> bool:
    folder, _, name = template.partition("/")
    return folder == SHARED_FOLDER and name.removesuffix(".sql").isidentifier()


class _SqlLoader(jinja2.BaseLoader):
    """Load a spec's SQL file (by its name inside measures/), the `_*.sql` fragments of
    measures/sql/ (by bare name) and the shared tables' queries (shared/<name>.sql, for
    `shared("name")`); remember what was loaded, in order."""

    def __init__(self, measures_dir: Path, sql_name: str):
        self.measures_dir, self.sql_name = measures_dir, sql_name
        self.loaded: dict[str, str] = {}  # name inside measures/ -> source

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        if template == self.sql_name:
            name = template
        elif _is_fragment(template) or _is_shared_query(template):
            name = f"{FRAGMENT_FOLDER}/{template}"
        else:
            raise jinja2.TemplateNotFound(template, "only fragments named _*.sql can be included")
        path = self.measures_dir / name
        if not path.is_file():
            raise jinja2.TemplateNotFound(template, f"{path} does not exist")
        source = path.read_text(encoding="utf-8")
        self.loaded[name] = source
        return source, name, lambda: False


class TemplateFailure(Exception):
    """Raised by `{{ fail("message") }}` in a SQL template: the parameters do not fit."""


def _fail(message: str) -> str:
    raise TemplateFailure(message)


def _template_line(exc: BaseException) -> str:
    """Return 'sql/x.sql line N' for the template frame an error was raised in, if any."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".sql")]
    return f"{frames[-1].filename} line {frames[-1].lineno}" if frames else ""


def _in_computed_months(expression: str) -> str:
    """The `in_computed_months("date")` of SQL templates: the condition that the date falls in a
    month of the periods computed (the windows start and end with a month)."""
    return (
        f"{expression} BETWEEN (SELECT min(window_start) FROM periods) "
        "AND (SELECT max(period_end) FROM periods)"
    )


class _SharedFunction:
    """The `shared("name")` of SQL templates: renders measures/sql/shared/<name>.sql once and
    returns the table's name; `queries` keeps each rendered query, those it reads first."""

    def __init__(self, env: jinja2.Environment):
        self.env = env
        self.queries: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        if not str(name).isidentifier():
            raise TemplateFailure(f"shared table name {name!r} must be an identifier")
        if name not in self.queries:
            sql = self.env.get_template(f"{SHARED_FOLDER}/{name}.sql").render()
            code = "\n".join(line.split("--")[0] for line in sql.splitlines())
            if PERIOD_TABLES.search(code):
                raise TemplateFailure(
                    f"shared table {name} reads the periods; a shared table holds every "
                    "period's data and the measure joins it to its own periods"
                )
            self.queries[name] = sql.strip().rstrip(";").strip()
        return f"{SHARED_PREFIX}{name}"


def render_sql(
    measures_dir: Path, sql_name: str, values: dict[str, object], exclusions: tuple[str, ...] = ()
) -> tuple[str, tuple[str, ...], set[str], dict[str, str]]:
    """Render the SQL template `sql_name` (a path inside measures_dir) with `values`, and the
    shared tables of the spec's `exclusions`.

    Return the SQL, the fragments and shared-table files it included (paths inside
    measures_dir), the names the templates refer to and the shared tables' queries. Raise
    jinja2 errors (TemplateNotFound, TemplateSyntaxError, UndefinedError) as they come.
    """
    loader = _SqlLoader(Path(measures_dir), sql_name)
    env = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        cache_size=0,
    )
    env.globals["fail"] = _fail
    env.globals["in_computed_months"] = _in_computed_months
    shared = env.globals["shared"] = _SharedFunction(env)
    sql = env.get_template(sql_name).render(values)
    for name in exclusions:
        shared(name)
    names: set[str] = set()
    for source in loader.loaded.values():
        names |= jinja2.meta.find_undeclared_variables(env.parse(source))
    includes = tuple(n for n in loader.loaded if n != sql_name)
    return sql, includes, names, shared.queries


def _render_problems(path: Path, sql_name: str, exc: Exception) -> list[str]:
    if isinstance(exc, jinja2.TemplateNotFound):
        why = f" ({exc.message})" if exc.message and exc.message != exc.name else ""
        where = _template_line(exc) or sql_name
        return [f"{path}: sql_file: {where}: cannot include '{exc.name}'{why}"]
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where = f"{exc.name or sql_name} line {exc.lineno}"
        return [f"{path}: sql_file: {where}: template syntax: {exc.message}"]
    if isinstance(exc, TemplateFailure):
        return [f"{path}: parameters: {_template_line(exc) or sql_name}: {exc}"]
    if isinstance(exc, jinja2.UndefinedError):
        where = _template_line(exc) or sql_name
        return [f"{path}: parameters: {where}: {exc.message}; set it under parameters"]
    where = _template_line(exc) or sql_name
    return [f"{path}: sql_file: {where}: cannot render: {exc}".replace("\n", " ")]


def _attach_sql(data: dict, path: Path) -> list[str]:
    sql_name = data.get("sql_file") or f"sql/{data.get('id', path.stem)}.sql"
    sql_path = path.parent / sql_name
    if not sql_path.is_file():
        return [f"{path}: sql_file: {sql_path} does not exist"]
    data["sql_file"], data["sql_path"] = sql_name, str(sql_path)
    parameters = data.get("parameters") or {}
    if not isinstance(parameters, dict):
        return []  # the model reports it
    try:
        exclusions = data.get("exclusions") or ()
        sql, includes, names, shared = render_sql(
            path.parent,
            sql_name,
            {**parameters, "id": data.get("id", path.stem)},
            tuple(x for x in exclusions if x in EXCLUSIONS),  # the model reports the others
        )
    except Exception as exc:  # noqa: BLE001 - every template error becomes a problem line
        return _render_problems(path, sql_name, exc)
    data["sql"], data["sql_includes"], data["shared_tables"] = sql, includes, shared
    return [
        f"{path}: parameters.{name}: not used by {sql_name} or the fragments it includes"
        for name in parameters
        if name not in names
    ]


def load_spec(path: Path) -> tuple[MeasureSpec | None, list[str]]:
    """Return the spec in `path` (or None) and the list of problems found in it."""
    data, problems = _read_yaml(path)
    if data is None:
        return None, problems
    problems += _attach_sql(data, path)
    if data.get("id") not in (None, path.stem):
        problems.append(f"{path}: id: '{data.get('id')}' must match the file name '{path.stem}'")
    try:
        spec = MeasureSpec.model_validate(data)
    except ValidationError as exc:
        problems += [f"{path}: {_field_path(e['loc'])}: {e['msg']}" for e in exc.errors()]
        return None, problems
    return (spec if not problems else None), problems


def load_specs(measures_dir: Path) -> list[MeasureSpec]:
    """Return all specs in `measures_dir` by family and id; raise SpecError listing problems."""
    paths = sorted(p for p in Path(measures_dir).glob("*.yml") if not p.name.startswith("_"))
    if not paths:
        raise SpecError([f"{measures_dir}: (folder): no measure specs (*.yml) found"])
    specs, problems = [], []
    for path in paths:
        spec, found = load_spec(path)
        problems += found
        if spec is not None:
            specs.append(spec)
    problems += _parts_problems(specs, measures_dir)
    for path in sorted((Path(measures_dir) / "value_sets").glob("*.csv")):
        problems += value_set_problems(path)
    if problems:
        raise SpecError(problems)
    return sorted(specs, key=lambda s: (FAMILY_ORDER.index(s.family), s.id))


def value_set_problems(path: Path) -> list[str]:
    """Return what is wrong with the code list at `path`: no `code` column, a line whose number
    of fields is not the header's (the CSV reader would then take the file for one column and
    every code of the list would be lost without a word), or a line without a code."""
    with path.open(encoding="utf-8", newline="") as file:
        rows = csv.reader(file)
        header = next(rows, [])
        if "code" not in header:
            return [f"{path}: no 'code' column (columns found: {', '.join(header) or 'none'})"]
        at = header.index("code")
        for line, row in enumerate(rows, start=2):
            if len(row) != len(header):
                return [
                    f"{path}: line {line} has {len(row)} fields where the header has "
                    f"{len(header)} ({', '.join(header)}): {','.join(row)[:200]}"
                ]
            if not row[at].strip():
                return [f"{path}: line {line} has no code: {','.join(row)[:200]}"]
    return []


def _parts_problems(specs: list[MeasureSpec], measures_dir: Path) -> list[str]:
    """Return the problems of the specs' `parts`: a part of itself, of two measures, or of
    another kind. A part missing from the folder is not a problem: that split is not used."""
    by_id = {s.id: s for s in specs}
    problems, owner = [], {}
    for spec in specs:
        where = f"{measures_dir}/{spec.id}.yml: parts"
        for part in spec.parts:
            if part == spec.id:
                problems.append(f"{where}: a measure cannot be a part of itself")
            elif part in owner:
                problems.append(f"{where}: {part} is already a part of {owner[part]}")
            elif part in by_id and by_id[part].kind != spec.kind:
                problems.append(
                    f"{where}: {part} is a {by_id[part].kind}, this measure a {spec.kind}"
                )
            owner.setdefault(part, spec.id)
    return problems


FAMILY_ORDER: tuple[str, ...] = ("operational", "claims", "quality", "profile")
RATED_FAMILIES: tuple[str, ...] = ("operational", "claims", "quality")


# The exclusions of a spec in plain words (as on the measure page, measure.md.j2).
EXCLUSION_WORDS: dict[str, str] = {
    "hospice": "members who had hospice care (care at the end of life) in the window",
    "frailty_advanced_illness": "members 66 or older who are frail and also have a serious "
    "illness that is getting worse",
    "frailty_81": "members 81 or older who are frail",
    "palliative_care": "members who had palliative care (care to ease a serious illness) in "
    "the window",
    "long_term_institutional": "members 66 or older living long-term in a nursing home "
    "(a stay of 90 days or more, from claims)",
}
STAR_METHOD_WORDS: dict[str, str] = {
    "none": "no stars",
    "fixed": "fixed cut points",
    "relative": "relative (CMS clustering of the organizations' results)",
}


def left_out(spec: MeasureSpec) -> list[str]:
    """Return everything the measure leaves out, in plain words: the shared exclusions
    (EXCLUSION_WORDS), then the measure's own rules (leaves_out)."""
    return [*(EXCLUSION_WORDS.get(x, x) for x in spec.exclusions), *spec.leaves_out]


def what_can_change(spec: MeasureSpec) -> list[tuple[str, str]]:
    """Return (label, value) pairs of what explains a change between quarters: the spec's
    version and edition, look-back, minimum denominator, exclusions, strata and star method."""
    stars = STAR_METHOD_WORDS.get(spec.stars.method, spec.stars.method)
    if spec.stars.method == "fixed" and spec.stars.thresholds:
        stars += " " + ", ".join(f"{t:g}" for t in spec.stars.thresholds)
    return [
        ("Version", str(spec.version)),
        ("Edition followed", spec.edition or "not stated"),
        ("Look-back before the window", f"{spec.lookback_months} months"),
        ("Smallest denominator for a result", str(spec.min_denominator)),
        ("Leaves out", "; ".join(left_out(spec)) or "none"),
        ("Breakdowns", ", ".join(x.replace("_", " ") for x in spec.strata) or "none"),
        ("Star method", stars),
    ]


_CHANGED_IN = re.compile(r"\b[Cc]hanged in v(\d+)\b")


def change_notes(spec: MeasureSpec, since: int) -> list[str]:
    """Return the sentences of the spec's method that say what changed after version `since`,
    up to its version now ("Changed in v6: ...", "Also changed in v6, ...", or a sentence with
    "(changed in v6: ...)" in it), whole: by version, then in the method's order."""
    text = " ".join(spec.method.split())
    sentences = _sentences(text)
    found: dict[str, tuple[int, int]] = {}  # sentence -> (version, where)
    for match in _CHANGED_IN.finditer(text):
        if not since < int(match[1]) <= spec.version:
            continue
        at, note = next((s, w) for s, end, w in sentences if s <= match.start() < end)
        found.setdefault(note, (int(match[1]), at))
    return sorted(found, key=lambda note: found[note])


def _sentences(text: str) -> list[tuple[int, int, str]]:
    """Return (start, end, sentence) of each sentence of text: up to a full stop followed by
    a space (or the end) outside brackets, so that "e.g. R54" inside brackets ends none."""
    found, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "." and depth <= 0 and (i + 1 == len(text) or text[i + 1] == " "):
            found.append((start, i + 1, text[start : i + 1]))
            start, depth = i + 2, 0
    if text[start:].strip():
        found.append((start, len(text), text[start:].strip()))
    return found
