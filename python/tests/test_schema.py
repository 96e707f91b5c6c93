"""Baton's own tables as the Python leader creates them, against the Node leader's text: a
leader of either language must find a file the other made in the shape it makes, and upgrade a
version 2 record table the same way (python/baton/schema.py says a schema change is one edit
there; this keeps the two languages' edits together)."""

from __future__ import annotations

import json
import os
import subprocess
import unittest

from baton.schema import BATON_SCHEMA, UPGRADE_APPLIED_FROM_V2

from .support import NODE, REPO


class BatonSchema(unittest.TestCase):
    def test_the_tables_and_their_upgrade_are_the_node_leaders(self) -> None:
        module = os.path.join(REPO, "packages", "store", "dist", "src", "leader", "baton-schema.js")
        script = (
            f"const m = require({json.dumps(module)});"
            "console.log(JSON.stringify([m.BATON_SCHEMA, m.UPGRADE_APPLIED_FROM_V2]))"
        )
        output = subprocess.run([NODE, "-e", script], cwd=REPO, check=True, capture_output=True, text=True).stdout
        self.assertEqual(json.loads(output), [BATON_SCHEMA, UPGRADE_APPLIED_FROM_V2])


if __name__ == "__main__":
    unittest.main()
