/** Messages between a member's main thread and the leader worker it hosts. */

/** What the worker is started with. */
export interface WorkerInput {
  databasePath: string;
  socketPath: string;
  recordPath: string;
  synchronous: 'full' | 'normal';
  name: string;
  pid: number;
  version: string;
  maxFrameBytes: number;
  electionStartedAt: number;
}

/** Main thread to worker. */
export type ToWorker = { t: 'stop'; reason: string; graceful: boolean };

/** Worker to main thread. */
export type FromWorker =
  | { t: 'ready'; epoch: number }
  | { t: 'failed'; code: string; message: string }
  | { t: 'stopped'; reason: string; graceful: boolean };
