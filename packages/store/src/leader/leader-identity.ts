/** Who this leader is, for status and the welcome. */
export interface LeaderIdentity {
  pid: number;
  name: string;
  socketPath: string;
  startedAt: number;
  version: string;
  databasePath: string;
  maxFrameBytes: number;
  /** Where runaway requests are listed (see runaway-list.ts). */
  runawayPath: string;
}
