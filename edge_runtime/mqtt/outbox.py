"""A bounded, persistent FIFO of outgoing MQTT messages in one SQLite file.

Every entry is written here first and deleted only when the broker has acknowledged it
(QoS 1 PUBACK), so a broker outage or a crash of the device process loses nothing: the
next run sends what is left, oldest first. When the queue holds `max_messages`, each new
message drops the oldest one; drops are counted in the file and reported.

One process at a time may use a queue file (an exclusive lock beside it), so two runs
cannot send the same entries twice over.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from edge_runtime.errors import OutputError

DEFAULT_MAX_MESSAGES = 86_400  # one day of per-second entries: 44 MB when full

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters VALUES ('dropped', 0);
"""


@dataclass(frozen=True)
class QueuedMessage:
    id: int
    topic: str
    payload: bytes


class Outbox:
    """Thread-safe: the pipeline thread appends, the sender thread reads and deletes."""

    def __init__(self, path: Path, max_messages: int = DEFAULT_MAX_MESSAGES) -> None:
        if max_messages < 1:
            raise ValueError("max_messages must be at least 1")
        self.path = Path(path)
        self.max_messages = max_messages
        self._lock = threading.Lock()
        self._lock_file = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock_file = open(self.path.with_name(self.path.name + ".lock"), "w")  # noqa: SIM115
        except OSError as exc:
            raise OutputError(
                f"{self.path}: cannot create the MQTT queue ({exc.strerror})"
            ) from None
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.close()
            raise OutputError(
                f"{self.path}: another edge-emo process is using this MQTT queue "
                "(give each run its own --device-id or --mqtt-queue)"
            ) from None
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: a queued entry survives a power cut too; at one entry per second the
            # extra fsync costs nothing measurable.
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._rows = self._count()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise OutputError(f"{self.path}: not a usable MQTT queue ({exc})") from None

    def put(self, topic: str, payload: bytes) -> int:
        """Append one message; returns how many old messages were dropped to make room."""
        try:
            return self._put(topic, payload)
        except sqlite3.Error as exc:  # disk full, file removed under us, ...
            raise OutputError(f"{self.path}: cannot queue an MQTT message ({exc})") from None

    def _put(self, topic: str, payload: bytes) -> int:
        # The row count is kept in memory (one process owns the file): COUNT(*) or a
        # combined MIN/MAX would scan the table, and a put would cost ~40 ms at 86,400 rows.
        with self._lock:
            with self._transaction():
                self._db.execute(
                    "INSERT INTO outbox (topic, payload) VALUES (?, ?)", (topic, payload)
                )
                excess = max(0, self._rows + 1 - self.max_messages)
                if excess:
                    self._db.execute(
                        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ?)",
                        (excess,),
                    )
                    self._db.execute(
                        "UPDATE counters SET value = value + ? WHERE name = 'dropped'", (excess,)
                    )
            self._rows += 1 - excess  # after the commit: a rollback changes nothing
        return excess

    def after(self, last_id: int, limit: int) -> list[QueuedMessage]:
        """Up to `limit` messages with an id above `last_id`, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, topic, payload FROM outbox WHERE id > ? ORDER BY id LIMIT ?",
                (last_id, limit),
            ).fetchall()
        return [QueuedMessage(i, t, bytes(p)) for i, t, p in rows]

    def remove(self, ids: list[int]) -> None:
        """Forget acknowledged messages."""
        if not ids:
            return
        with self._lock:
            with self._transaction():
                deleted = self._db.executemany(
                    "DELETE FROM outbox WHERE id = ?", [(i,) for i in ids]
                ).rowcount
            self._rows -= deleted

    def __len__(self) -> int:
        return self._rows

    @property
    def dropped(self) -> int:
        """Messages dropped because the queue was full, over the life of this file."""
        with self._lock:
            return self._db.execute("SELECT value FROM counters WHERE name = 'dropped'").fetchone()[
                0
            ]

    def close(self) -> None:
        with self._lock:
            db = getattr(self, "_db", None)
            if db is not None:
                self._db = None
                with contextlib.suppress(sqlite3.Error):
                    db.close()
            if self._lock_file is not None:
                self._lock_file.close()
                self._lock_file = None

    def _count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    @contextlib.contextmanager
    def _transaction(self):
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def default_queue_path(device_id: str, broker: str) -> Path:
    """One queue per (device, broker) under $XDG_STATE_HOME (default ~/.local/state)."""
    import hashlib

    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    tag = hashlib.sha256(broker.encode()).hexdigest()[:10]
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in device_id)
    return state / "edge-emo" / f"mqtt-{safe}-{tag}.sqlite"
