"""A process killed in the middle of an import leaves the store exactly as it was.

The child process imports a real file; inside the open transaction (rows already inserted, derived tables
being rebuilt) it signals the parent and waits, and the parent kills it with SIGKILL. Reopening the store
must show the same catalog, the same rows and the same data version as before.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from equity_metrics.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import equity_metrics.storage.facts as facts
    from equity_metrics.ingest.importer import SourceSpec, import_sources
    from equity_metrics.ingest.kinds import guess_mapping
    from equity_metrics.ingest.readers import read_source
    from equity_metrics.storage.store import Store

    db, csv_path, marker = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    real_rebuild = facts.rebuild_facts

    def rebuild_then_hang(cursor):
        real_rebuild(cursor)
        marker.write_text("inside the transaction")
        time.sleep(600)

    facts.rebuild_facts = rebuild_then_hang
    store = Store(db)
    columns = read_source(csv_path).columns
    import_sources(store, [SourceSpec(csv_path, guess_mapping("discipline", columns))])
    """
)


def snapshot(path: Path) -> dict:
    with Store(path) as store:
        return {
            "catalog": store.datasets().drop(columns=["imported_at"]).to_dict("records"),
            "rows": store.kind_rows(),
            "facts": int(store.scalar("SELECT count(*) FROM facts_student_year WHERE oss")),
            "version": store.data_version(),
        }


def test_a_killed_import_leaves_the_store_unchanged(sample_db: Path, tmp_path: Path):
    before = snapshot(sample_db)
    incidents = tmp_path / "more_incidents.csv"
    rows = "".join(f"I{i:06d},{i:07d},2024-25,OSS,3\n" for i in range(50_000))
    incidents.write_text("Incident ID,Student ID,School Year,Action,Days Removed\n" + rows, encoding="utf-8")
    marker = tmp_path / "marker"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(sample_db), str(incidents), str(marker)],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, child.stderr.read().decode()
            assert time.monotonic() < deadline, "the child never reached the transaction"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    assert snapshot(sample_db) == before
