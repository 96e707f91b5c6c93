/**
 * Warnings a member finds while it starts leading (a database others can read, the WAL of a
 * replaced file moved aside): said on the 'error' channel, and never before `openStore` has
 * resolved (a program attaches its listeners to the store `openStore` returns, and an
 * eventemitter3 'error' nobody listens to is lost).
 */
import { StoreError } from '../errors';
import { exposedFiles, exposedFilesMessage } from '../file-modes';
import type { StorePaths } from '../paths';

/** Says a leader's warnings once the store is open. */
export class LeaderWarnings {
  private permissionsSaid = false;
  private open = false;
  private readonly pending: StoreError[] = [];

  /**
   * @param paths - the store's files
   * @param fileMode - what they may grant
   * @param emit - emits a warning as an 'error' event of the store
   */
  constructor(
    private readonly paths: StorePaths,
    private readonly fileMode: number,
    private readonly emit: (warning: StoreError) => void,
  ) {}

  /** Call when this member starts leading: warns, once per store, if the files grant more than `fileMode`. */
  checkPermissions(): void {
    if (this.permissionsSaid) return;
    const exposed = exposedFiles(this.paths, this.fileMode);
    if (exposed.length === 0) return;
    this.permissionsSaid = true;
    this.say(new StoreError('PERMISSIONS_TOO_OPEN', exposedFilesMessage(exposed, this.fileMode)));
  }

  /** Says `warning` now if the store is open, else once it is. */
  say(warning: StoreError): void {
    this.pending.push(warning);
    if (this.open) this.flush();
  }

  /** Call once `openStore` has resolved: warnings found while opening are said now. */
  opened(): void {
    this.open = true;
    if (this.pending.length > 0) this.flush();
  }

  /** Emits on a later turn of the event loop than the one `openStore`'s caller resumes in. */
  private flush(): void {
    const warnings = this.pending.splice(0);
    setImmediate(() => warnings.forEach((warning) => this.emit(warning)));
  }
}
