/**
 * The election boundary: a member asks for the leader lock without waiting; whoever holds it
 * hosts the leader engine. Two implementations: flock (default) and proper-lockfile (opt-in).
 */

/** A held leader lock. */
export interface LeaderLock {
  /** Releases the lock. Idempotent. */
  release(): void;
  /**
   * False when the lock no longer excludes others: its file was deleted or replaced, so a new
   * member could lock the new file and lead too. The holder must then step down.
   */
  isIntact(): boolean;
}

/** Tries to become the leader. */
export interface Election {
  /**
   * Takes the leader lock if nobody holds it, without blocking.
   * @param onLost - called if the lock is taken away while held (lockfile mode only)
   * @returns the lock, or `null` when another process holds it
   */
  tryAcquire(onLost: (reason: string) => void): Promise<LeaderLock | null>;
}
