/**
 * IPC between a gateway process and the program that forked it (the demo, multi-process
 * tests). Plain JSON-serialisable messages over Node's IPC channel.
 */

/** Commands the parent sends. */
export type GatewayCommand =
  /** Create `count` tasks, one every `intervalMs`, titled `<prefix> #<i>`, with idempotency keys `<profile>/<prefix>/<i>`. */
  | { cmd: 'create'; prefix: string; count: number; intervalMs: number }
  /** Stop creating. */
  | { cmd: 'stopCreating' }
  /** Close gracefully (drain work, hand over the leader) and exit 0. */
  | { cmd: 'close' };

/** Events the gateway reports. */
export type GatewayReport =
  | {
      ev: 'ready';
      pid: number;
      profile: string;
      enabled: boolean;
      dispatch: boolean;
      role: string | null;
      epoch: number;
    }
  | { ev: 'role'; role: string; epoch: number }
  | { ev: 'failover'; fromPid: number; toPid: number; epoch: number; ms: number }
  /** A create was acknowledged by the store (committed). */
  | { ev: 'created'; taskId: string; key: string; ms: number }
  | { ev: 'createFailed'; key: string; code: string; message: string }
  | { ev: 'createDone'; prefix: string; created: number }
  | { ev: 'claimed'; taskId: string; runId: string; latencyMs: number; trigger: string; direct: boolean }
  | { ev: 'completed'; taskId: string; runId: string }
  | { ev: 'failed'; taskId: string; runId: string; blocked: boolean }
  | { ev: 'lost'; taskId: string; runId: string }
  | { ev: 'released'; taskIds: string[] }
  | { ev: 'error'; code: string; message: string }
  | { ev: 'closed' };
