/**
 * Takes status reports, for one `baton status` or for every tick of `baton watch`. It keeps
 * one observer connection open between reports (a non-candidate member: it never leads), which
 * follows failovers by itself; when the leader does not answer within the timeout, the report
 * says why from the kernel's view instead.
 */
import { DEFAULT_FILE_MODE, openStore, type Store, type StorePaths } from '@baton/store';
import { isSilence } from '../connect';
import { explainSilence, probeLeader } from '../probe/leader-probe';
import { reportFromStatus, reportWithoutLeader, type StatusReport } from './status-report';

/** Samples the status of one store. Call `close()` when done. */
export class StatusObserver {
  private store: Store | null = null;

  /**
   * @param paths - the store's paths (see `resolveDatabase`)
   * @param timeoutMs - how long the leader has to answer before it is reported unresponsive
   * @param name - this observer's member name, as other `baton status` calls will see it
   * @param fileMode - the store's `fileMode`: files more open than this are reported
   */
  constructor(
    private readonly paths: StorePaths,
    private readonly timeoutMs: number,
    private readonly name: string,
    private readonly fileMode: number = DEFAULT_FILE_MODE,
  ) {}

  /** One report: the leader's answer, or why there is none. Never throws for a silent leader. */
  async sample(): Promise<StatusReport> {
    try {
      this.store ??= await openStore({
        path: this.paths.database,
        name: this.name,
        candidate: false,
        requestTimeoutMs: this.timeoutMs,
      });
      const status = await this.store.status();
      return reportFromStatus(status, probeLeader(this.paths), this.context());
    } catch (error) {
      if (!isSilence(error)) throw error;
      // An open store that timed out stays open: it reconnects by itself once a leader answers.
      if (this.store?.closed === true) this.store = null;
      const probe = probeLeader(this.paths);
      return reportWithoutLeader(probe, explainSilence(probe, this.timeoutMs), this.context());
    }
  }

  /** Closes the observer connection, if any. Idempotent. */
  async close(): Promise<void> {
    const store = this.store;
    this.store = null;
    await store?.close();
  }

  private context() {
    return { paths: this.paths, selfPid: process.pid, now: Date.now(), fileMode: this.fileMode };
  }
}
