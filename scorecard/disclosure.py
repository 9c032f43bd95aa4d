"""Differencing audit: which hidden counts an edition's published numbers give away.

Every number an edition publishes (a numerator, a denominator, open care gaps, or a count
worked back from a value and its denominator) is the known value of a *quantity*: one count
(or sum) in one cell (period, level, entity, stratum value). Measures that publish the same
count (spec `shared_counts`) share the quantity. Quantities are tied by relations that hold
by definition (RELATIONS): the groups of a stratum add up to everyone, the practices of an
ACO to the ACO, the CPs of a type to the program's row for that type, the parts of a measure
(spec `parts`) to the measure, a proportion's numerator and rest (denominator - numerator:
the open care gaps of most quality measures) to its denominator; and, only for the counts
where it holds in every cell, the entities of a level to the program. A relation with one
unknown quantity gives it away; `audit` repeats that ("peeling") until nothing more is
learnt, and compares every count worked out with its true value (the internal, unsuppressed
results), so that a count of 1 to 10 worked out (a leak) can stop the build.

A relation is used only where it holds exactly in the true results (checked cell by cell),
so the audit never reports a number that an attacker would get wrong. It works on the
published numbers at full precision (the downloads round them), which can only find more.

The groups of the relations are worked out here, not taken from stats._groupings (which
suppression uses): the audit checks suppression, so a mistake in the groups there must not
hide from both.

What peeling leaves is then solved together (_solve_together): the relations restricted to
the quantities still unknown give a quantity exactly when it is 0 in every vector of their
null space (stats.solve_linked: exactly for small components, else by one random vector
projected onto it), and its value is then that of any solution (the least-squares one).
That finds, say, the hidden cell of a table with both margins shown that is on no cycle of
hidden cells, where every relation has two or more unknowns.

Not covered: bounds from the published reasons ('small count' says 1 to 10) or from counts
being whole and not negative, relations between periods, benchmarks and charts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from scorecard import stats
from scorecard.audience import cp_types, practice_acos

KEY = ("measure_id", "period_id", "level", "entity_id", "stratum", "stratum_value")
ROLES = ("numerator", "denominator", "rest")  # rest: denominator - numerator (proportions)
SHARED = {"numerator": "shared_numerator", "denominator": "shared_denominator"}
PROGRAM_ID = "ALL"  # the program's entity_id (engine)
TOLERANCE = 1e-6  # relative: sums of members counted 1/k in k cells are not exact in floats
SHOWN_IN_ERROR = 20  # leaks listed in a build error (the count says how many more)
TOGETHER = -2  # "the relation that gave it": several relations solved together
RELATIONS_NAMED = 6  # relations of a solved component named in a build error


@dataclass(frozen=True)
class Relation:
    """A kind of linear relation between counts: parts that add up to a total."""

    words: str  # what it says, in plain words, for the build error and the log
    only_where_always: bool  # used only for counts for which it holds in every cell


RELATIONS: dict[str, Relation] = {
    "strata": Relation("the groups of a breakdown add up to everyone", False),
    "practices": Relation("the practices of an ACO add up to the ACO", False),
    "cp_types": Relation("the CPs of a type add up to the program's row for that type", False),
    "parts": Relation("the parts of a measure add up to the measure", False),
    "rest": Relation("numerator + rest (open gaps) = denominator", False),
    "levels": Relation("the entities of a level add up to the program", True),
}


@dataclass
class Audit:
    """What the audit of one edition found."""

    quantities: int  # counts and sums, one per cell (shared counts once)
    published: int  # of them, known from the edition
    relations: int  # relations used (holding in the true results)
    not_used: dict[str, int]  # relations left out because they do not hold there, by kind
    recovered: pd.DataFrame  # one row per hidden quantity worked out (see _findings)
    seconds: float
    chains: dict[int, str] = field(default_factory=dict)  # leak's quantity -> how

    @property
    def leaks(self) -> pd.DataFrame:
        """Return the counts of 1 to 10 worked out."""
        return self.recovered[self.recovered["leak"]]

    def figures(self) -> dict[str, int]:
        """Return the audit's figures in plain words (for the manifest and the log)."""
        counts = self.recovered[self.recovered["count"]]
        return {
            "numbers published": self.published,
            "numbers in all (each count or sum of a cell)": self.quantities,
            "relations checked (totals and their parts)": self.relations,
            "relations left out (they do not add up in this data)": sum(self.not_used.values()),
            "hidden counts that can be worked out": len(counts),
            "hidden counts from 1 to 10 that can be worked out": len(self.leaks),
        }

    def lines(self) -> list[str]:
        """Return the log lines of the audit."""
        figures = ", ".join(f"{v:,} {k}" for k, v in self.figures().items())
        return [f"Privacy check in {self.seconds:.1f} s: {figures}"]

    def problems(self) -> list[str]:
        """Return one line per leak (the first SHOWN_IN_ERROR), with how it is worked out."""
        leaks = self.leaks
        lines = [
            f"{row.label}: true value {row.truth:g}, worked out as {row.value:g}: "
            + self.chains.get(int(row.quantity), "")
            for row in leaks.head(SHOWN_IN_ERROR).itertuples()
        ]
        if len(leaks) > SHOWN_IN_ERROR:
            lines.append(f"and {len(leaks) - SHOWN_IN_ERROR} more")
        return lines


