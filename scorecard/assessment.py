"""Organisational assessments of Community Partners: ratings by focus area (mart cp_assessment).

Modelled on the DSRIP midpoint assessment of CPs, which rated each CP in five focus areas as
"On track", "On track with limited recommendations" or "Opportunity for improvement", with
recommendations. The demo rows below are invented for a few demo CPs (ids CP01-CP20 are fixed
in scorecard.demo) and written for this project; no real assessment is copied.
"""

from __future__ import annotations

import pandas as pd

from scorecard.contract import TABLES_BY_NAME

RATINGS: tuple[str, ...] = TABLES_BY_NAME["cp_assessment"].columns[2].allowed
FOCUS_AREAS: tuple[str, ...] = (
    "Organizational Structure and Engagement",
    "Integration of Systems and Processes",
    "Workforce Development",
    "Health Information Technology and Exchange",
    "Care Model",
)
ON, LIMITED, IMPROVE = RATINGS

# (cp_id, assessment date, one rating and recommendation per focus area, in FOCUS_AREAS order)
DEMO_ASSESSMENTS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "CP02",
        "2025-06-30",
        (
            (
                LIMITED,
                "Find a steady way to bring members onto the advisory board. Meet at "
                "times and places that suit members, and let people join by phone.",
            ),
            (ON, ""),
            (ON, ""),
            (
                LIMITED,
                "Bring hospital admission alerts from every ACO into the care system, so "
                "care teams see them the same day.",
            ),
            (ON, ""),
        ),
    ),
    (
        "CP05",
        "2024-06-28",
        (
            (ON, ""),
            (
                IMPROVE,
                "Agree with each ACO on one contact and one way to send care plans to "
                "doctors for signing.",
            ),
            (IMPROVE, "Fill open care coordinator jobs. Plan how to keep staff."),
            (LIMITED, "Check for new member files every day."),
            (LIMITED, "Call or visit members soon after a hospital stay."),
        ),
    ),
    (
        "CP05",
        "2025-06-30",
        (
            (ON, ""),
            (
                IMPROVE,
                "Review unsigned care plans with each ACO every month. Send doctors a "
                "short note on what the care plan is for.",
            ),
            (LIMITED, "Pay more to staff who speak the languages members speak."),
            (ON, ""),
            (
                LIMITED,
                "Call or visit members within three work days after they leave the hospital.",
            ),
        ),
    ),
    (
        "CP09",
        "2025-03-31",
        (
            (ON, ""),
            (ON, ""),
            (
                LIMITED,
                "Give new staff time to shadow an experienced care coordinator before "
                "they take on members.",
            ),
            (ON, ""),
            (ON, ""),
        ),
    ),
    (
        "CP16",
        "2025-09-30",
        (
            (ON, ""),
            (LIMITED, "Send ACO partners new phone numbers and addresses of members every week."),
            (
                IMPROVE,
                "Train every new care coordinator before they start. Keep a record of who "
                "finished each training.",
            ),
            (LIMITED, "Use the state health information exchange to send and receive care plans."),
            (ON, ""),
        ),
    ),
    (
        "CP18",
        "2025-09-30",
        (
            (ON, ""),
            (ON, ""),
            (ON, ""),
            (ON, ""),
            (
                LIMITED,
                "Ask members what they need to keep living at home, and write it into "
                "the care plan.",
            ),
        ),
    ),
)


def demo_frame(cp_ids: list[str] | None = None) -> pd.DataFrame:
    """Return the demo cp_assessment rows (for the CPs in cp_ids, when given), contract-typed."""
    rows = [
        (cp_id, area, rating, text, day)
        for cp_id, day, ratings in DEMO_ASSESSMENTS
        for area, (rating, text) in zip(FOCUS_AREAS, ratings, strict=True)
        if cp_ids is None or cp_id in cp_ids
    ]
    columns = TABLES_BY_NAME["cp_assessment"].column_names
    frame = pd.DataFrame(rows, columns=columns)
    frame["recommendation"] = frame["recommendation"].replace("", None)
    frame["assessment_date"] = pd.to_datetime(frame["assessment_date"]).astype("datetime64[s]")
    return frame
