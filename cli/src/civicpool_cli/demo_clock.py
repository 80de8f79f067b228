"""The demo's clock: a period the law counts in days, ended early in a local system's own database.

A standstill lasts 10 days (§ 134 GWB); a demo, and the tests of what comes after it, cannot wait that long. This
moves a tender's last day of the standstill to yesterday (Berlin) in the tenders service's SQLite database under the
data folder, which is the embedded default of `civicpool up`. Nothing else is moved: the award, its notices and the
event log keep their true times. Against any other database it does nothing and says so.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from civicpool_common.timestamps import network_today


def end_standstill(data_dir: Path, tender_id: str) -> bool:
    """Let the tender's standstill have ended yesterday; False when its database is not the data folder's SQLite."""
    database = data_dir / "tenders.db"
    if not database.is_file():
        return False
    yesterday = network_today() - dt.timedelta(days=1)
    with sqlite3.connect(database) as db:
        moved = db.execute("UPDATE tenders SET standstill_ends_on = ? WHERE id = ? AND standstill_ends_on IS NOT NULL",
                           (yesterday.isoformat(), tender_id)).rowcount  # fmt: skip
    return moved == 1
