"""Every number the protocol fixes, in one place, so that a protocol bump is one edit here.

Mirrors packages/store/src/protocol/messages.ts, framing.ts and validate.ts.
"""

#: The protocol version a hello carries and a welcome answers (messages.ts PROTOCOL_VERSION).
PROTOCOL_VERSION = 3

#: The Baton version this package implements; reported in the leader record and in status.
VERSION = "0.1.0"

#: The language a Python member reports in its hello and a Python leader in its status.
LANGUAGE = "python"

#: The largest frame payload accepted by default (16 MiB).
DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024

#: Room left for the ``res`` around a write's result (write-job.ts).
RESPONSE_ENVELOPE_BYTES = 64

#: The most statements one batch may carry.
MAX_BATCH_STATEMENTS = 10_000

#: Writes taken into one group commit.
MAX_GROUP_WRITES = 512

#: How long an applied request's record is kept (ms); also the cap on a member's request timeout.
APPLIED_RETENTION_MS = 10 * 60 * 1000

#: Records of a member are forgotten in batches once its ``low`` advanced this far.
APPLIED_FORGET_STEP = 64

#: The longest an interactive transaction may hold the writer (ms), whatever a member asks.
MAX_TRANSACTION_MS = 60 * 1000

#: A member's default interactive transaction timeout (ms).
DEFAULT_TRANSACTION_TIMEOUT_MS = 5000

#: How often a leader checks its database path and socket file (s).
LEADER_CHECK_INTERVAL_S = 0.5

#: How long after the last group commit an idle leader checkpoints the WAL (s).
IDLE_CHECKPOINT_S = 0.25

#: Outgoing bytes buffered for one member before the leader drops it.
MAX_OUTGOING_BYTES = 64 * 1024 * 1024

#: How long a member waits for a welcome before connecting again (s).
WELCOME_TIMEOUT_S = 1.0

#: Reconnect backoff: first wait and cap (s); each wait is multiplied by a factor in [0.5, 1.5).
BACKOFF_FIRST_S = 0.001
BACKOFF_MAX_S = 0.05

#: Failovers reported in status.
STATUS_FAILOVERS = 10
