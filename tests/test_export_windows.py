"""results.csv's window_start and window_end: the measurement window, described honestly for
measures that follow an event up (their events are shifted from the window)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from scorecard import export
from scorecard.specs import load_specs

ROOT = Path(__file__).resolve().parents[1]


def test_window_columns_are_the_measurement_window_and_say_so_for_shifted_measures() -> None:
    # iet_initiation 2025Q4 counts episodes from Nov 15, 2024 to Nov 14, 2025 (47 days before
    # the window to 47 days before its end); diabetes_eye_exam counts the window itself. Both
    # rows give the measurement window, and the column descriptions now say that a measure
    # that follows an event up counts events shifted from it. Before, they said a reader could
    # match a denominator to the months it counts, which IET's is not.
    specs = {s.id: s for s in load_specs(ROOT / "measures")}
    frame = pd.DataFrame(
        {
            "measure_id": ["iet_initiation", "diabetes_eye_exam"],
            "period_end": ["2025-12-31", "2025-12-31"],
        }
    )
    windows = export.result_windows(frame, specs)
    assert windows["window_start"].tolist() == ["2025-01-01", "2025-01-01"]
    assert windows["window_end"].tolist() == ["2025-12-31", "2025-12-31"]
    assert "Intake period: IESD from 47 days before" in specs["iet_initiation"].method
    start = export.RESULT_COLUMN_MEANINGS["window_start"]
    end = export.RESULT_COLUMN_MEANINGS["window_end"]
    assert "measurement window" in start and "measurement window" in end
    assert "follow an event up" in start and "the measure's page" in start
    assert "follows an event up" in end
    assert "months the result covers" not in start + end