# ---------------------------------------------------------------- quantities


@dataclass
class _Codes:
    """The key columns of the true results as integer codes, with their distinct values."""

    codes: dict[str, np.ndarray]
    values: dict[str, pd.Index]

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _Codes:
        codes, values = {}, {}
        for column in KEY:
            codes[column], uniques = pd.factorize(frame[column].astype(str), sort=False)
            values[column] = pd.Index(uniques)
        return cls(codes, values)

    def code(self, column: str, value: str) -> int:
        """Return the code of one value of a column (-1 when it never occurs)."""
        return int(self.values[column].get_indexer([value])[0])

    def lookup(self, column: str, values: pd.Series | np.ndarray) -> np.ndarray:
        """Return the codes of many values of a column (-1 where a value never occurs)."""
        return self.values[column].get_indexer(pd.Index(np.asarray(values, dtype=object)))


def _combine(columns: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    """Return one int64 key per row for integer codes (-1 anywhere gives -1)."""
    if np.prod([float(s) + 1 for s in sizes]) >= 2.0**62:
        raise ValueError("too many distinct keys for the privacy check")
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column, size in zip(columns, sizes, strict=True):
        key = key * (size + 1) + np.asarray(column, dtype=np.int64)
    missing = np.zeros(len(key), dtype=bool)
    for column in columns:
        missing |= np.asarray(column) < 0
    return np.where(missing, -1, key)


@dataclass
class _Quantities:
    """One entry per distinct quantity (family x cell)."""

    family: np.ndarray  # codes into families
    cell: dict[str, np.ndarray]  # KEY columns but the measure: codes of _Codes
    truth: np.ndarray
    count: np.ndarray  # the cell-size rule protects it
    row: np.ndarray  # a result row publishing it (for labels)
    role: np.ndarray  # its role in that row (index into ROLES)
    families: pd.Index
    keys: np.ndarray  # sorted combined keys, for lookups
    row_quantity: np.ndarray  # (rows of the true results, ROLES) -> quantity or -1
    codes: _Codes

    def find(self, family: np.ndarray, cell: dict[str, np.ndarray]) -> np.ndarray:
        """Return the quantity of each (family, cell) given as codes (-1 where none)."""
        key = _quantity_key(family, cell, len(self.families), self.codes)
        if not len(self.keys):
            return np.full(key.shape, -1)
        at = np.clip(np.searchsorted(self.keys, key), 0, len(self.keys) - 1)
        return np.where((key >= 0) & (self.keys[at] == key), at, -1)


def _quantity_key(family: np.ndarray, cell: dict, n_families: int, codes: _Codes) -> np.ndarray:
    """Return the combined key of (family, cell) codes."""
    columns = [family, *(cell[c] for c in KEY[1:])]
    sizes = [n_families, *(len(codes.values[c]) for c in KEY[1:])]
    return _combine(columns, sizes)


def _families(measures: pd.DataFrame) -> dict[str, np.ndarray]:
    """Return, per role, each measure's family name: the count it shares (spec shared_counts)
    or its own."""
    out = {}
    for role in ROLES:
        own = measures["measure_id"] + "." + role
        shared = measures.get(SHARED.get(role, ""), pd.Series("", index=measures.index))
        shared = shared.fillna("").astype(str)
        out[role] = np.where(shared != "", shared, own).astype(object)
    return out


def _quantities(truth: pd.DataFrame) -> tuple[_Quantities, dict[str, str]]:
    """Return the quantities of the true results, and each part family's whole family."""
    codes = _Codes.of(truth)
    measure_code = codes.codes["measure_id"]
    measures = truth.groupby(measure_code, sort=True).first().reset_index(drop=True)
    measures = measures.assign(measure_id=codes.values["measure_id"].to_numpy())
    families_by_role = _families(measures)
    families = pd.Index(pd.unique(np.concatenate(list(families_by_role.values()))))
    kind = truth["kind"].astype(str).to_numpy()
    num = truth["numerator"].to_numpy(float)
    den = truth["denominator"].to_numpy(float)
    value = {"numerator": num, "denominator": den, "rest": den - num}
    n = len(truth)
    rows, roles, fams, truths, counts = [], [], [], [], []
    for r, role in enumerate(ROLES):
        applies = kind == "proportion" if role == "rest" else np.ones(n, dtype=bool)
        at = np.flatnonzero(applies)
        rows.append(at)
        roles.append(np.full(at.size, r))
        fam_of_measure = families.get_indexer(families_by_role[role])
        fams.append(fam_of_measure[measure_code[at]])
        truths.append(value[role][at])
        counted = np.ones(n, bool) if role == "rest" else stats.counted(kind, role)
        counts.append(counted[at])
    row, role, family = np.concatenate(rows), np.concatenate(roles), np.concatenate(fams)
    cell = {c: codes.codes[c][row] for c in KEY[1:]}
    key = _quantity_key(family, cell, len(families), codes)
    keys, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    count = np.bincount(inverse, weights=np.concatenate(counts), minlength=keys.size) > 0
    row_quantity = np.full((n, len(ROLES)), -1, dtype=np.int64)
    row_quantity[row, role] = inverse
    quantities = _Quantities(
        family=family[first],
        cell={c: v[first] for c, v in cell.items()},
        truth=np.concatenate(truths)[first],
        count=count,
        row=row[first],
        role=role[first],
        families=families,
        keys=keys,
        row_quantity=row_quantity,
        codes=codes,
    )
    wholes = {}
    if "part_of" in measures.columns:
        whole_of = dict(zip(measures["measure_id"], measures["part_of"].fillna(""), strict=True))
        position = {m: i for i, m in enumerate(measures["measure_id"])}
        for role in ROLES:
            for part, whole in whole_of.items():
                if whole and whole in position:
                    wholes[families_by_role[role][position[part]]] = families_by_role[role][
                        position[whole]
                    ]
    return quantities, wholes


# ---------------------------------------------------------------- relations


@dataclass
class _Relations:
    """Terms of every relation: relation id, quantity, coefficient (parts +1, total -1)."""

    relation: np.ndarray
    quantity: np.ndarray
    coef: np.ndarray
    kind: np.ndarray  # per relation: index into RELATIONS
    label: np.ndarray  # per relation: the level or stratum it is about (a code), else 0
    total: np.ndarray  # per relation: its total quantity

    def matrix(self, n_quantities: int) -> sparse.csr_matrix:
        """Return the relations as a sparse matrix (relations x quantities) of coefficients."""
        shape = (len(self.kind), n_quantities)
        return sparse.csr_matrix((self.coef, (self.relation, self.quantity)), shape=shape)


def _sum_relation(
    kind: str, parts: np.ndarray, total: np.ndarray, label: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Return (kind, label, total, part) of every part whose total exists."""
    ok = total >= 0
    k = list(RELATIONS).index(kind)
    return np.full(ok.sum(), k), label[ok], total[ok], parts[ok]


def _sum_relations(q: _Quantities, wholes: dict[str, str], parents: dict, types: dict) -> list:
    """Return the parts-and-total relations of RELATIONS (all but 'rest')."""
    codes, cell, n = q.codes, q.cell, len(q.truth)
    everyone = np.arange(n)
    level = codes.values["level"]
    stratum = cell["stratum"]
    all_code = codes.code("stratum", "all")
    out = []

    def total_of(parts: np.ndarray, **changes: np.ndarray | int) -> np.ndarray:
        target = {c: np.broadcast_to(changes.get(c, cell[c][parts]), parts.shape) for c in cell}
        family = np.broadcast_to(changes.get("family", q.family[parts]), parts.shape)
        return q.find(np.asarray(family), {c: np.asarray(v) for c, v in target.items()})

    parts = everyone[stratum != all_code]
    out.append(
        _sum_relation(
            "strata",
            parts,
            total_of(parts, stratum=all_code, stratum_value=codes.code("stratum_value", "all")),
            stratum[parts],
        )
    )
    program = codes.code("level", "program")
    program_id = codes.code("entity_id", PROGRAM_ID)
    entity_names = codes.values["entity_id"].to_numpy()
    practice = everyone[cell["level"] == level.get_indexer(["practice"])[0]]
    aco = codes.lookup(
        "entity_id", pd.Series(entity_names[cell["entity_id"][practice]]).map(parents)
    )
    out.append(
        _sum_relation(
            "practices",
            practice,
            total_of(practice, level=codes.code("level", "aco"), entity_id=aco),
            np.zeros(practice.size, int),
        )
    )
    cps = everyone[(cell["level"] == codes.code("level", "cp")) & (stratum == all_code)]
    kind_of_cp = pd.Series(entity_names[cell["entity_id"][cps]]).map(types)
    out.append(
        _sum_relation(
            "cp_types",
            cps,
            total_of(
                cps,
                level=program,
                entity_id=program_id,
                stratum=codes.code("stratum", "cp_type"),
                stratum_value=codes.lookup("stratum_value", kind_of_cp),
            ),
            np.zeros(cps.size, int),
        )
    )
    whole = q.families.get_indexer(pd.Series(q.families.to_numpy()[q.family]).map(wholes))
    part_rows = everyone[whole >= 0]
    out.append(
        _sum_relation(
            "parts",
            part_rows,
            total_of(part_rows, family=whole[part_rows]),
            np.zeros(part_rows.size, int),
        )
    )
    entities = everyone[cell["level"] != program]
    out.append(
        _sum_relation(
            "levels",
            entities,
            total_of(entities, level=program, entity_id=program_id),
            cell["level"][entities],
        )
    )
    return out


def _relations(q: _Quantities, wholes: dict[str, str], parents: dict, types: dict) -> _Relations:
    """Return every relation of RELATIONS between the quantities (not yet checked)."""
    blocks = _sum_relations(q, wholes, parents, types)
    kind = np.concatenate([b[0] for b in blocks])
    label = np.concatenate([b[1] for b in blocks])
    total = np.concatenate([b[2] for b in blocks])
    part = np.concatenate([b[3] for b in blocks])
    group = pd.DataFrame({"k": kind, "l": label, "t": total})
    rel = group.groupby(["k", "l", "t"], sort=False).ngroup().to_numpy()
    n_sum = int(rel.max()) + 1 if rel.size else 0
    first = np.unique(rel, return_index=True)[1]
    # numerator + rest = denominator, once per distinct triple of quantities
    triple = q.row_quantity[q.row_quantity[:, 2] >= 0]
    triple = np.unique(triple, axis=0)
    n_rest = len(triple)
    rest_rel = n_sum + np.arange(n_rest)
    relation = np.concatenate([rel, np.arange(n_sum), np.repeat(rest_rel, 3)])
    quantity = np.concatenate([part, total[first], triple.ravel()])
    coef = np.concatenate([np.ones(part.size), -np.ones(n_sum), np.tile([1.0, -1.0, 1.0], n_rest)])
    return _Relations(
        relation=relation,
        quantity=quantity,
        coef=coef,
        kind=np.concatenate([kind[first], np.full(n_rest, list(RELATIONS).index("rest"))]),
        label=np.concatenate([label[first], np.zeros(n_rest, int)]),
        total=np.concatenate([total[first], triple[:, 1]]),
    )


def _holding(q: _Quantities, rel: _Relations) -> tuple[_Relations, dict[str, int]]:
    """Return the relations that hold in the true results (RELATIONS says where), and how many
    of each kind were left out."""
    n = len(rel.kind)
    terms = rel.coef * q.truth[rel.quantity]
    residual = np.bincount(rel.relation, weights=terms, minlength=n)
    scale = np.bincount(rel.relation, weights=np.abs(terms), minlength=n)
    holds = np.abs(residual) <= TOLERANCE * np.maximum(1.0, scale)  # NaN: False
    for k, relation in enumerate(RELATIONS.values()):
        if relation.only_where_always:  # by count family and level: all its cells or none
            mine = rel.kind == k
            group = q.family[rel.total] * (int(rel.label.max()) + 1) + rel.label
            broken = np.unique(group[mine & ~holds])
            holds &= ~(mine & np.isin(group, broken))
    not_used = {name: int(((rel.kind == k) & ~holds).sum()) for k, name in enumerate(RELATIONS)}
    keep = holds[rel.relation]
    renumber = np.cumsum(holds) - 1
    kept = _Relations(
        relation=renumber[rel.relation[keep]],
        quantity=rel.quantity[keep],
        coef=rel.coef[keep],
        kind=rel.kind[holds],
        label=rel.label[holds],
        total=rel.total[holds],
    )
    return kept, {k: v for k, v in not_used.items() if v}


# ---------------------------------------------------------------- what an edition publishes


def _shown_numbers(published: pd.DataFrame) -> dict[str, np.ndarray]:
    """Return, per role, the number each published row gives (NaN where none): the counts
    printed, a count worked back from the value and the other count, open care gaps (the
    rest of a higher-is-better measure, the numerator of a lower-is-better one), and zeros
    for a cell marked as having no data."""
    kind = published["kind"].astype(str).to_numpy()
    num = pd.to_numeric(published["numerator"], errors="coerce").to_numpy(float)
    den = pd.to_numeric(published["denominator"], errors="coerce").to_numpy(float)
    value = pd.to_numeric(published["value"], errors="coerce").to_numpy(float)
    scale = pd.to_numeric(published["multiplier"], errors="coerce").fillna(1).to_numpy(float)
    ratio_like = kind != "median"  # value = numerator / denominator x multiplier
    with np.errstate(divide="ignore", invalid="ignore"):
        num = np.where(np.isnan(num) & ratio_like, value * den / scale, num)
        den = np.where(np.isnan(den) & ratio_like & (value != 0), num * scale / value, den)
    proportion = kind == "proportion"
    rest = np.where(proportion, den - num, np.nan)
    if "open_gaps" in published.columns:
        gaps = pd.to_numeric(published["open_gaps"], errors="coerce").to_numpy(float)
        lower = published["direction"].astype(str).to_numpy() == "lower_is_better"
        num = np.where(np.isnan(num) & lower, gaps, num)
        rest = np.where(np.isnan(rest) & ~lower & proportion, gaps, rest)
    empty = published["suppression_reason"].astype(str).to_numpy() == "no_data"
    den = np.where(empty, 0.0, den)
    num = np.where(empty & proportion, 0.0, num)
    rest = np.where(empty & proportion, 0.0, rest)
    return {"numerator": num, "denominator": den, "rest": rest}


def _known(q: _Quantities, published: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return (known, value) per quantity: what the published rows give away directly."""
    codes = q.codes
    row_key = _combine([codes.codes[c] for c in KEY], [len(codes.values[c]) for c in KEY])
    order = np.argsort(row_key, kind="stable")
    sorted_keys = row_key[order]
    pub_key = _combine(
        [codes.lookup(c, published[c].astype(str)) for c in KEY],
        [len(codes.values[c]) for c in KEY],
    )
    at = np.clip(np.searchsorted(sorted_keys, pub_key), 0, max(len(order) - 1, 0))
    found = (pub_key >= 0) & (sorted_keys[at] == pub_key)
    truth_row = np.where(found, order[at], -1)
    known = np.zeros(len(q.truth), dtype=bool)
    value = np.full(len(q.truth), np.nan)
    for r, (_, numbers) in enumerate(_shown_numbers(published).items()):
        quantity = np.where(found, q.row_quantity[truth_row, r], -1)
        given = (quantity >= 0) & np.isfinite(numbers)
        value[quantity[given]] = numbers[given]
        known[quantity[given]] = True
    return known, value


# ---------------------------------------------------------------- peeling


def _peel(
    rel: _Relations, known: np.ndarray, value: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Work out every quantity a relation with one unknown gives, until nothing more comes.

    Return (value, the relation that gave each quantity worked out or -1, the round)."""
    n_rel, n_q = len(rel.kind), len(known)
    known, value = known.copy(), np.where(known, value, 0.0)
    by = np.full(n_q, -1)
    step = np.full(n_q, -1)
    if not n_rel:
        return value, by, step
    matrix = rel.matrix(n_q)
    pattern = sparse.csr_matrix(
        (np.ones(rel.coef.size), (rel.relation, rel.quantity)), shape=(n_rel, n_q)
    )
    unknown = pattern @ (~known).astype(float)
    for round_ in range(n_q + 1):
        single = unknown == 1
        if not single.any():
            break
        term = single[rel.relation] & ~known[rel.quantity]
        r, quantity, coef = rel.relation[term], rel.quantity[term], rel.coef[term]
        quantity, first = np.unique(quantity, return_index=True)
        r, coef = r[first], coef[first]
        given = matrix[r] @ value  # the unknown's own term is 0
        value[quantity] = -given / coef
        known[quantity] = True
        by[quantity], step[quantity] = r, round_
        newly = np.zeros(n_q)
        newly[quantity] = 1.0
        unknown = unknown - pattern @ newly
    return value, by, step


def _solve_together(
    rel: _Relations, known: np.ndarray, found: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """Return `found` (from _peel) with the quantities that the relations still holding
    unknowns give when solved together (marked TOGETHER), and each unknown's component (the
    unknowns linked through relations; -1 for the others)."""
    value, by, step = (a.copy() for a in found)
    unknown = np.flatnonzero(~known & (by < 0))
    component = np.full(known.size, -1)
    if not unknown.size or not len(rel.kind):
        return (value, by, step), component
    matrix = rel.matrix(known.size)
    given = matrix @ np.where(known | (by >= 0), value, 0.0)  # what the known terms add up to
    linked = matrix[:, unknown]
    used = linked.getnnz(axis=1) > 0
    linked, given = linked[used], given[used]
    component[unknown] = stats.linked_components(linked)
    determined, solution = stats.solve_linked(linked, component[unknown], -given)
    solved = unknown[determined]
    value[solved] = solution[determined]
    by[solved] = TOGETHER
    return (value, by, step), component


def _solved_words(
    q: _Quantities,
    rel: _Relations,
    truth: pd.DataFrame,
    component: np.ndarray,
    quantity: int,
) -> str:
    """Return how a quantity solved together was worked out: the relations of its component."""
    members = np.flatnonzero(component == component[quantity])
    relations = np.unique(rel.relation[np.isin(rel.quantity, members)])
    named = [
        f"{list(RELATIONS.values())[int(rel.kind[r])].words} (total: "
        f"{_label(q, truth, int(rel.total[r]))})"
        for r in relations[:RELATIONS_NAMED]
    ]
    more = len(relations) - len(named)
    return (
        f"[{len(relations)} relations with {len(members)} hidden numbers solved together: "
        + "; ".join(named)
        + (f"; and {more} more" if more > 0 else "")
        + "]"
    )


# ---------------------------------------------------------------- findings


ROLE_WORDS = {"numerator": "numerator", "denominator": "denominator", "rest": "rest (open gaps)"}


def _labels(q: _Quantities, truth: pd.DataFrame, quantities: np.ndarray) -> list[str]:
    """Return quantities in words: measure, count, period, level, entity and stratum."""
    rows = truth.iloc[q.row[quantities]].astype({c: str for c in KEY})
    roles = [ROLE_WORDS[ROLES[r]] for r in q.role[quantities]]
    families = q.families.to_numpy()[q.family[quantities]]
    out = []
    for row, role, family in zip(
        rows[list(KEY)].itertuples(index=False), roles, families, strict=True
    ):
        measure, period, level, entity, stratum, value = row
        shared = "" if family.startswith(f"{measure}.") else f" (shared count {family})"
        where = "" if stratum == "all" else f" {stratum}={value}"
        out.append(f"{measure} {role}{shared}, {period} {level} {entity}{where}")
    return out


def _label(q: _Quantities, truth: pd.DataFrame, quantity: int) -> str:
    """Return one quantity in words (see _labels)."""
    return _labels(q, truth, np.array([quantity]))[0]


def _chain(
    q: _Quantities,
    rel: _Relations,
    truth: pd.DataFrame,
    found: tuple[np.ndarray, np.ndarray, np.ndarray],
    quantity: int,
    depth: int = 0,
) -> str:
    """Return how a quantity was worked out: its relation, and the same for the unknowns in it."""
    value, by, _ = found
    r = int(by[quantity])
    terms = np.flatnonzero(rel.relation == r)
    words = list(RELATIONS.values())[int(rel.kind[r])].words
    parts = []
    for t in terms:
        other = int(rel.quantity[t])
        if other == quantity:
            continue
        sign = "+" if rel.coef[t] > 0 else "-"
        how = "shown" if by[other] < 0 else "worked out"
        parts.append(f"{sign} {_label(q, truth, other)} = {value[other]:g} ({how})")
    own = "+" if rel.coef[terms][rel.quantity[terms] == quantity][0] > 0 else "-"
    text = f"[{words}: {own} this {' '.join(parts)} = 0]"
    if depth < 3:
        deeper = [
            _chain(q, rel, truth, found, int(rel.quantity[t]), depth + 1)
            for t in terms
            if int(rel.quantity[t]) != quantity and by[int(rel.quantity[t])] >= 0
        ]
        text += "".join(f" where {d}" for d in deeper)
    return text


def _findings(
    q: _Quantities, known: np.ndarray, found: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> pd.DataFrame:
    """Return one row per hidden quantity worked out: value, truth, count, leak."""
    value, by, step = found
    got = np.flatnonzero((by != -1) & ~known)
    truth = q.truth[got]
    right = np.abs(value[got] - truth) <= TOLERANCE * np.maximum(1.0, np.abs(truth))
    small = stats.is_small_count(truth)
    return pd.DataFrame(
        {
            "quantity": got,
            "value": value[got],
            "truth": truth,
            "right": right,
            "count": q.count[got],
            "leak": q.count[got] & small & right,
            "round": step[got],
        }
    )


def audit(
    truth: pd.DataFrame,
    published: pd.DataFrame,
    organizations: pd.DataFrame | None = None,
) -> Audit:
    """Return what peeling recovers of the hidden counts of an edition.

    `truth`: the results before suppression (scored results: their counts are never
    overwritten), with the spec columns kind, multiplier, direction, part_of, shared_numerator
    and shared_denominator; `published`: the rows the edition publishes, as site.public_view
    makes them; `organizations`: EngineRun.organizations (each practice's ACO, each CP's type).
    """
    started = time.perf_counter()
    truth = truth.reset_index(drop=True)
    q, wholes = _quantities(truth)
    relations = _relations(q, wholes, practice_acos(organizations), cp_types(organizations))
    relations, not_used = _holding(q, relations)
    known, value = _known(q, published)
    found, component = _solve_together(relations, known, _peel(relations, known, value))
    findings = _findings(q, known, found)
    findings["label"] = _labels(q, truth, findings["quantity"].to_numpy())
    chains = {
        int(i): _solved_words(q, relations, truth, component, int(i))
        if found[1][i] == TOGETHER
        else _chain(q, relations, truth, found, int(i))
        for i in findings.loc[findings["leak"], "quantity"].head(SHOWN_IN_ERROR)
    }
    return Audit(
        quantities=len(q.truth),
        published=int(known.sum()),
        relations=len(relations.kind),
        not_used=not_used,
        recovered=findings,
        seconds=time.perf_counter() - started,
        chains=chains,
    )


# ---------------------------------------------------------------- summary stars

STAR_KEYS = ["period_id", "level", "entity_id", "family"]


def _stars_counted(results: pd.DataFrame) -> pd.Series:
    """Return how many entity results with stars each (period, level, entity, area) has, and
    each entity's 'overall' (all its areas): what its summary ratings count."""
    rated = results[
        (results["level"] != "program") & (results["stratum"] == "all") & results["stars"].notna()
    ]
    areas = rated.groupby(STAR_KEYS).size()
    overall = rated.assign(family="overall").groupby(STAR_KEYS).size()
    return pd.concat([areas, overall])


def summary_leaks(truth: pd.DataFrame, published: pd.DataFrame, summary: pd.DataFrame) -> list[str]:
    """Return one line per published summary rating that counts a result with stars the
    edition hides: its n_rated above the results with stars the edition shows in its area, or
    stars or an average although `truth` (the full rating) has more results with stars there
    than the edition shows (the reader would work the hidden stars out)."""
    rated = summary[summary["level"] != "program"]
    keys = pd.MultiIndex.from_frame(rated[STAR_KEYS].astype({"entity_id": str}))
    as_str = {"entity_id": str}
    shown = _stars_counted(published.astype(as_str)).reindex(keys, fill_value=0).to_numpy()
    full = _stars_counted(truth.astype(as_str)).reindex(keys, fill_value=0).to_numpy()
    n_rated = pd.to_numeric(rated["n_rated"], errors="coerce").fillna(0).to_numpy()
    averaged = rated[["stars", "average"]].notna().any(axis=1).to_numpy()
    bad = (n_rated > shown) | (averaged & (full > shown))
    return [
        f"{key[1]} {key[2]} {key[0]} {key[3]} rating: counts {full[i]} result(s) with stars, "
        f"of which the edition shows {shown[i]} (n_rated {n_rated[i]:g})"
        for i, key in enumerate(keys)
        if bad[i]
    ]
