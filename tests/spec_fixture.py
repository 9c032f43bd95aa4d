"""Write a measures folder of small specs and SQL files for a test (specs over ed_visits.yml)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ED_VISITS = yaml.safe_load((ROOT / "measures" / "ed_visits.yml").read_text(encoding="utf-8"))
# without ed_visits' cluster: person, which a median or a ratio written over it may not have
BASE = {field: value for field, value in ED_VISITS.items() if field != "cluster"}


def write(folder: Path, sql: dict[str, str], **specs: dict) -> Path:
    """Write SQL files (by path inside sql/) and specs (id -> fields over ed_visits)."""
    (folder / "sql").mkdir(parents=True, exist_ok=True)
    for name, text in sql.items():
        (folder / "sql" / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "sql" / name).write_text(text, encoding="utf-8")
    for measure_id, fields in specs.items():
        data = {**BASE, "id": measure_id, **fields}
        (folder / f"{measure_id}.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return folder
