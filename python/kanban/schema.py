"""The board's schema: the same migrations, version for version and character for character, as
packages/kanban/src/schema.ts (a version applied with other SQL is refused with SCHEMA_CONFLICT)."""

V1 = """
CREATE TABLE tasks (
  id TEXT PRIMARY KEY CHECK (id GLOB 't_[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
  title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
  body TEXT NOT NULL DEFAULT '',
  assignee TEXT,
  status TEXT NOT NULL CHECK (status IN ('triage','todo','ready','running','blocked','review','done','archived')),
  priority INTEGER NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  completed_at INTEGER,
  claim_lock TEXT,
  claim_expires INTEGER,
  idempotency_key TEXT UNIQUE,
  result TEXT,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  worker_pid INTEGER,
  last_heartbeat_at INTEGER,
  current_run_id TEXT,
  CHECK ((status = 'running') = (claim_lock IS NOT NULL))
);
CREATE INDEX tasks_by_status ON tasks (status, priority DESC, created_at);
CREATE INDEX tasks_by_claim ON tasks (claim_lock) WHERE claim_lock IS NOT NULL;

CREATE TABLE task_links (
  parent TEXT NOT NULL REFERENCES tasks (id),
  child TEXT NOT NULL REFERENCES tasks (id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (parent, child),
  CHECK (parent <> child)
) WITHOUT ROWID;
CREATE INDEX task_links_by_child ON task_links (child, parent);

CREATE TABLE task_comments (
  id INTEGER PRIMARY KEY,
  task_id TEXT NOT NULL REFERENCES tasks (id),
  author TEXT NOT NULL,
  body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
  created_at INTEGER NOT NULL
);
CREATE INDEX task_comments_by_task ON task_comments (task_id, id);

CREATE TABLE task_events (
  id INTEGER PRIMARY KEY,
  task_id TEXT NOT NULL REFERENCES tasks (id),
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  run_id TEXT,
  data TEXT,
  at INTEGER NOT NULL
);
CREATE INDEX task_events_by_task ON task_events (task_id, id);
CREATE INDEX task_events_by_run ON task_events (run_id) WHERE run_id IS NOT NULL;
CREATE TRIGGER task_events_no_update BEFORE UPDATE ON task_events BEGIN SELECT RAISE(ABORT, 'task_events is append-only'); END;
CREATE TRIGGER task_events_no_delete BEFORE DELETE ON task_events BEGIN SELECT RAISE(ABORT, 'task_events is append-only'); END;

CREATE TABLE task_runs (
  id TEXT PRIMARY KEY,
  task_id TEXT NOT NULL REFERENCES tasks (id),
  profile TEXT NOT NULL,
  worker_pid INTEGER,
  status TEXT NOT NULL CHECK (status IN ('running','completed','failed','released')),
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  outcome TEXT,
  error TEXT
);
CREATE INDEX task_runs_by_task ON task_runs (task_id, started_at);

CREATE TABLE notify_subs (
  subscriber TEXT PRIMARY KEY,
  task_id TEXT REFERENCES tasks (id),
  cursor INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
"""

#: The kanban migrations, in version order, as `open_store` takes them.
KANBAN_MIGRATIONS = [(1, V1)]
