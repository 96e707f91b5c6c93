"""The codec against msgpackr itself: the bytes Node's reference encoder writes for each value
the protocol carries, encoded by this codec to the same bytes and decoded to the right type."""

from __future__ import annotations

import json
import math
import subprocess
import unittest

from baton import msgpack
from baton.framing import FrameDecoder, encode_frame
from baton.errors import StoreError
from baton.msgpack import Ext, Int64, Num

from .support import NODE, REPO

# JavaScript expressions, each with the Python value that must encode to the same bytes.
SAMPLES: list[tuple[str, object]] = [
    ("null", None),
    ("true", True),
    ("false", False),
    ("0", 0),
    ("1", 1),
    ("127", 127),
    ("128", 128),
    ("-1", -1),
    ("-32", -32),
    ("-33", -33),
    ("300", 300),
    ("-300", -300),
    ("70000", 70000),
    ("-70000", -70000),
    ("2 ** 31", 2**31),
    ("-(2 ** 31)", -(2**31)),
    ("2 ** 32 - 1", 2**32 - 1),
    ("2 ** 40", 2**40),
    ("-(2 ** 40)", -(2**40)),
    ("Date.UTC(2026, 0, 1)", 1767225600000),
    ("1.5", 1.5),
    ("2.0", 2.0),
    ("-0", -0.0),
    ("-1.0", -1.0),
    ("2 ** 32", float(2**32)),
    ("-2.25", -2.25),
    ("2 ** 53", float(2**53)),
    ("Infinity", math.inf),
    ("-Infinity", -math.inf),
    ("1n", Int64(1)),
    ("0n", Int64(0)),
    ("-1n", Int64(-1)),
    ("2n ** 53n + 1n", Int64(2**53 + 1)),
    ("2n ** 63n - 1n", Int64(2**63 - 1)),
    ("-(2n ** 63n)", Int64(-(2**63))),
    ("2n ** 64n - 1n", Int64(2**64 - 1)),
    ("''", ""),
    ("'hi'", "hi"),
    ("'x'.repeat(31)", "x" * 31),
    ("'x'.repeat(32)", "x" * 32),
    ("'é'.repeat(200)", "é" * 200),
    ("'x'.repeat(300)", "x" * 300),
    ("'x'.repeat(70000)", "x" * 70000),
    ("new Uint8Array([1, 2])", b"\x01\x02"),
    ("new Uint8Array(300)", bytes(300)),
    ("new Uint8Array(70000)", bytes(70000)),
    ("[]", []),
    ("[1, 'x', null]", [1, "x", None]),
    ("Array.from({ length: 20 }, (_, i) => i)", list(range(20))),
    ("new Array(70000).fill(0)", [0] * 70000),
    ("({})", {}),
    ("({ t: 'req', id: 1, op: { k: 'ping' } })", {"t": "req", "id": 1, "op": {"k": "ping"}}),
    (
        "({ columns: ['a'], rows: [[1n, 2.5, 'x', null, new Uint8Array([7])]], lastInsertRowid: 3n })",
        {"columns": ["a"], "rows": [[Int64(1), 2.5, "x", None, b"\x07"]], "lastInsertRowid": Int64(3)},
    ),
]

# Values msgpackr writes that this codec only decodes (extensions, JavaScript-only numbers).
DECODE_ONLY = ["undefined", "new Date(0)", "-0", "NaN", "2 ** 53 + 2", "2.0"]
INDEX_OF_1N = next(i for i, (expression, _) in enumerate(SAMPLES) if expression == "1n")


