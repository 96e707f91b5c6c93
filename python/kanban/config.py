"""A profile's gateway settings from ``<home>/config.yaml`` (the ``kanban:`` section), with the
defaults of packages/kanban/src/gateway/config.ts. Standard library only, so this reads the YAML
subset those files use: nested mappings of scalars (booleans, numbers, strings, null)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Optional


class ConfigError(Exception):
    """The config file is not what a gateway can run with."""


@dataclass
class GatewayConfig:
    profile: str
    home: str
    enabled: bool
    board: Optional[str]
    dispatch_in_gateway: bool
    candidate: bool
    max_workers: int
    claim_ttl_ms: int
    heartbeat_ms: int
    sweep_ms: int
    work_min_ms: int
    work_max_ms: int
    fail_rate: float


def parse_yaml(text: str) -> dict[str, Any]:
    """Nested block mappings of scalars, indented by spaces."""
    root: dict[str, Any] = {}
    stack: list[tuple[int, dict[str, Any]]] = [(-1, root)]
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        key, sep, value = line.strip().partition(":")
        if not sep:
            raise ConfigError(f"line {number}: expected 'key: value'")
        while indent <= stack[-1][0]:
            stack.pop()
        mapping = stack[-1][1]
        if value.strip() == "":
            child: dict[str, Any] = {}
            mapping[key.strip()] = child
            stack.append((indent, child))
        else:
            mapping[key.strip()] = _scalar(value.strip())
    return root


def _scalar(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    if text in ("null", "~"):
        return None
    if text.startswith('"'):
        return json.loads(text)
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def load_config(home: str) -> GatewayConfig:
    """Reads ``<home>/config.yaml``; defaults as the Node gateway's."""
    file = os.path.join(home, "config.yaml")
    with open(file, encoding="utf-8") as handle:
        kanban = parse_yaml(handle.read()).get("kanban") or {}
    worker = kanban.get("worker") or {}
    claim_ttl = int(kanban.get("claim_ttl_ms", 30_000))
    min_ms = int(worker.get("min_ms", 200))
    board = kanban.get("board")
    return GatewayConfig(
        profile=os.path.basename(os.path.abspath(home)),
        home=os.path.abspath(home),
        enabled=bool(kanban.get("enabled", True)),
        board=os.path.join(os.path.abspath(home), board) if isinstance(board, str) else None,
        dispatch_in_gateway=bool(kanban.get("dispatch_in_gateway", False)),
        candidate=bool(kanban.get("candidate", True)),
        max_workers=int(kanban.get("max_workers", 4)),
        claim_ttl_ms=claim_ttl,
        heartbeat_ms=int(kanban.get("heartbeat_ms", max(50, claim_ttl // 3))),
        sweep_ms=int(kanban.get("sweep_ms", 10_000)),
        work_min_ms=min_ms,
        work_max_ms=int(worker.get("max_ms", max(min_ms, 2000))),
        fail_rate=float(worker.get("fail_rate", 0)),
    )
