"""A Python leader under bad input and faults: garbage and oversized frames, a wrong protocol
version and conflicting migrations are refused with coded errors while other members carry on;
a database file replaced under the leader makes it step down (fenced) and move the lost WAL aside;
a file replaced or deleted while no leader ran gets a Python leader that sets the old WAL aside
before opening it and says DATABASE_REPLACED, and a leader that dies on such a file before its
record keeps the next leader from setting the new file's live WAL aside."""

from __future__ import annotations

import glob
import itertools
import os
import socket
import sqlite3
import struct
import unittest
from typing import Any

from baton import StoreError, open_store
from baton.framing import FrameDecoder, decode_payload, encode_frame
from baton.paths import read_leader_record, store_paths

from .node_member import ROWS_MIGRATION, NodeMember, PyMember, SharedDatabaseTest
from .support import wait_for

MIGRATIONS = [(1, ROWS_MIGRATION)]


def exchange(socket_path: str, data: bytes) -> list:
    """Sends raw bytes and reads frames until the leader closes the connection."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(20)
    sock.connect(socket_path)
    sock.sendall(data)
    decoder = FrameDecoder()
    frames = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        frames += [decode_payload(p) for p in decoder.push(chunk)]
    sock.close()
    return frames


class LeaderFaults(SharedDatabaseTest):
    prefix = "baton-pyf-"

    def _read_back(self, db: str, *queries: str) -> list[list[Any]]:
        """Once every member has closed: ``db`` passes its integrity check, and the first column
        of each query's rows."""
        check = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            self.assertEqual(check.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            return [[row[0] for row in check.execute(query)] for query in queries]
        finally:
            check.close()

    def test_bad_input_is_refused_with_a_code_and_the_leader_carries_on(self) -> None:
        leader = PyMember(self.db, name="py-leader")
        self.assertEqual(leader.opened()["role"], "leader")
        path = read_leader_record(store_paths(self.db).record)["socketPath"]
        hello = {"t": "hello", "v": 3, "clientId": "raw", "pid": os.getpid(), "name": "raw", "migrations": []}
        cases = {
            "exceeds the limit of 16777216": b"\xff\xff\xff\xff",
            "undecodable frame": struct.pack(">I", 2) + b"\xc1\xc1",
            "the first frame must be a hello": encode_frame({"t": "req", "id": 1, "op": {"k": "ping"}}),
            "protocol version 2 is not supported (leader speaks 3)": encode_frame({**hello, "v": 2}),
            "protocol version b'3' is not supported": encode_frame({**hello, "v": b"3"}),
            "expected a request frame": encode_frame(hello) + encode_frame(hello),
            "request id must be a non-negative integer": encode_frame(hello)
            + encode_frame({"t": "req", "id": -1, "op": {"k": "ping"}}),
        }
        for message, data in cases.items():
            with self.subTest(message):
                frames = exchange(path, data)
                refusal = frames[-1]
                self.assertEqual(refusal["t"], "refuse")
                self.assertEqual(refusal["err"]["code"], "PROTOCOL_ERROR")
                self.assertIn(message, refusal["err"]["message"])
        # A malformed operation with a readable id is answered, and the connection kept.
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(20)
        sock.connect(path)
        sock.sendall(encode_frame(hello) + encode_frame({"t": "req", "id": 3, "op": {"k": "nope"}}))
        sock.sendall(encode_frame({"t": "req", "id": 5, "op": {"k": {b"k": 0}}}))
        sock.sendall(encode_frame({"t": "req", "id": 4, "op": {"k": "ping"}}))
        decoder = FrameDecoder()
        frames = []
        while len([f for f in frames if f.get("t") == "res"]) < 3:
            frames += [decode_payload(p) for p in decoder.push(sock.recv(65536))]
        sock.close()
        answers = {f["id"]: f for f in frames if f.get("t") == "res"}
        self.assertEqual(answers[3]["err"]["code"], "PROTOCOL_ERROR")
        self.assertIn('unknown operation "nope"', answers[3]["err"]["message"])
        self.assertEqual(answers[5]["err"]["code"], "PROTOCOL_ERROR")  # an operation kind that is a map
        self.assertIn("unknown operation {", answers[5]["err"]["message"])
        self.assertEqual(answers[4]["ok"], "pong")
        self.assertEqual(leader.execute("SELECT 1")["rows"], [[1]])

    def test_conflicting_migrations_are_refused_and_the_store_does_not_open(self) -> None:
        store = open_store(self.db, name="first", migrations=[(1, "CREATE TABLE a (x)")])
        self.stores.append(store)
        with self.assertRaises(StoreError) as caught:
            open_store(self.db, name="second", candidate=False, migrations=[(1, "CREATE TABLE a (y)")])
        self.assertEqual(caught.exception.code, "SCHEMA_CONFLICT")
        self.assertIn("migration 1 is already applied with different SQL", caught.exception.message)
        with self.assertRaises(StoreError) as caught:
            open_store(self.db, name="third", candidate=False, migrations=[(2, "CREATE TABLE broken (")])
        self.assertEqual(caught.exception.code, "SCHEMA_CONFLICT")
        self.assertIn("a migration failed", caught.exception.message)
        self.assertEqual(store.execute("SELECT count(*) FROM _baton_migrations").rows[0][0], 1)

    def test_a_replaced_database_file_fences_the_python_leader(self) -> None:
        leader = PyMember(self.db, name="py-leader")
        self.assertEqual(leader.opened()["role"], "leader")
        heir = NodeMember(self.db, name="node-heir")
        heir.opened()
        writer = open_store(self.db, name="py-writer", candidate=False, migrations=MIGRATIONS)
        self.stores.append(writer)
        writer.execute("INSERT INTO rows (id, member) VALUES ('before', 'py')")
        # Someone replaces the file (the outage Baton exists for): a fresh database renamed over it.
        fresh = os.path.join(self.dir, "fresh.db")
        sqlite3.connect(fresh).close()
        os.rename(fresh, self.db)
        writer.execute("INSERT INTO rows (id, member) VALUES ('after', 'py')")
        # The fenced leader steps down. The next one is the Node heir or, when the heir's next try
        # of the lock comes after the Python member's 250 ms pause (a loaded machine), the Python
        # member again: either way a leader on the new file, which applied the re-sent write once.
        leader.wait_event(lambda e: e.get("ev") == "role" and e["role"] == "electing", "the Python leader stepping down")
        self.assertIn(writer.leader_pid, (leader.pid, heir.pid))
        wait_for(lambda: glob.glob(self.db + "-wal.lost-epoch1-*"), "the lost WAL moved aside")
        self.assertEqual(heir.execute("SELECT id FROM rows")["rows"], [["after"]])

    def test_a_file_replaced_or_deleted_while_no_leader_runs_never_gets_the_old_wal(self) -> None:
        # A Python leader after a Python one, and each language after the other: each reads the
        # file the other's record names.
        cases = [(PyMember, PyMember), (PyMember, NodeMember), (NodeMember, PyMember)]
        for (before, after), change in itertools.product(cases, ("replaced", "deleted")):
            with self.subTest(f"{before.language} then {after.language}, {change}"):
                db = os.path.join(self.dir, f"unwatched-{before.language}-{after.language}-{change}.db")
                first = before(db, name="first")
                self.assertEqual(first.opened()["role"], "leader")
                # Rows enough for a WAL of a few hundred pages: they live in the -wal when it dies.
                first.execute(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) "
                    "INSERT INTO rows (id, member) SELECT 'old-' || i, hex(randomblob(3000)) FROM n"
                )
                first.kill()
                self.assertTrue(os.path.exists(db + "-wal"))
                if change == "replaced":
                    fresh = sqlite3.connect(db + ".new")
                    fresh.executescript(ROWS_MIGRATION)
                    fresh.execute("INSERT INTO rows (id, member) VALUES ('fresh', 'outside')")
                    fresh.commit()
                    fresh.close()
                    os.rename(db + ".new", db)
                else:
                    os.remove(db)
                second = after(db, name="second")
                self.assertEqual(second.opened()["role"], "leader")
                warned = second.wait_event(
                    lambda e: e.get("ev") == "error" and e["code"] == "DATABASE_REPLACED", "DATABASE_REPLACED"
                )
                self.assertIn("moved aside", warned["message"])
                second.execute("INSERT INTO rows (id, member) VALUES ('after', 'second')")
                second.close()
                (ids,) = self._read_back(db, "SELECT id FROM rows ORDER BY id")
                self.assertEqual(ids, ["after", "fresh"] if change == "replaced" else ["after"])
                self.assertEqual(len(glob.glob(db + "-wal.lost-epoch1-*")), 1)

    def test_a_leader_that_dies_on_a_replaced_file_before_its_record_leaves_that_files_wal_to_the_next(self) -> None:
        # The leader that dies and the one after it, in each language.
        cases = [(PyMember, PyMember), (PyMember, NodeMember), (NodeMember, PyMember)]
        for doomed_kind, next_kind in cases:
            with self.subTest(f"{doomed_kind.language} then {next_kind.language}"):
                db = os.path.join(self.dir, f"adopted-{doomed_kind.language}-{next_kind.language}.db")
                first = PyMember(db, name="first")
                self.assertEqual(first.opened()["role"], "leader")
                first.execute("INSERT INTO rows (id, member) VALUES ('old', 'first')")
                first.close()
                fresh = sqlite3.connect(db + ".new")
                fresh.executescript(ROWS_MIGRATION)
                fresh.close()
                os.rename(db + ".new", db)
                # Its first commit (its epoch) is in the new file's WAL when it dies.
                doomed = doomed_kind(db, name="doomed", env={"BATON_FAULT": "crash-before-record"})
                doomed.proc.wait(timeout=30)
                doomed.kill()
                self.assertTrue(os.path.exists(db + "-wal"))
                after = next_kind(db, name="next")
                self.assertEqual(after.opened()["role"], "leader")
                after.execute("INSERT INTO rows (id, member) VALUES ('after', 'next')")
                after.close()
                leaders, ids = self._read_back(db, "SELECT name FROM _baton_epochs ORDER BY epoch", "SELECT id FROM rows")
                self.assertEqual(leaders, ["doomed", "next"])
                self.assertEqual(ids, ["after"])
                self.assertEqual(glob.glob(db + "-wal.lost-epoch*"), [])


if __name__ == "__main__":
    unittest.main()
