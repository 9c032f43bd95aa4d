"""Measure specs: one YAML file per measure in measures/, typed by a pydantic model.

A spec is data. Its SQL lives in measures/sql/<id>.sql and returns the shared long shape
(period_id, person_id, attr_month, numerator, denominator); see compile.py.
Loading reports every problem as "file: field: message", never only the first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from scorecard.contract import TABLES_BY_NAME

Family = Literal["operational", "claims", "quality", "profile"]
Kind = Literal["proportion", "rate", "mean", "median", "ratio"]
Direction = Literal["higher_is_better", "lower_is_better"]
Window = Literal["quarter", "year"]
Stratum = Literal["age_band", "sex", "race", "language", "cp_type"]
WeightCategory = Literal["process", "outcome", "intermediate_outcome", "experience", "improvement"]
Level = Literal["program", "aco", "cp", "practice"]

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
    min_denominator: int = Field(30, ge=1)
    source: str
    weight_category: WeightCategory = "process"
    stars: Stars = Stars()
    strata: tuple[Stratum, ...] = ()
    levels: tuple[Level, ...] = ("program", "aco", "cp", "practice")
    requires: tuple[str, ...] = ("eligibility",)
    method: str = Field("", description="How the measure is computed, in full.")
    edition: str = Field("", description="Which edition of the definition this follows.")
    sql_file: str = ""
    sql: str = Field("", exclude=True)

    @field_validator("requires")
    @classmethod
    def _known_tables(cls, tables: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [t for t in tables if t not in TABLES_BY_NAME]
        if unknown:
            raise ValueError(f"unknown mart table(s) {unknown}; known: {sorted(TABLES_BY_NAME)}")
        return tables

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


def _attach_sql(data: dict, path: Path) -> list[str]:
    sql_name = data.get("sql_file") or f"sql/{data.get('id', path.stem)}.sql"
    sql_path = path.parent / sql_name
    if not sql_path.exists():
        return [f"{path}: sql_file: {sql_path} does not exist"]
    data["sql_file"] = sql_name
    data["sql"] = sql_path.read_text(encoding="utf-8")
    return []


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
    if problems:
        raise SpecError(problems)
    return sorted(specs, key=lambda s: (FAMILY_ORDER.index(s.family), s.id))


FAMILY_ORDER: tuple[str, ...] = ("operational", "claims", "quality", "profile")
RATED_FAMILIES: tuple[str, ...] = ("operational", "claims", "quality")
