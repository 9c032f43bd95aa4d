"""The data contract: every mart table, its columns, types and keys, declared once as data.

Names follow the Tuva Project input layer where a Tuva table exists (eligibility, medical_claim,
pharmacy_claim); the CP/ACO tables are this project's own. The README's table of the data
contract is markdown_table()'s output (`python -m scorecard.contract` prints it), and
tests/test_docs.py checks that it is, so the documentation cannot drift from this list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type: VARCHAR, DATE, INTEGER, DOUBLE
    help: str
    required: bool = True
    allowed: tuple[str, ...] = ()  # accepted values (case-sensitive), empty = any
    min_value: float | str | None = None  # smallest plausible value (ISO string for dates)
    max_value: float | str | None = None  # largest plausible value
    form: str = ""  # a rewrite to one written form when typed (marts.FORMS), e.g. "type_of_bill"
    width: int = 0  # a code of this many digits (form "digits", "ndc"): shorter, zeros in front
    past: bool = False  # a day that has happened (a service, fill, result): not after today
    first_of_month: bool = False  # a month, written as its first day (2025-03-01)
    shown: bool = False  # its values are published (names, ids, groups): never a person's id
    free_text: bool = False  # sentences published as written: no dates or phone numbers either


@dataclass(frozen=True)
class Table:
    name: str
    help: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    required: bool = False
    needed_for: str = ""
    references: dict[str, str] = field(default_factory=dict)  # column -> "table.column"

    @property
    def column_names(self) -> list[str]:
        """Return every declared column name, in order."""
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        """Return the names of the columns a file of this table must have."""
        return [c.name for c in self.columns if c.required]


MIN_DATE = "1990-01-01"
MAX_DATE = "2100-12-31"


def _date(name: str, help_text: str, **options: Any) -> Column:
    """Return a DATE column of plausible days MIN_DATE to MAX_DATE (options may change them)."""
    return Column(
        name, "DATE", help_text, **{"min_value": MIN_DATE, "max_value": MAX_DATE, **options}
    )


def _dx_columns(count: int) -> tuple[Column, ...]:
    first = Column(
        "diagnosis_code_1",
        "VARCHAR",
        "Principal diagnosis, ICD-10-CM (E119; E11.9 is read as E119).",
        form="icd10",
    )
    rest = tuple(
        Column(
            f"diagnosis_code_{i}",
            "VARCHAR",
            f"Diagnosis {i}, ICD-10-CM.",
            required=False,
            form="icd10",
        )
        for i in range(2, count + 1)
    )
    return (first, *rest)


DIAGNOSIS_COLUMNS = 5


def _modifier_pair(first: str, first_help: str, second_help: str) -> tuple[Column, Column]:
    """A modifier column and hcpcs_modifier_2: two modifiers in the first field (GT 95, U4,95)
    are read as both columns when the second is empty (marts.MODIFIER_PAIRS)."""
    return (
        Column(
            first,
            "VARCHAR",
            f"{first_help}; two in one field (GT 95, U4,95) are read as this column and "
            "hcpcs_modifier_2 when that one is empty.",
            required=False,
            form="modifier",
        ),
        Column("hcpcs_modifier_2", "VARCHAR", second_help, required=False, form="modifier"),
    )


def _code(name: str, help_text: str, **options: Any) -> Column:
    """Return a VARCHAR code column read in capitals, as the code lists hold codes (G9005, 95,
    4548-4): `g9005` and ` G9005 ` read as `G9005`."""
    return Column(name, "VARCHAR", help_text, form="code", **options)


def _digits(name: str, help_text: str, width: int, **options: Any) -> Column:
    """Return a VARCHAR code of `width` digits (0450, 11, 01): a shorter value, as a number
    stored as one loses its leading zeros (450), is read with zeros in front (0450); a longer
    one, or one holding anything but digits (04.50, 450.0, 12-3456789), is refused."""
    return Column(name, "VARCHAR", help_text, form="digits", width=width, **options)


def _digit_id(name: str, help_text: str, width: int, **options: Any) -> Column:
    """Return a VARCHAR id of `width` digits (NPI, TIN): a shorter value of digits alone, as a
    number stored as one loses its leading zeros, is read with zeros in front. Any other value
    is read as written: an id pseudonymised for a de-identified mart (N1) is still an id."""
    return Column(name, "VARCHAR", help_text, form="digit_id", width=width, **options)


TABLES: tuple[Table, ...] = (
    Table(
        "eligibility",
        "One row per enrollment span (Tuva eligibility, with birth year instead of birth date).",
        (
            Column("person_id", "VARCHAR", "Pseudonymous member id."),
            Column(
                "gender",
                "VARCHAR",
                "female, male or unknown.",
                allowed=("female", "male", "unknown"),
            ),
            Column("race", "VARCHAR", "Race/ethnicity category, as reported.", shown=True),
            Column(
                "birth_year",
                "INTEGER",
                "Year of birth (never the full date).",
                min_value=1900,
                max_value=2030,
            ),
            _date(
                "enrollment_start_date",
                "First day of the span.",
            ),
            _date(
                "enrollment_end_date",
                "Last day of the span (9999-12-31 for an open span).",
                max_value="9999-12-31",
            ),
            Column("payer", "VARCHAR", "Payer name, e.g. medicaid.", required=False),
            Column("plan", "VARCHAR", "Plan or product name.", required=False),
        ),
        key=("person_id", "enrollment_start_date"),
        required=True,
        needed_for="every measure (member months, ages, continuous enrollment)",
    ),
    Table(
        "member",
        "Member attributes beyond eligibility, one row per member.",
        (
            Column("person_id", "VARCHAR", "Pseudonymous member id."),
            Column("language", "VARCHAR", "Preferred language, e.g. English, Spanish.", shown=True),
        ),
        key=("person_id",),
        needed_for="stratification by language",
        references={"person_id": "eligibility.person_id"},
    ),
    Table(
        "organization",
        "Directory of ACOs, Community Partners and primary-care practices.",
        (
            Column("org_id", "VARCHAR", "Organisation id used in attribution.", shown=True),
            Column(
                "org_type", "VARCHAR", "aco, cp or practice.", allowed=("aco", "cp", "practice")
            ),
            Column(
                "org_name",
                "VARCHAR",
                "Display name (organisations are public, people are not).",
                shown=True,
            ),
            Column(
                "cp_type", "VARCHAR", "BH or LTSS, for CPs.", required=False, allowed=("BH", "LTSS")
            ),
            Column("parent_org_id", "VARCHAR", "A practice's ACO.", required=False, shown=True),
            _digit_id("tin", "Billing TIN of a practice, 9 digits.", 9, required=False),
        ),
        key=("org_id",),
        needed_for="entity names on ACO, CP and provider pages",
    ),
    Table(
        "attribution",
        "Monthly attribution: which ACO, CP and practice a member belongs to in a month.",
        (
            Column("person_id", "VARCHAR", "Pseudonymous member id."),
            _date(
                "month",
                "The month, written as its first day (2025-03-01).",
                first_of_month=True,
            ),
            Column("aco_id", "VARCHAR", "ACO org_id, empty if none.", required=False),
            Column("cp_id", "VARCHAR", "CP org_id, empty if none.", required=False),
            Column("practice_id", "VARCHAR", "Practice org_id, empty if none.", required=False),
        ),
        key=("person_id", "month"),
        needed_for="ACO, CP and provider scorecards",
        references={"person_id": "eligibility.person_id"},
    ),
    Table(
        "cp_enrollment",
        "One row per CP assignment, with the engagement milestones.",
        (
            Column("person_id", "VARCHAR", "Pseudonymous member id."),
            Column("cp_id", "VARCHAR", "CP org_id."),
            Column("cp_type", "VARCHAR", "BH or LTSS.", allowed=("BH", "LTSS")),
            _date(
                "assignment_date",
                "Day the member was assigned to the CP.",
            ),
            _date(
                "participation_form_date",
                "Participation form signed.",
                required=False,
                past=True,
            ),
            _date(
                "assessment_date",
                "Comprehensive assessment completed.",
                required=False,
                past=True,
            ),
            _date(
                "care_plan_signed_date",
                "Care plan signed by the PCP.",
                required=False,
                past=True,
            ),
            _date(
                "disenrollment_date",
                "Day the assignment ended.",
                required=False,
            ),
        ),
        key=("person_id", "cp_id", "assignment_date"),
        needed_for="CP operational measures",
        references={"person_id": "eligibility.person_id"},
    ),
    Table(
        "cp_activity",
        "CP qualifying activities and outreach, one row per activity.",
        (
            Column("activity_id", "VARCHAR", "Unique activity id."),
            Column("person_id", "VARCHAR", "Pseudonymous member id."),
            Column("cp_id", "VARCHAR", "CP org_id."),
            _date(
                "activity_date",
                "Day of the activity.",
                past=True,
            ),
            _code("hcpcs_code", "Qualifying-activity code, e.g. G9005, T2038."),
            *_modifier_pair(
                "hcpcs_modifier",
                "Modifier, e.g. U4, 95",
                "Second modifier, e.g. U4 after 95 on a telehealth assessment.",
            ),
            Column(
                "successful_contact", "BOOLEAN", "False for an outreach attempt.", required=False
            ),
            Column("care_team_id", "VARCHAR", "Pseudonymous care-team id.", required=False),
        ),
        key=("activity_id",),
        needed_for="CP activity and follow-up measures",
        references={"person_id": "eligibility.person_id"},
    ),
    Table(
        "medical_claim",
        "Medical claim lines (Tuva medical_claim, a subset of its columns).",
        (
            Column("claim_id", "VARCHAR", "Claim id."),
            Column(
                "claim_line_number",
                "INTEGER",
                "Line number within the claim.",
                min_value=1,
                max_value=999,
            ),
            Column(
                "claim_type",
                "VARCHAR",
                "professional or institutional.",
                allowed=("professional", "institutional"),
            ),
            Column("person_id", "VARCHAR", "Pseudonymous member id."),
            _date(
                "claim_start_date",
                "First service date.",
                past=True,
            ),
            _date(
                "claim_end_date",
                "Last service date.",
                past=True,
            ),
            _date(
                "admission_date",
                "Inpatient admission date.",
                required=False,
                past=True,
            ),
            _date(
                "discharge_date",
                "Inpatient discharge date.",
                required=False,
                past=True,
            ),
            _digits(
                "discharge_disposition_code",
                "UB-04 patient status code, 2 digits (01).",
                2,
                required=False,
            ),
            _digits(
                "place_of_service_code", "CMS place of service, 2 digits (11).", 2, required=False
            ),
            Column(
                "bill_type_code",
                "VARCHAR",
                "UB-04 type of bill, three digits (111), the last maybe a letter; the form's four "
                "(0111) are read as three.",
                required=False,
                form="type_of_bill",
            ),
            _digits(
                "revenue_center_code", "UB-04 revenue code, 4 digits (0450).", 4, required=False
            ),
            _code("hcpcs_code", "CPT/HCPCS code.", required=False),
            *_modifier_pair(
                "hcpcs_modifier_1",
                "First modifier, e.g. LT, 95",
                "Second modifier, e.g. 95 after GT on a telehealth visit.",
            ),
            _digit_id("rendering_npi", "Rendering provider NPI, 10 digits.", 10, required=False),
            _digit_id("billing_npi", "Billing provider NPI, 10 digits.", 10, required=False),
            _digit_id("billing_tin", "Billing TIN (practice), 9 digits.", 9, required=False),
            Column(
                "paid_amount",
                "DOUBLE",
                "Paid on this line, in dollars.",
                min_value=0,
                max_value=5_000_000,
            ),
            Column(
                "allowed_amount",
                "DOUBLE",
                "Allowed on this line.",
                required=False,
                min_value=0,
                max_value=5_000_000,
            ),
            *_dx_columns(DIAGNOSIS_COLUMNS),
        ),
        key=("claim_id", "claim_line_number"),
        needed_for="claims (cost and use) and quality measures",
        references={"person_id": "eligibility.person_id"},
    ),
    Table(
        "pharmacy_claim",
        "Pharmacy claims (Tuva pharmacy_claim).",
        (
            Column("claim_id", "VARCHAR", "Claim id."),
            Column("person_id", "VARCHAR", "Pseudonymous member id."),
            _date(
                "dispensing_date",
                "Day dispensed.",
                past=True,
            ),
            Column(
                "ndc_code",
                "VARCHAR",
                "NDC, 11 digits (00002322730), or with hyphens as a package prints it "
                "(0002-3227-30, 12345-678-90, 12345-6789-0, 00002-3227-30).",
                form="ndc",
                width=11,
            ),
            Column("days_supply", "INTEGER", "Days supplied.", min_value=1, max_value=365),
            Column("quantity", "DOUBLE", "Units dispensed.", required=False),
            Column("paid_amount", "DOUBLE", "Paid, in dollars.", min_value=0, max_value=500_000),
            _digit_id("prescribing_provider_npi", "Prescriber NPI, 10 digits.", 10, required=False),
        ),
        key=("claim_id",),
        needed_for=(
            "pharmacy cost and medication measures, and the screenings and chronic-care "
            "measures that leave out frail members with advanced illness"
        ),
        references={"person_id": "eligibility.person_id"},
    ),
    Table(
        "clinical_result",
        "Clinical results from EHR data (blood pressure, HbA1c), one row per result; a day may"
        " hold several results of one LOINC (a blood pressure taken again), so no key.",
        (
            Column("person_id", "VARCHAR", "Pseudonymous member id."),
            _date(
                "result_date",
                "Day measured.",
                past=True,
            ),
            _code("loinc_code", "LOINC, e.g. 4548-4 HbA1c, 8480-6 systolic BP."),
            Column("value", "DOUBLE", "Numeric result.", min_value=0, max_value=400),
            Column("unit", "VARCHAR", "Unit, e.g. %, mm[Hg].", required=False),
        ),
        # no key: real EHR extracts hold re-takes (two systolic readings on one day); the
        # measures take the lowest of a day, and exact duplicate rows change nothing
        needed_for="HbA1c control and blood-pressure measures",
        references={"person_id": "eligibility.person_id"},
    ),
    Table(
        "cp_assessment",
        "Organisational assessment of CPs: one rating per focus area and assessment.",
        (
            Column("cp_id", "VARCHAR", "CP org_id."),
            Column("focus_area", "VARCHAR", "Focus area, e.g. Workforce Development.", shown=True),
            Column(
                "rating",
                "VARCHAR",
                "The assessor's rating of the focus area.",
                allowed=(
                    "On track",
                    "On track with limited recommendations",
                    "Opportunity for improvement",
                ),
            ),
            Column(
                "recommendation",
                "VARCHAR",
                "What the assessor recommends, published as written: about the organisation, "
                "never a member (no names, ids, dates or phone numbers).",
                required=False,
                shown=True,
                free_text=True,
            ),
            _date(
                "assessment_date",
                "Day the assessment was completed.",
                past=True,
            ),
        ),
        key=("cp_id", "focus_area", "assessment_date"),
        needed_for="the organisational assessment on CP scorecards",
        references={"cp_id": "organization.org_id"},
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

# Column names that identify a person. A mart carrying any of them is refused.
# Birth dates are refused like the rest, the year being all the measures need (ages, strata).
BIRTH_DATE_COLUMNS: frozenset[str] = frozenset({"birth_date", "date_of_birth", "dob"})
IDENTIFYING_COLUMNS: frozenset[str] = frozenset(
    {
        "first_name",
        "last_name",
        "middle_name",
        "full_name",
        "patient_name",
        "member_name",
        "name",
        "address",
        "address_line_1",
        "address_line_2",
        "street",
        "street_address",
        "phone",
        "phone_number",
        "telephone",
        "email",
        "ssn",
        "social_security_number",
        "mrn",
        "medical_record_number",
        "birth_date",
        "date_of_birth",
        "dob",
        "zip_code",
        "zip",
        "postal_code",
        "medicaid_id",
        "member_number",
    }
)
# Words that make any other column name identifying too (names are compared in lower case,
# with runs of spaces and punctuation as one underscore): 'Member Name', 'patient_first_name',
# 'date of birth', 'zip5', 'beneficiary_id'. A contract column (org_name, person_id) never is.
IDENTIFYING_PATTERN = re.compile(
    r"(^|_)(first|last|middle|full|given|family|sur)_?name$"
    r"|(^|_)(member|patient|beneficiary|subscriber|person)_?(name|number|no|id)$"
    r"|(^|_)(ssn|dob|mrn|email|e_mail|phone|telephone)(_|$)"
    r"|birth_?date|date_of_birth|social_security|medical_record|street|address"
    r"|^(zip|zip5|zip_?code|zipcode|postal_?code)$"
)

# What a person's identifier looks like in this program's data: the pseudonymous member id
# (P and seven digits, P0000001), a MassHealth member id (twelve digits) and a social security
# number written with hyphens. A value of a column published on pages (Column.shown) holding
# one, or equal to a person_id of the marts, is refused: the pages would publish a person.
PERSON_ID_PATTERNS: dict[str, str] = {
    "a member id (P and seven digits)": r"(^|[^A-Za-z0-9])P[0-9]{7}([^0-9]|$)",
    "a MassHealth member id (twelve digits)": r"(^|[^0-9])[0-9]{12}([^0-9]|$)",
    "a social security number": r"(^|[^0-9])[0-9]{3}-[0-9]{2}-[0-9]{4}([^0-9]|$)",
}


_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_DAY = r"(0?[1-9]|[12][0-9]|3[01])"
_MONTH = r"(0?[1-9]|1[0-2])"
_YEAR = r"(19|20)[0-9]{2}"
# Free text (Column.free_text) is checked for these too: a day's date or a phone number in a
# sentence about an organisation is most likely about one member's care or contact. Only real
# calendar days count (24/7/365 and 7/14/30 days are not dates); a deadline is written as a
# month and year (by June 2026), which passes.
FREE_TEXT_PATTERNS: dict[str, str] = {
    "a date": rf"(^|[^0-9])({_YEAR}-{_MONTH}-{_DAY}|{_MONTH}/{_DAY}/{_YEAR})([^0-9]|$)",
    "a date written with its month": rf"(?i)\b({_MONTHS})[a-z]*\.? {_DAY}(st|nd|rd|th)?,? "
    rf"{_YEAR}\b",
    "a phone number": r"(^|[^0-9])(\(?[0-9]{3}\)?[ .-]?)[0-9]{3}[ .-][0-9]{4}([^0-9]|$)",
}


def free_text_columns() -> set[tuple[str, str]]:
    """Return the (table, column) pairs of free text published as written (Column.free_text)."""
    return {(t.name, c.name) for t in TABLES for c in t.columns if c.free_text}


def shown_columns() -> dict[str, list[str]]:
    """Return table -> the columns whose values are published on pages (Column.shown)."""
    found = {t.name: [c.name for c in t.columns if c.shown] for t in TABLES}
    return {name: columns for name, columns in found.items() if columns}


def column_list(names: list[str]) -> str:
    """Return `names` as code, a run of numbered columns as one (diagnosis_code_2..5)."""
    out: list[tuple[str, int, int]] = []  # (name or stem, first number, last number)
    for name in names:
        stem, _, number = name.rpartition("_")
        if out and number.isdigit() and out[-1][0] == stem and int(number) == out[-1][2] + 1:
            out[-1] = (stem, out[-1][1], int(number))
        else:
            out.append((stem, int(number), int(number)) if number.isdigit() else (name, 0, 0))
    return ", ".join(
        f"`{stem}_{first}..{last}`"
        if last > first
        else f"`{stem}_{first}`"
        if first
        else f"`{stem}`"
        for stem, first, last in out
    )


def markdown_table(tables: tuple[Table, ...] = TABLES) -> str:
    """Return the README's table of the mart tables: whether each is required, what it holds,
    its key, the columns a file must have and those it may have, and what it is needed for."""
    lines = [
        "| table | required | holds | key | columns it must have | optional columns | needed for |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for t in tables:
        optional = [c.name for c in t.columns if not c.required]
        cells = (
            f"`{t.name}`",
            "yes" if t.required else "no",
            t.help.rstrip("."),
            ", ".join(t.key) or "none",
            column_list(t.required_columns),
            column_list(optional) or "-",
            t.needed_for,
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
