"""A Python member in a process of its own, driven over stdin/stdout exactly like the Node
fixture (test/fixtures/node-store.ts): one JSON command per line in, one JSON event per line out."""

from __future__ import annotations

import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from baton import StoreError, open_store  # noqa: E402


def tag(value):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return {"$int": str(value)}
    if isinstance(value, bytes):
        return {"$hex": value.hex()}
    if isinstance(value, (list, tuple)):
        return [tag(v) for v in value]
    if isinstance(value, dict):
        return {k: tag(v) for k, v in value.items()}
    return value


def untag(value):
    if isinstance(value, dict) and "$int" in value:
        return int(value["$int"])
    if isinstance(value, dict) and "$hex" in value:
        return bytes.fromhex(value["$hex"])
    return value


_out = threading.Lock()


def emit(event) -> None:
    with _out:
        sys.stdout.write(json.dumps(tag(event)) + "\n")
        sys.stdout.flush()


def main() -> None:
    options = json.loads(sys.argv[1])
    migrations = [(m["version"], m["sql"]) for m in options.pop("migrations", [])]
    store = open_store(options.pop("path"), migrations=migrations, **options)
    store.on("role", lambda role: emit({"ev": "role", "role": role, "epoch": store.epoch}))
    store.on("notify", lambda channel, payload: emit({"ev": "notify", "channel": channel, "payload": payload}))
    store.on("error", lambda error: emit({"ev": "error", "code": error.code, "message": error.message}))
    emit({"ev": "opened", "role": store.role, "epoch": store.epoch, "pid": os.getpid()})
    looping = threading.Event()

    def loop(prefix: str) -> None:
        i = 0
        while looping.is_set():
            item = f"{prefix}-{i}"
            try:
                store.execute("INSERT INTO rows (id, member) VALUES (?, ?)", [item, store.name])
                emit({"ev": "acked", "id": item})
            except StoreError as error:
                emit({"ev": "failed", "id": item, "code": error.code})
            i += 1
        emit({"ev": "loopDone", "prefix": prefix})

    def settle(ref, work) -> None:
        try:
            emit({"ev": "result", "ref": ref, "ok": work()})
        except StoreError as error:
            emit({"ev": "result", "ref": ref, "code": error.code, "message": error.message})

    for line in sys.stdin:
        command = json.loads(line)
        cmd = command["cmd"]
        ref = command.get("ref")
        if cmd == "exec":

            def run(c=command):
                result = store.execute(c["sql"], [untag(a) for a in c.get("args") or []])
                return {
                    "columns": result.columns,
                    "rows": [list(r) for r in result.rows],
                    "rowsAffected": result.rows_affected,
                    "lastInsertRowid": result.last_insert_rowid,
                }

            threading.Thread(target=settle, args=(ref, run)).start()
        elif cmd == "notify":
            threading.Thread(target=settle, args=(ref, lambda c=command: store.notify(c["channel"], c["payload"]))).start()
        elif cmd == "status":
            threading.Thread(target=settle, args=(ref, store.status)).start()
        elif cmd == "stepDown":
            threading.Thread(target=settle, args=(ref, store.step_down)).start()
        elif cmd == "writeLoop":
            looping.set()
            threading.Thread(target=loop, args=(command["prefix"],)).start()
        elif cmd == "stopLoop":
            looping.clear()
        elif cmd == "close":
            break
    looping.clear()
    store.close()
    emit({"ev": "closed"})


if __name__ == "__main__":
    main()
