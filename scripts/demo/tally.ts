/** Everything the gateways of the demo reported, aggregated as it arrives. */
import type { GatewayReport } from '@baton/kanban';

/** The demo's running totals, fed by every gateway's reports. */
export class Tally {
  readonly acked = new Set<string>();
  readonly ackedBy = new Map<string, number>();
  readonly completions: string[] = [];
  readonly claims: { latencyMs: number; direct: boolean }[] = [];
  /** Waiting for a claim of these tasks (the latency probes). */
  readonly claimWaiters = new Map<string, (latencyMs: number) => void>();
  /** The latency of each task's first claim. */
  readonly firstClaim = new Map<string, number>();
  readonly createFailures: string[] = [];
  readonly errors: string[] = [];
  failedWork = 0;
  lost = 0;
  released = 0;

  /** Counts one report of gateway `profile`. */
  record(profile: string, report: GatewayReport): void {
    switch (report.ev) {
      case 'created':
        this.acked.add(report.taskId);
        this.ackedBy.set(profile, (this.ackedBy.get(profile) ?? 0) + 1);
        break;
      case 'createFailed':
        this.createFailures.push(`${profile}: ${report.code} ${report.message}`);
        break;
      case 'claimed':
        this.claims.push({ latencyMs: report.latencyMs, direct: report.direct });
        if (!this.firstClaim.has(report.taskId)) this.firstClaim.set(report.taskId, report.latencyMs);
        this.claimWaiters.get(report.taskId)?.(report.latencyMs);
        this.claimWaiters.delete(report.taskId);
        break;
      case 'completed':
        this.completions.push(report.taskId);
        break;
      case 'failed':
        this.failedWork++;
        break;
      case 'lost':
        this.lost++;
        break;
      case 'released':
        this.released += report.taskIds.length;
        break;
      case 'error':
        if (report.code !== 'EXITED') this.errors.push(`${profile}: ${report.code} ${report.message}`);
        break;
      default:
        break;
    }
  }
}
