"""The member contract for a Python member (execute, batch, transaction, notify, status, errors,
re-sending after failover answered from the exactly-once record), run twice: following a Node
leader and following a Python leader, each in a process of its own."""

from __future__ import annotations

import shutil
import tempfile
import threading
import unittest
import os

from baton import StoreError, open_store
from baton.connection import connect
from baton.paths import read_leader_record, store_paths

from .node_member import ROWS_MIGRATION, NodeMember, PyMember, kill_all
from .support import WriteLoop, wait_for

MIGRATIONS = [(1, ROWS_MIGRATION)]


class MemberContract:
    """The tests; a subclass names the leader's language."""

    leader_class = NodeMember

    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="baton-py-")
        self.db = os.path.join(self.dir, "shared.db")
        self.leader = self.leader_class(self.db, name="first-leader")
        self.assertEqual(self.leader.opened()["role"], "leader")
        self.stores = []

    def tearDown(self) -> None:
        for store in self.stores:
            store.close()
        kill_all()
        shutil.rmtree(self.dir, ignore_errors=True)

    def member(self, name: str = "py", **options) -> object:
        store = open_store(self.db, name=name, candidate=False, migrations=MIGRATIONS, **options)
        self.stores.append(store)
        return store

    def test_values_keep_their_storage_class_both_ways(self) -> None:
        store = self.member()
        self.assertEqual(store.role, "follower")
        self.assertEqual(store.leader_pid, self.leader.pid)
        store.execute("CREATE TABLE v (i INTEGER, r REAL, t TEXT, b BLOB, n)")
        inserted = store.execute("INSERT INTO v VALUES (?, ?, ?, ?, ?)", [2**63 - 1, 2.0, "é", b"\x00\x01", None])
        self.assertEqual(inserted.rows_affected, 1)
        self.assertEqual(inserted.last_insert_rowid, 1)
        result = store.execute("SELECT i, r, t, b, n, typeof(i), typeof(r), 2, 2.0 FROM v")
        self.assertEqual(result.columns, ["i", "r", "t", "b", "n", "typeof(i)", "typeof(r)", "2", "2.0"])
        row = result.rows[0]
        self.assertEqual(tuple(row), (2**63 - 1, 2.0, "é", b"\x00\x01", None, "integer", "real", 2, 2.0))
        self.assertIs(type(row[1]), float)
        self.assertIs(type(row[7]), int)
        self.assertIs(type(row[8]), float)
        self.assertEqual(row["t"], "é")
        self.assertEqual(result.column_types[:4], ["INTEGER", "REAL", "TEXT", "BLOB"])
        # The Node member reads what Python wrote with the same classes.
        seen = self.leader.execute("SELECT i, r, typeof(r) FROM v")
        self.assertEqual(seen["rows"], [[2**63 - 1, 2, "real"]])
        named = store.execute("SELECT :a AS a, @b AS b", {"a": 1, "b": 1.5})
        self.assertEqual(tuple(named.rows[0]), (1, 1.5))

    def test_batch_is_all_or_none_and_names_the_failing_statement(self) -> None:
        store = self.member()
        results = store.batch(
            [("INSERT INTO rows (id, member) VALUES (?, ?)", ["a", "py"]), "SELECT count(*) AS n FROM rows"]
        )
        self.assertEqual(results[1].rows[0]["n"], 1)
        with self.assertRaises(StoreError) as caught:
            store.batch([("INSERT INTO rows (id, member) VALUES (?, ?)", ["b", "py"]), "INSERT INTO nope VALUES (1)"])
        self.assertEqual(caught.exception.code, "SQLITE_ERROR")
        self.assertEqual(caught.exception.statement_index, 1)
        self.assertEqual(store.execute("SELECT count(*) FROM rows").rows[0][0], 1)

    def test_transactions_commit_and_roll_back(self) -> None:
        store = self.member()
        with store.transaction() as tx:
            tx.execute("INSERT INTO rows (id, member) VALUES ('t1', 'py')")
            # Not visible to others before the commit.
            self.assertEqual(self.leader.execute("SELECT count(*) FROM rows")["rows"], [[0]])
        self.assertEqual(self.leader.execute("SELECT count(*) FROM rows")["rows"], [[1]])
        with self.assertRaises(RuntimeError):
            with store.transaction() as tx:
                tx.execute("INSERT INTO rows (id, member) VALUES ('t2', 'py')")
                raise RuntimeError("give up")
        self.assertEqual(store.execute("SELECT id FROM rows").rows, [("t1",)])
        tx = store.transaction(timeout=0.2)
        tx.execute("INSERT INTO rows (id, member) VALUES ('t3', 'py')")
        wait_for(
            lambda: _code_of(lambda: tx.execute("SELECT 1")) == "TRANSACTION_ABORTED", "the transaction timeout"
        )

    def test_transaction_control_as_libsql_reports_it(self) -> None:
        store = self.member()
        store.execute("CREATE TABLE u (k PRIMARY KEY)")
        store.execute("INSERT INTO u VALUES (1)")
        # A statement that makes SQLite roll the transaction back fails with its own error, marked;
        # the transaction is closed and later statements get TRANSACTION_CLOSED.
        tx = store.transaction()
        tx.execute("INSERT INTO rows (id, member) VALUES ('gone', 'py')")
        with self.assertRaises(StoreError) as caught:
            tx.execute("INSERT OR ROLLBACK INTO u VALUES (1)")
        self.assertEqual(caught.exception.code, "SQLITE_CONSTRAINT")
        self.assertTrue(caught.exception.transaction_rolled_back)
        self.assertTrue(tx.closed)
        self.assertEqual(_code_of(lambda: tx.execute("SELECT 1")), "TRANSACTION_CLOSED")
        tx.rollback()  # harmless once closed
        # The leader says the same to a request sent for it anyway.
        sent_anyway = {"k": "execute", "stmt": {"sql": "SELECT 1"}, "txId": tx.tx_id}
        self.assertEqual(_code_of(lambda: store._request(sent_anyway)), "TRANSACTION_CLOSED")
        # The writer is free at once: a write goes through.
        store.execute("INSERT INTO rows (id, member) VALUES ('kept', 'py')")
        # In a batch, BEGIN fails with SQLite's error, ROLLBACK with TRANSACTION_CLOSED at the next
        # statement (SQLite's "cannot commit" when last); nothing of the batch is applied.
        insert = ("INSERT INTO rows (id, member) VALUES (?, ?)", ["batched", "py"])
        with self.assertRaises(StoreError) as caught:
            store.batch([insert, "BEGIN"])
        self.assertEqual((caught.exception.code, caught.exception.statement_index), ("SQLITE_ERROR", 1))
        self.assertIn("cannot start a transaction within a transaction", caught.exception.message)
        with self.assertRaises(StoreError) as caught:
            store.batch([insert, "ROLLBACK", "SELECT 1"])
        self.assertEqual((caught.exception.code, caught.exception.statement_index), ("TRANSACTION_CLOSED", 2))
        with self.assertRaises(StoreError) as caught:
            store.batch([insert, "ROLLBACK"])
        self.assertEqual(caught.exception.code, "SQLITE_ERROR")
        self.assertIn("cannot commit - no transaction is active", caught.exception.message)
        # COMMIT in a transaction's batch ends the transaction there; what follows fails it.
        tx = store.transaction()
        results = tx.batch([("INSERT INTO rows (id, member) VALUES (?, ?)", ["in-tx", "py"]), "COMMIT"])
        self.assertEqual(len(results), 2)
        self.assertTrue(tx.closed)
        tx = store.transaction()
        with self.assertRaises(StoreError) as caught:
            tx.batch([("INSERT INTO rows (id, member) VALUES (?, ?)", ["undone", "py"]), "ROLLBACK", "SELECT 1"])
        self.assertEqual((caught.exception.code, caught.exception.statement_index), ("TRANSACTION_CLOSED", 2))
        self.assertTrue(tx.closed)
        tx = store.transaction()
        tx.execute("INSERT INTO rows (id, member) VALUES ('by-statement', 'py')")
        tx.execute("COMMIT")
        self.assertTrue(tx.closed)
        ids = sorted(r[0] for r in self.leader.execute("SELECT id FROM rows")["rows"])
        self.assertEqual(ids, ["by-statement", "in-tx", "kept"])

    def test_errors_carry_the_typescript_codes(self) -> None:
        store = self.member()
        store.execute("CREATE TABLE u (k TEXT PRIMARY KEY)")
        store.execute("INSERT INTO u VALUES ('x')")
        cases = {
            "SQLITE_CONSTRAINT": lambda: store.execute("INSERT INTO u VALUES ('x')"),
            "STATEMENT_REFUSED": lambda: store.execute("BEGIN"),
            "INVALID_ARGUMENT": lambda: store.execute("SELECT ?", [object()]),
        }
        for code, call in cases.items():
            with self.subTest(code):
                with self.assertRaises(StoreError) as caught:
                    call()
                self.assertEqual(caught.exception.code, code)
        with self.assertRaises(StoreError) as caught:
            store.execute("INSERT INTO u VALUES ('x')")
        self.assertEqual(caught.exception.extended_code, "SQLITE_CONSTRAINT_PRIMARYKEY")
        self.assertEqual(caught.exception.raw_code, 1555)

    def test_notifications_cross_languages(self) -> None:
        store = self.member()
        received = []
        arrived = threading.Event()

        def on_notify(channel, payload):
            received.append((channel, payload))
            if len(received) == 2:
                arrived.set()

        store.on("notify", on_notify)
        store.notify("tasks", {"id": "t_1", "n": 3})
        self.leader.wait_event(lambda e: e.get("ev") == "notify" and e["payload"] == {"id": "t_1", "n": 3}, "notify")
        self.assertEqual(self.leader.call({"cmd": "notify", "channel": "tasks", "payload": "from node"})["ok"], None)
        wait_for(arrived.is_set, "two notifications")
        self.assertEqual(received, [("tasks", {"id": "t_1", "n": 3}), ("tasks", "from node")])

    def test_status_lists_the_python_member(self) -> None:
        store = self.member(name="py-status")
        status = store.status()
        self.assertEqual(status["leader"]["pid"], self.leader.pid)
        names = {m["name"]: m for m in status["members"]}
        self.assertEqual(names["py-status"]["pid"], os.getpid())
        self.assertFalse(names["py-status"]["candidate"])

    def test_a_resent_write_is_answered_from_the_record_of_the_previous_leader(self) -> None:
        paths = store_paths(self.db)
        wait_for(lambda: read_leader_record(paths.record), "the leader record")
        hello = dict(client_id="py-resend", name="py", candidate=False, migrations=[])
        first = connect(read_leader_record(paths.record)["socketPath"], **hello)
        insert = {"k": "execute", "stmt": {"sql": "INSERT INTO rows (id, member) VALUES ('once', 'py')"}}
        answers = []
        got = threading.Event()
        first.start(lambda f: (answers.append(f), got.set()) if f.get("t") == "res" else None, lambda c: None)
        first.send({"t": "req", "id": 7, "op": insert})
        wait_for(got.is_set, "the first answer")
        first.close()
        self.assertIn("ok", answers[0])
        # The Node leader dies; another Node member takes over with a new epoch.
        heir = NodeMember(self.db, name="node-heir")
        heir.opened()
        self.leader.kill()
        heir.wait_event(lambda e: e.get("ev") == "role" and e["role"] == "leader", "takeover")
        second = connect(read_leader_record(paths.record)["socketPath"], **hello)
        self.assertGreater(second.welcome["epoch"], first.welcome["epoch"])
        got.clear()
        second.start(lambda f: (answers.append(f), got.set()) if f.get("t") == "res" else None, lambda c: None)
        second.send({"t": "req", "id": 7, "retry": True, "op": insert})
        wait_for(got.is_set, "the answer to the re-sent write")
        second.close()
        self.assertEqual(answers[1]["ok"], answers[0]["ok"])
        self.assertEqual(heir.execute("SELECT count(*) FROM rows WHERE id = 'once'")["rows"], [[1]])

    def test_writes_continue_across_a_node_failover_exactly_once(self) -> None:
        store = self.member()
        heir = NodeMember(self.db, name="node-heir")
        heir.opened()
        loop = WriteLoop(store)
        loop.wait_for_more(20, "writes before the kill")
        self.leader.kill()
        loop.wait_for_more(20, "writes after the takeover")
        loop.stop()
        self.assertEqual(loop.failed, [])
        self.assertEqual(store.leader_pid, heir.pid)
        rows = heir.execute("SELECT id, count(*) FROM rows GROUP BY id HAVING count(*) > 1")["rows"]
        self.assertEqual(rows, [])
        present = {r[0] for r in heir.execute("SELECT id FROM rows")["rows"]}
        self.assertEqual(set(loop.acked) - present, set())


class FollowingNode(MemberContract, unittest.TestCase):
    leader_class = NodeMember


class FollowingPython(MemberContract, unittest.TestCase):
    leader_class = PyMember


def _code_of(call) -> str:
    try:
        call()
    except StoreError as error:
        return error.code
    return "OK"


if __name__ == "__main__":
    unittest.main()
