"""Translate the DuckDB SQL of the helper views and the compiled measures into Spark SQL.

One source of truth: helpers.sql and measures/sql/*.sql are written for DuckDB and run there
as written. For Spark they go through sqlglot (DuckDB dialect in, Spark dialect out) plus the
compile steps sqlglot does not do by itself:

* DuckDB scalar macros (`CREATE MACRO name(params) AS expr`, e.g. `in_value_set(code, 'vs')`)
  are inlined at every call, in helper views and measures alike, so Spark never needs them;
* an uncorrelated `x IN (SELECT ... FROM value_set_codes ...)` (what `in_value_set` expands
  to) or over `value_set` is evaluated once, by `Translator.fold`, and written as a literal
  list: Spark then plans a hash lookup instead of an existence join per call (simpler plans,
  and clear of a Spark bug with IN subqueries under OR in correlated subqueries);
* `date - date` is a number of days in DuckDB and an interval in Spark: with the column types
  of the marts and helpers (`Translator.schema`), sqlglot's type annotation finds those
  subtractions and they become DATEDIFF;
* functions whose Spark spelling sqlglot gets wrong or only approximates are written out:
  isodow and dayofweek (numbering), date_diff (calendar boundaries, as DuckDB counts them),
  quantile_cont / percentile_cont (exact PERCENTILE, not PERCENTILE_APPROX), to_years and
  friends (MAKE_YM_INTERVAL / MAKE_DT_INTERVAL).

`CREATE [OR REPLACE] TABLE|VIEW name AS query` statements become `HelperStatement`s that the
Spark engine materialises (tables are cached, views stay lazy). Anything else is refused with
the statement's first line, so a new helper that Spark cannot run is reported, not skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.dialects.spark import Spark
from sqlglot.errors import ParseError, SqlglotError, UnsupportedError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

MAX_MACRO_DEPTH = 10
REFERENCE_TABLES: frozenset[str] = frozenset({"value_set", "value_set_codes"})
MAX_FOLDED_VALUES = 5000

# DuckDB interval constructors -> Spark (years, months) or (days, hours, minutes, seconds).
INTERVAL_FUNCTIONS: dict[str, str] = {
    "to_years": "MAKE_YM_INTERVAL({0}, 0)",
    "to_months": "MAKE_YM_INTERVAL(0, {0})",
    "to_weeks": "MAKE_DT_INTERVAL(({0}) * 7, 0, 0, 0)",
    "to_days": "MAKE_DT_INTERVAL({0}, 0, 0, 0)",
}


class TranspileError(ValueError):
    """A DuckDB statement that cannot be translated to Spark SQL."""


def _boundary_diff(unit: str, start: str, end: str) -> str:
    """Return Spark SQL counting `unit` boundaries from `start` to `end`, as DuckDB date_diff."""
    if unit in ("DAY", "DAYS", "D"):
        return f"DATEDIFF(CAST({end} AS DATE), CAST({start} AS DATE))"
    if unit in ("MONTH", "MONTHS", "MM", "MON"):
        return f"((YEAR({end}) * 12 + MONTH({end})) - (YEAR({start}) * 12 + MONTH({start})))"
    if unit in ("QUARTER", "QUARTERS"):
        return f"((YEAR({end}) * 4 + QUARTER({end})) - (YEAR({start}) * 4 + QUARTER({start})))"
    if unit in ("YEAR", "YEARS", "Y", "YY", "YYYY"):
        return f"(YEAR({end}) - YEAR({start}))"
    raise TranspileError(f"date_diff('{unit.lower()}', ...) has no Spark translation")


def _date_diff(self: Spark.Generator, expression: exp.DateDiff) -> str:
    unit = expression.text("unit").upper() or "DAY"
    end, start = self.sql(expression, "this"), self.sql(expression, "expression")
    return _boundary_diff(unit, start, end)


def _within_group(self: Spark.Generator, expression: exp.WithinGroup) -> str:
    function, order = expression.this, expression.expression
    keys = order.expressions if isinstance(order, exp.Order) else []
    if not isinstance(function, exp.PercentileCont | exp.PercentileDisc) or len(keys) != 1:
        raise TranspileError(f"no Spark translation for {expression.sql('duckdb')}")
    value = self.sql(keys[0], "this")
    fraction = self.sql(function, "this")
    if keys[0].args.get("desc"):
        fraction = f"1 - ({fraction})"
    if isinstance(function, exp.PercentileCont):
        return f"PERCENTILE({value}, {fraction})"  # exact, with linear interpolation
    return f"PERCENTILE_DISC({fraction}) WITHIN GROUP (ORDER BY {value})"


class SparkDialect(Spark):
    """Spark SQL as sqlglot writes it, with DuckDB's semantics kept where sqlglot's differ."""

    class Generator(Spark.Generator):
        TRANSFORMS = {
            **Spark.Generator.TRANSFORMS,
            # DuckDB isodow: 1 = Monday .. 7 = Sunday; Spark weekday: 0 = Monday .. 6 = Sunday.
            exp.DayOfWeekIso: lambda self, e: f"(WEEKDAY({self.sql(e, 'this')}) + 1)",
            # DuckDB dayofweek: 0 = Sunday .. 6 = Saturday; Spark dayofweek: 1 = Sunday .. 7.
            exp.DayOfWeek: lambda self, e: f"(DAYOFWEEK({self.sql(e, 'this')}) - 1)",
            # DuckDB date_diff counts calendar boundaries crossed (months, years, days).
            exp.DateDiff: _date_diff,
            exp.WithinGroup: _within_group,
            exp.ToDays: lambda self, e: INTERVAL_FUNCTIONS["to_days"].format(self.sql(e, "this")),
        }


def _percentile_forms(node: exp.Expression) -> exp.Expression:
    """Rewrite quantile_cont(x, q) and friends as percentile_cont(q) WITHIN GROUP (ORDER BY x)."""
    if isinstance(node.parent, exp.WithinGroup):
        return node
    if isinstance(node, exp.PercentileCont | exp.PercentileDisc) and node.expression:
        kind, value, fraction = type(node), node.this, node.expression
    elif isinstance(node, exp.Quantile):  # DuckDB quantile() is quantile_disc()
        kind, value, fraction = exp.PercentileDisc, node.this, node.args["quantile"]
    else:
        return node
    order = exp.Order(expressions=[exp.Ordered(this=value.copy())])
    return exp.WithinGroup(this=kind(this=fraction.copy()), expression=order)


def _interval_functions(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Anonymous) and node.name.lower() in INTERVAL_FUNCTIONS:
        if len(node.expressions) != 1:
            raise TranspileError(f"{node.name}() takes one argument")
        argument = node.expressions[0].sql(dialect=SparkDialect)
        template = INTERVAL_FUNCTIONS[node.name.lower()]
        return sqlglot.parse_one(template.format(argument), read="spark")
    return node


def _unwrap_atoms(node: exp.Expression) -> exp.Expression:
    """Drop parentheses around a single column or literal (left by macro inlining).

    Spark's parser reads `FROM t WHERE (FALSE)` as table t aliased WHERE with a column list.
    """
    if isinstance(node, exp.Paren) and isinstance(
        node.this, exp.Boolean | exp.Literal | exp.Null | exp.Column
    ):
        return node.this
    return node


@dataclass(frozen=True)
class Macro:
    """A DuckDB scalar macro: parameter names and the body they are substituted into."""

    name: str
    params: tuple[str, ...]
    body: exp.Expression


@dataclass(frozen=True)
class HelperStatement:
    """One helper object for Spark: a table to cache or a view to keep lazy, as a query."""

    name: str
    kind: Literal["table", "view"]
    sql: str


def _first_line(sql: str) -> str:
    lines = [ln.strip() for ln in sql.splitlines() if ln.strip() and not ln.startswith("--")]
    return lines[0][:120] if lines else sql.strip()[:120]


def parse_duckdb(sql: str) -> list[exp.Expression]:
    """Return the statements of `sql` parsed as DuckDB; refuse what sqlglot cannot parse."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except ParseError as exc:
        raise TranspileError(f"cannot parse as DuckDB SQL: {exc}") from exc
    for statement in statements:
        if isinstance(statement, exp.Command):
            raise TranspileError(f"unsupported statement for Spark: {_first_line(statement.sql())}")
    return statements


