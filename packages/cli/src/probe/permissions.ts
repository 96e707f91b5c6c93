/**
 * Whether a store's files are closed to other users: the report `baton check` and `baton
 * status` print, made from the store's own test (stat of each file against the deployment's
 * `fileMode`), so the CLI and the leader's warning agree on what is too open.
 */
import { chmodCommand, exposedFiles, formatMode, type ExposedFile, type StorePaths } from '@baton/store';

/** The store's files that grant more than the deployment's file mode, and the command that fixes them. */
export interface PermissionsReport {
  ok: boolean;
  /** The mode the files are meant to have (`--file-mode`), e.g. `0600`. */
  fileMode: string;
  /** Each file that others (or the group, beyond `fileMode`) can read or write, with its mode. */
  exposed: ExposedFile[];
  /** The shell command that closes them, e.g. `chmod 600 /srv/kanban.db`; null when nothing is exposed. */
  fix: string | null;
}

/** Which of the store's files are more open than `fileMode` (a mode such as `0o600`). */
export function permissionsReport(paths: StorePaths, fileMode: number): PermissionsReport {
  const exposed = exposedFiles(paths, fileMode);
  return {
    ok: exposed.length === 0,
    fileMode: formatMode(fileMode),
    exposed,
    fix: exposed.length === 0 ? null : chmodCommand(exposed, fileMode),
  };
}
