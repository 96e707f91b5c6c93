"""A Python process hosting the leader: Node members follow it unchanged (values, batches,
notifications, status), its exactly-once record answers a re-send after it dies, and a Node
leader answers a re-send from a record a Python leader wrote (and the other way round), in each
of the record's forms (two integers, nil, a blob), and a version 2 record table is rebuilt with its
records kept."""

from __future__ import annotations

import os
import sqlite3
import threading
import unittest

from baton import StoreError, msgpack, open_store
from baton.connection import connect
from baton.paths import read_leader_record, store_paths

from .node_member import ROWS_MIGRATION, NodeMember, PyMember, SharedDatabaseTest
from .support import WriteLoop, wait_for

MIGRATIONS = [(1, ROWS_MIGRATION)]


def kinds(value):
    """A decoded frame with each integer's wire format named (int64 is an INTEGER, a short format
    is a number or a REAL): two answers are the same only if they travelled the same way."""
    if isinstance(value, list):
        return [kinds(v) for v in value]
    if isinstance(value, dict):
        return {k: kinds(v) for k, v in value.items()}
    if isinstance(value, int) and not isinstance(value, bool):
        return (type(value).__name__, int(value))
    return value


class PythonLeader(SharedDatabaseTest):
    prefix = "baton-pyl-"

    def leader(self, cls=PyMember, name: str = "py-leader"):
        member = cls(self.db, name=name)
        self.assertEqual(member.opened()["role"], "leader")
        return member

    def test_node_members_follow_a_python_leader(self) -> None:
        leader = self.leader()
        node = NodeMember(self.db, name="node-follower")
        self.assertEqual(node.opened()["role"], "follower")
        node.execute("CREATE TABLE v (i INTEGER, r REAL, t TEXT, b BLOB)")
        inserted = node.execute("INSERT INTO v VALUES (?, ?, ?, ?)", [2**63 - 1, 2.0, "é", b"\x01"])
        self.assertEqual((inserted["rowsAffected"], inserted["lastInsertRowid"]), (1, 1))
        seen = node.execute("SELECT i, r, t, b, typeof(r), 2, 2.0 FROM v")
        self.assertEqual(seen["rows"], [[2**63 - 1, 2, "é", b"\x01", "real", 2, 2]])
        self.assertEqual(seen["columns"], ["i", "r", "t", "b", "typeof(r)", "2", "2.0"])
        refused = node.call({"cmd": "exec", "sql": "BEGIN"})
        self.assertEqual(refused["code"], "STATEMENT_REFUSED")
        node.execute("CREATE TABLE u (k PRIMARY KEY)")
        node.execute("INSERT INTO u VALUES (1)")
        duplicate = node.call({"cmd": "exec", "sql": "INSERT INTO u VALUES (1)"})
        self.assertEqual(duplicate["code"], "SQLITE_CONSTRAINT")
        # A Python follower in this process sees the same data, and notifications cross.
        store = open_store(self.db, name="py-follower", candidate=False, migrations=MIGRATIONS)
        self.stores.append(store)
        got = threading.Event()
        store.on("notify", lambda channel, payload: got.set() if payload == {"from": "node"} else None)
        self.assertIsNone(node.call({"cmd": "notify", "channel": "c", "payload": {"from": "node"}})["ok"])
        wait_for(got.is_set, "the notification from Node")
        node.wait_event(lambda e: e.get("ev") == "notify" and e["payload"] == {"from": "node"}, "its own notify")
        self.assertEqual(store.execute("SELECT r FROM v").rows[0][0], 2.0)
        with store.transaction() as tx:
            tx.execute("INSERT INTO u VALUES (2)")
        self.assertEqual(node.execute("SELECT count(*) FROM u")["rows"], [[2]])
        status = node.call({"cmd": "status"})["ok"]
        self.assertEqual(status["leader"]["pid"], leader.pid)
        self.assertEqual(status["leader"]["language"], "python")
        languages = {m["name"]: m["language"] for m in status["members"]}
        self.assertEqual(languages, {"py-leader": "python", "node-follower": "node", "py-follower": "python"})
        self.assertEqual(status["leader"]["heirPid"], node.pid)

    def test_a_node_member_reading_locally_reads_the_file_the_python_leader_names(self) -> None:
        leader = self.leader()
        reader = NodeMember(self.db, name="node-reader", candidate=False, reads="local")
        self.assertEqual(reader.opened()["role"], "follower")
        leader.execute("INSERT INTO rows (id, member) VALUES ('seen', 'py')")
        first = reader.call({"cmd": "exec", "sql": "SELECT id FROM rows"})
        self.assertEqual(first["ok"]["rows"], [["seen"]])
        # Served by the member itself: the welcome named the file the Python leader opened.
        self.assertEqual(first["localReads"], 1)
        status = reader.call({"cmd": "status"})["ok"]
        reads = {m["name"]: m["reads"] for m in status["members"]}
        self.assertEqual(reads, {"py-leader": "leader", "node-reader": "local"})

    def test_a_resent_write_is_answered_across_leaders_of_both_languages(self) -> None:
        paths = store_paths(self.db)
        first = self.leader()
        node = NodeMember(self.db, name="node-next")
        node.opened()
        hello = dict(client_id="resender", name="raw", candidate=False, migrations=[])
        insert = {"k": "execute", "stmt": {"sql": "INSERT INTO rows (id, member) VALUES ('once', 'raw')"}}
        # Each form of the record: two integers (above), rows (a blob), nil (notify).
        returning = {
            "k": "execute",
            "stmt": {"sql": "INSERT INTO rows VALUES ('rows', 'raw', 2) RETURNING rowid, epoch"},
        }
        notify = {"k": "notify", "channel": "c", "payload": None}
        answers = []

        def ask(request: dict) -> dict:
            conn = connect(read_leader_record(paths.record)["socketPath"], **hello)
            got = threading.Event()
            conn.start(lambda f: (answers.append(f), got.set()) if f.get("t") == "res" else None, lambda c: None)
            conn.send(request)
            wait_for(got.is_set, "an answer")
            conn.close()
            return answers[-1]

        original = ask({"t": "req", "id": 5, "op": insert})
        self.assertIn("ok", original)
        with_rows = ask({"t": "req", "id": 7, "op": returning})
        self.assertEqual(kinds(with_rows["ok"]["rows"]), [[("int", 2), ("int", 2)]])
        self.assertIsNone(ask({"t": "req", "id": 8, "op": notify})["ok"])
        # Python wrote the record; the Node leader that follows answers the re-send from it.
        first.kill()
        node.wait_event(lambda e: e.get("ev") == "role" and e["role"] == "leader", "Node takes over")
        self.assertEqual(kinds(ask({"t": "req", "id": 5, "retry": True, "op": insert})["ok"]), kinds(original["ok"]))
        resent = ask({"t": "req", "id": 7, "retry": True, "op": returning})
        self.assertEqual(kinds(resent["ok"]), kinds(with_rows["ok"]))
        self.assertIsNone(ask({"t": "req", "id": 8, "retry": True, "op": notify})["ok"])
        # Node writes a record; a Python leader answers its re-send.
        twice = {"k": "execute", "stmt": {"sql": "INSERT INTO rows VALUES ('twice', 'raw', 1)"}}
        second = ask({"t": "req", "id": 6, "op": twice})
        node_returning = {**returning, "stmt": {"sql": returning["stmt"]["sql"].replace("'rows'", "'node-rows'")}}
        node_rows = ask({"t": "req", "id": 9, "op": node_returning})
        self.assertIsNone(ask({"t": "req", "id": 10, "op": notify})["ok"])
        py = PyMember(self.db, name="py-next")
        py.opened()
        node.kill()
        py.wait_event(lambda e: e.get("ev") == "role" and e["role"] == "leader", "Python takes over")
        again = ask({"t": "req", "id": 6, "retry": True, "op": twice})
        self.assertEqual(kinds(again["ok"]), kinds(second["ok"]))
        resent_rows = ask({"t": "req", "id": 9, "retry": True, "op": node_returning})
        self.assertEqual(kinds(resent_rows["ok"]), kinds(node_rows["ok"]))
        self.assertIsNone(ask({"t": "req", "id": 10, "retry": True, "op": notify})["ok"])
        counts = py.execute("SELECT id, count(*) FROM rows GROUP BY id ORDER BY id")["rows"]
        self.assertEqual(counts, [["node-rows", 1], ["once", 1], ["rows", 1], ["twice", 1]])

    def test_a_version_2_record_table_is_rebuilt_keeping_every_record(self) -> None:
        # The table as a leader of protocol version 2 left it: every outcome a blob in result.
        result = {"columns": [], "columnTypes": [], "rows": [], "rowsAffected": 1, "lastInsertRowid": msgpack.Int64(41)}
        outcome = {"ok": result}
        old = sqlite3.connect(self.db)
        old.executescript(
            "CREATE TABLE _baton_applied (client_id TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, "
            "result BLOB, PRIMARY KEY (client_id, seq)) WITHOUT ROWID; "
            "CREATE INDEX _baton_applied_at ON _baton_applied (at);"
        )
        old.execute("INSERT INTO _baton_applied VALUES ('old-member', 3, 0, ?)", (msgpack.pack(outcome),))
        old.commit()
        old.close()
        self.leader()
        socket_path = read_leader_record(store_paths(self.db).record)["socketPath"]
        conn = connect(socket_path, client_id="old-member", name="raw", candidate=False, migrations=[])
        answers = []
        got = threading.Event()
        conn.start(lambda f: (answers.append(f), got.set()) if f.get("t") == "res" else None, lambda c: None)
        insert = {"k": "execute", "stmt": {"sql": "INSERT INTO rows VALUES ('x', 'y', 1)"}}
        conn.send({"t": "req", "id": 3, "retry": True, "op": insert})
        wait_for(got.is_set, "the answer to the re-send")
        conn.close()
        self.assertEqual(kinds(answers[0]["ok"]), kinds(msgpack.unpack(msgpack.pack(outcome))["ok"]))
        check = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            columns = [row[1] for row in check.execute("PRAGMA table_info(_baton_applied)")]
            self.assertEqual(columns, ["client_id", "seq", "at", "rows_affected", "last_rowid", "result"])
            self.assertEqual(check.execute("SELECT count(*) FROM rows").fetchone()[0], 0)
        finally:
            check.close()

    def test_a_python_leader_that_closes_removes_its_socket_and_its_link(self) -> None:
        paths = store_paths(self.db)
        store = open_store(self.db, name="py-closing", migrations=MIGRATIONS)
        self.assertEqual(store.role, "leader")
        self.assertTrue(os.path.exists(paths.socket))
        self.assertTrue(os.path.islink(paths.socket_link))
        store.close()
        # Nothing of it is left in the runtime directory: a socket without its link could never
        # be proven dead by a sweeper, and would stay there for good.
        self.assertFalse(os.path.lexists(paths.socket))
        self.assertFalse(os.path.lexists(paths.socket_link))

    def test_a_step_down_asked_by_a_node_member_hands_over_to_it(self) -> None:
        leader = self.leader()
        node = NodeMember(self.db, name="node-next")
        self.assertEqual(node.opened()["role"], "follower")
        node.execute("INSERT INTO rows (id, member) VALUES ('before', 'node')")
        answer = node.call({"cmd": "stepDown"})
        self.assertEqual(answer["ok"]["pid"], leader.pid)
        node.wait_event(lambda e: e.get("ev") == "role" and e["role"] == "leader", "the Node member leading")
        leader.wait_event(lambda e: e.get("ev") == "role" and e["role"] == "follower", "the Python member following")
        node.execute("INSERT INTO rows (id, member) VALUES ('after', 'node')")
        self.assertEqual(leader.execute("SELECT id FROM rows ORDER BY id")["rows"], [["after"], ["before"]])

    def test_python_follower_writes_across_a_python_leader_kill(self) -> None:
        leader = self.leader()
        store = open_store(self.db, name="py-writer", candidate=True, migrations=MIGRATIONS)
        self.stores.append(store)
        self.assertEqual(store.role, "follower")
        loop = WriteLoop(store)
        loop.wait_for_more(20, "writes before the kill")
        leader.kill()
        loop.wait_for_more(20, "writes after this member took over")
        loop.stop()
        self.assertEqual(loop.failed, [])
        self.assertEqual(store.role, "leader")
        duplicates = store.execute("SELECT id FROM rows GROUP BY id HAVING count(*) > 1").rows
        self.assertEqual(duplicates, [])
        present = {r[0] for r in store.execute("SELECT id FROM rows").rows}
        self.assertEqual(set(loop.acked) - present, set())
        self.assertEqual(store.execute("PRAGMA integrity_check").rows[0][0], "ok")


if __name__ == "__main__":
    unittest.main()
