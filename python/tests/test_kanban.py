"""The Python kanban gateway's pieces against their Node originals: the board's migration is the
same text (else the leader refuses it with SCHEMA_CONFLICT), and a profile's config.yaml as the
Node fleet writes it (the ``yaml`` package's output) reads the same. And the board itself on a
store of its own (this process leads): a finish repeated within one millisecond records nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import unittest
from unittest import mock

from baton import open_store
from kanban import board as board_module
from kanban.board import Board, ClaimLost
from kanban.config import load_config, parse_yaml
from kanban.schema import KANBAN_MIGRATIONS

from .support import NODE, REPO


def node(script: str) -> str:
    return subprocess.run([NODE, "-e", script], cwd=REPO, check=True, capture_output=True, text=True).stdout


class KanbanGateway(unittest.TestCase):
    def test_the_migrations_are_the_node_boards(self) -> None:
        schema = os.path.join(REPO, "packages", "kanban", "dist", "src", "schema.js")
        node_migrations = json.loads(node(f"console.log(JSON.stringify(require({json.dumps(schema)}).KANBAN_MIGRATIONS))"))
        self.assertEqual([(m["version"], m["sql"]) for m in node_migrations], KANBAN_MIGRATIONS)

    def test_reads_a_profile_as_the_node_fleet_writes_it(self) -> None:
        home = tempfile.mkdtemp(prefix="baton-kanban-py-")
        try:
            section = {
                "enabled": True,
                "board": "/tmp/a board/kanban.db",
                "dispatch_in_gateway": True,
                "candidate": False,
                "max_workers": 16,
                "claim_ttl_ms": 2000,
                "heartbeat_ms": 500,
                "sweep_ms": 1000,
                "worker": {"min_ms": 50, "max_ms": 400, "fail_rate": 0.05},
            }
            profiles = os.path.join(REPO, "packages", "kanban", "dist", "src", "fleet", "profiles.js")
            node(
                f"require({json.dumps(profiles)}).writeProfile({json.dumps(home)}, 'py-gw', {json.dumps(section)})"
            )
            with open(os.path.join(home, "py-gw", "config.yaml"), encoding="utf-8") as file:
                self.assertEqual(parse_yaml(file.read()), {"kanban": section})
            config = load_config(os.path.join(home, "py-gw"))
            self.assertEqual(config.profile, "py-gw")
            self.assertEqual(config.board, "/tmp/a board/kanban.db")
            self.assertEqual((config.dispatch_in_gateway, config.candidate, config.max_workers), (True, False, 16))
            self.assertEqual((config.work_min_ms, config.work_max_ms, config.fail_rate), (50, 400, 0.05))
        finally:
            shutil.rmtree(home, ignore_errors=True)


class BoardOnItsOwnStore(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="baton-kanban-board-py-")
        self.store = open_store(os.path.join(self.dir, "kanban.db"), name="board-test", migrations=KANBAN_MIGRATIONS)
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.addCleanup(self.store.close)
        self.board = Board(self.store, "architect")

    def kinds(self, task_id: str) -> list[str]:
        rows = self.store.execute("SELECT kind FROM task_events WHERE task_id = ? ORDER BY id", [task_id]).rows
        return [row["kind"] for row in rows]

    def test_a_complete_or_a_fail_repeated_within_the_same_millisecond_records_no_second_event(self) -> None:
        # One millisecond for the whole test: an event insert must not tell its own call from the
        # earlier one by the time alone.
        with mock.patch.object(board_module, "_now", return_value=1_800_000_000_000):
            done, _ = self.board.create("completed twice")
            completing = self.board.claim()
            assert completing is not None
            self.board.complete(completing.run_id, None)
            with self.assertRaises(ClaimLost):
                self.board.complete(completing.run_id, None)
            self.assertEqual(self.kinds(done), ["created", "claimed", "completed"])

            blocked, _ = self.board.create("failed twice")
            failing = self.board.claim()
            assert failing is not None
            self.assertEqual(self.board.fail(failing.run_id, "boom", max_failures=1), "blocked")
            with self.assertRaises(ClaimLost):
                self.board.fail(failing.run_id, "boom again", max_failures=1)
            self.assertEqual(self.kinds(blocked), ["created", "claimed", "failed", "blocked"])


if __name__ == "__main__":
    unittest.main()