def _substitute(macro: Macro, args: list[exp.Expression]) -> exp.Expression:
    if len(args) != len(macro.params):
        raise TranspileError(
            f"{macro.name}() takes {len(macro.params)} argument(s), got {len(args)}"
        )
    values = dict(zip(macro.params, args, strict=True))

    def put(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name in values:
            return exp.Paren(this=values[node.name].copy())
        return node

    return exp.Paren(this=macro.body.copy().transform(put))


def _may_be_date(left: exp.Expression, right: exp.Expression) -> bool:
    """Return False when a subtraction certainly is not DATE - DATE (an interval or a number)."""
    return not any(
        isinstance(side, exp.Interval) or (isinstance(side, exp.Literal) and side.is_number)
        for side in (left, right)
    )


def _is_date(node: exp.Expression) -> bool:
    kind = node.type
    return kind is not None and kind.is_type(exp.DataType.Type.DATE)


@dataclass
class Translator:
    """Translate DuckDB statements to Spark SQL, inlining the macros it has seen.

    `schema` maps each table or view name to its columns and types (Spark or DuckDB type
    names); the Spark engine fills it in as it registers marts and helpers.
    """

    macros: dict[str, Macro] = field(default_factory=dict)
    schema: dict[str, dict[str, str]] = field(default_factory=dict)
    fold: Callable[[str], list] | None = None
    folded: dict[str, list] = field(default_factory=dict)

    def fork(self) -> Translator:
        """Return a translator with these macros and folded lists and a copy of the schema.

        For a thread of its own: tables it adds are not seen by the others.
        """
        return Translator(self.macros, dict(self.schema), self.fold, self.folded)

    def add_table(self, name: str, columns: dict[str, str]) -> None:
        """Record the columns and types of table or view `name`, for type-aware rewrites."""
        self.schema[name.lower()] = {c.lower(): t for c, t in columns.items()}

    def expand(self, tree: exp.Expression) -> exp.Expression:
        """Return `tree` with every call of a known macro replaced by the macro's body."""
        for _ in range(MAX_MACRO_DEPTH):
            if not any(n.name.lower() in self.macros for n in tree.find_all(exp.Anonymous)):
                return tree

            def inline(node: exp.Expression) -> exp.Expression:
                if isinstance(node, exp.Anonymous) and node.name.lower() in self.macros:
                    return _substitute(self.macros[node.name.lower()], list(node.expressions))
                return node

            tree = tree.transform(inline, copy=False)
        raise TranspileError(f"macros nest deeper than {MAX_MACRO_DEPTH} levels")

    def _fold_values(self, select: exp.Expression) -> list | None:
        tables = list(select.find_all(exp.Table))
        if self.fold is None or not tables or len(select.selects) != 1:
            return None
        if any(t.name.lower() not in REFERENCE_TABLES for t in tables):
            return None
        inside = {t.alias_or_name.lower() for t in tables}
        if any(c.table and c.table.lower() not in inside for c in select.find_all(exp.Column)):
            return None  # correlated with the outer query
        sql = select.sql(dialect="duckdb")
        if sql not in self.folded:
            try:
                self.folded[sql] = self.fold(sql)
            except Exception:  # e.g. an outer column without a qualifier: leave it to Spark
                return None
        values = self.folded[sql]
        return values if len(values) <= MAX_FOLDED_VALUES else None

    def fold_reference_subqueries(self, tree: exp.Expression) -> exp.Expression:
        """Return `tree` with uncorrelated IN subqueries on value sets as literal lists."""
        for node in list(tree.find_all(exp.In)):
            query = node.args.get("query")
            if query is None or node.root() is not tree:
                continue
            values = self._fold_values(query.this if isinstance(query, exp.Subquery) else query)
            if values is None:
                continue
            if not values:  # x IN (empty set) is false, even for a NULL x
                node.replace(exp.false())
                continue
            node.set("query", None)
            node.set("expressions", [exp.convert(v) for v in values])
        return tree

    def date_subtractions(self, tree: exp.Expression) -> exp.Expression:
        """Return `tree` with each DATE - DATE (days, in DuckDB) written as a day difference."""
        subtractions = [n for n in tree.find_all(exp.Sub) if _may_be_date(n.this, n.expression)]
        if not subtractions or not self.schema:
            return tree
        for number, node in enumerate(subtractions):
            node.meta["sub_id"] = number
        schema = MappingSchema(self.schema, dialect="spark")
        try:
            typed = qualify(
                tree.copy(), schema=schema, dialect="duckdb", validate_qualify_columns=False
            )
            typed = annotate_types(typed, schema=schema, dialect="duckdb")
        except SqlglotError:
            return tree  # no types: Spark reports any DATE - DATE itself, at analysis
        dates = {
            n.meta.get("sub_id")
            for n in typed.find_all(exp.Sub)
            if _is_date(n.this) and _is_date(n.expression)
        }
        for node in reversed(subtractions):
            if node.meta.get("sub_id") in dates:
                node.replace(
                    exp.DateDiff(this=node.this, expression=node.expression, unit=exp.var("DAY"))
                )
        return tree

    def to_spark(self, tree: exp.Expression) -> str:
        """Return the Spark SQL of one parsed DuckDB query, macros inlined."""
        tree = self.fold_reference_subqueries(self.expand(tree.copy()))
        tree = self.date_subtractions(tree)
        for rewrite in (_interval_functions, _percentile_forms, _unwrap_atoms):
            tree = tree.transform(rewrite, copy=False)
        try:
            return tree.sql(dialect=SparkDialect, unsupported_level="raise")
        except UnsupportedError as exc:
            raise TranspileError(str(exc)) from exc

    def query(self, sql: str) -> str:
        """Return the Spark SQL of one DuckDB query (a SELECT or WITH ... SELECT)."""
        statements = parse_duckdb(sql)
        if len(statements) != 1:
            raise TranspileError(f"expected one query, found {len(statements)} statement(s)")
        return self.to_spark(statements[0])

    def helpers(self, sql: str) -> Iterator[HelperStatement]:
        """Yield the tables and views of a helper script in order, remembering its macros.

        Each statement is translated when it is reached, so add_table() calls made for the
        objects already created are used for the next one.
        """
        for statement in parse_duckdb(sql):
            kind = str(statement.args.get("kind") or "").upper()
            if isinstance(statement, exp.Create) and kind == "MACRO":
                function = statement.this
                name = function.this.name.lower() if function.this else function.name.lower()
                params = tuple(p.name for p in function.expressions)
                self.macros[name] = Macro(name, params, statement.expression)
            elif isinstance(statement, exp.Create) and kind in ("TABLE", "VIEW"):
                if statement.expression is None:
                    first = _first_line(statement.sql("duckdb"))
                    raise TranspileError(f"only CREATE {kind} ... AS query is supported: {first}")
                yield HelperStatement(
                    statement.this.name,
                    "table" if kind == "TABLE" else "view",
                    self.to_spark(statement.expression),
                )
            else:
                first = _first_line(statement.sql("duckdb"))
                raise TranspileError(f"unsupported statement for Spark: {first}")
