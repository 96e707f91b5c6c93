/** The typed events of a `Store`, and what they carry. */

import type { StoreError } from '../errors';

/** What this member is: hosting the leader, forwarding to it, looking for it, or closed. */
export type StoreRole = 'leader' | 'follower' | 'electing' | 'closed';

/** Emitted when this member reaches a new leader after losing the previous one. */
export interface FailoverEvent {
  /** The pid of the leader that was lost. */
  fromPid: number;
  /** The pid of the new leader. */
  toPid: number;
  /** The new leader's epoch. */
  epoch: number;
  /** Milliseconds from noticing the loss to being welcomed by the new leader. */
  ms: number;
}

/** A notification published with `notify()` by any member. */
export interface NotifyEvent {
  channel: string;
  payload: unknown;
}

/** The typed events of a `Store`. */
export interface StoreEvents {
  /** The role changed (`electing` when the leader is lost, `leader`/`follower` once connected, `closed`). */
  role: (role: StoreRole) => void;
  /** This member reached a new leader after losing one. */
  failover: (event: FailoverEvent) => void;
  /** A member published a notification; delivered after the commit it followed. */
  notify: (event: NotifyEvent) => void;
  /** A background failure (the hosted engine failed or stepped down), or the warning that the files are more open than `fileMode` (`PERMISSIONS_TOO_OPEN`); request failures reject their promise instead. */
  error: (error: StoreError) => void;
}
