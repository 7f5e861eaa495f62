"""What bench/pbr_runs.py's payment runs wrote, saved for ``--outputs DIR`` to compare old and new code byte for byte
(``diff -r``), on SQLite or PostgreSQL."""

from pathlib import Path
from typing import Any


def save_outputs(data: Path, out: Path, url: str = "") -> None:
    """What the runs wrote, to compare old and new code byte for byte (``diff -r``): the ledger and the runs'
    summaries without the clock's instants, and every file under the data folder but the database (on
    PostgreSQL, ``url``'s)."""
    import shutil
    import sqlite3

    out.mkdir(parents=True, exist_ok=True)
    if url.startswith("postgresql"):
        import psycopg

        connection: Any = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    else:
        connection = sqlite3.connect(data / "commissioning.db")
    with (out / "ledger.tsv").open("w") as f:
        for row in connection.execute(
            "SELECT id, contract_id, payer, kind, item, amount_pence, entry_on, run_id, claim_id, participant, "
            "outcome, month, sample_id, reverses_id, memo, actor FROM pbr_ledger ORDER BY id"
        ):
            f.write("\t".join(str(v) for v in row) + "\n")
    with (out / "runs.tsv").open("w") as f:
        for row in connection.execute("SELECT id, period, run_on, summary FROM payment_run ORDER BY id"):
            f.write("\t".join(str(v) for v in row) + "\n")
    connection.close()
    for path in sorted(data.rglob("*")):
        if path.is_file() and not path.name.startswith("commissioning.db") and "prefect" not in str(path):
            target = out / "files" / path.relative_to(data)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