def msgpackr_hex(expressions: list[str]) -> list[str]:
    script = (
        "const { Packr } = require('msgpackr');"
        "const p = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, int64AsType: 'bigint' });"
        f"const values = [{', '.join(expressions)}];"
        "console.log(JSON.stringify(values.map((v) => p.pack(v).toString('hex'))));"
    )
    out = subprocess.run([NODE, "-e", script], cwd=REPO, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


class AgainstMsgpackr(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.encoded = msgpackr_hex([expression for expression, _ in SAMPLES])
        cls.decode_only = msgpackr_hex(DECODE_ONLY)

    def test_encodes_each_value_to_msgpackr_bytes(self) -> None:
        for (expression, value), expected in zip(SAMPLES, self.encoded):
            with self.subTest(expression):
                self.assertEqual(msgpack.pack(value).hex(), expected)

    def test_decodes_msgpackr_bytes_with_the_storage_class(self) -> None:
        for (expression, value), encoded in zip(SAMPLES, self.encoded):
            with self.subTest(expression):
                decoded = msgpack.unpack(bytes.fromhex(encoded))
                self.assertEqual(decoded, value)
        # int64 is an INTEGER (int); a short int format is a REAL where it is a SQL value.
        self.assertIs(type(msgpack.unpack(bytes.fromhex(self.encoded[INDEX_OF_1N]))), int)
        self.assertIs(type(msgpack.unpack(bytes.fromhex(self.encoded[4]))), Num)  # 1
        self.assertIs(type(msgpack.sql_value(msgpack.unpack(bytes.fromhex(self.encoded[4])))), float)

    def test_decodes_what_only_javascript_sends(self) -> None:
        undefined, date, minus_zero, nan, big, two = (msgpack.unpack(bytes.fromhex(h)) for h in self.decode_only)
        self.assertEqual(undefined, Ext(0, b"\x00"))
        self.assertEqual(date, Ext(-1, b"\x00\x00\x00\x00"))
        self.assertEqual((type(minus_zero), minus_zero), (Num, 0))
        self.assertTrue(math.isnan(nan))
        self.assertEqual(big, float(2**53 + 2))
        self.assertEqual(msgpack.sql_value(two), 2.0)
        # Extensions pass through unchanged, as a leader passes a notify payload.
        self.assertEqual(msgpack.pack(date).hex(), self.decode_only[1])

    def test_refuses_what_is_not_exactly_one_value(self) -> None:
        for bad in (b"", b"\x92\x01", b"\xc1", b"\x01\x02", b"\xd9\x05ab"):
            with self.subTest(bad.hex()):
                with self.assertRaises(msgpack.DecodeError):
                    msgpack.unpack(bad)
        with self.assertRaises(OverflowError):
            msgpack.pack(Int64(2**64))
        with self.assertRaises(TypeError):
            msgpack.pack(object())


class Framing(unittest.TestCase):
    def test_split_and_joined_frames(self) -> None:
        frames = encode_frame({"t": "req", "id": 1}) + encode_frame({"t": "req", "id": 2})
        decoder = FrameDecoder()
        payloads = []
        for i in range(len(frames)):
            payloads += decoder.push(frames[i : i + 1])
        self.assertEqual([msgpack.unpack(p)["id"] for p in payloads], [1, 2])
        self.assertEqual(decoder.pending_bytes, 0)
        self.assertEqual(len(FrameDecoder().push(frames)), 2)

    def test_oversized_length_is_refused_before_reading(self) -> None:
        with self.assertRaises(StoreError) as caught:
            FrameDecoder(16).push(b"\xff\xff\xff\xff")
        self.assertEqual(caught.exception.code, "PROTOCOL_ERROR")
        self.assertIn("exceeds the limit of 16", caught.exception.message)

    def test_example_hello_bytes_of_the_protocol_document(self) -> None:
        hello = {
            "t": "hello",
            "v": 3,
            "clientId": "py-1",
            "pid": 4242,
            "name": "worker",
            "candidate": False,
            "migrations": [{"version": 1, "sql": "CREATE TABLE t (v)"}],
        }
        frame = encode_frame(hello)
        self.assertEqual(frame[:4].hex(), "00000069")
        self.assertEqual(frame[4:7].hex(), "de0007")


if __name__ == "__main__":
    unittest.main()
