/**
 * The leader's warning about a database others can read: checked each time this member starts
 * leading, said once per store, on the 'error' channel, and never before `openStore` has
 * resolved (a program attaches its listeners to the store `openStore` returns, and an
 * eventemitter3 'error' nobody listens to is lost).
 */
import { StoreError } from '../errors';
import { exposedFiles, exposedFilesMessage } from '../file-modes';
import type { StorePaths } from '../paths';

/** Says once that the store's files grant more than its `fileMode`. */
export class PermissionWarning {
  private said = false;
  private open = false;
  private pending: StoreError | null = null;

  /**
   * @param paths - the store's files
   * @param fileMode - what they may grant
   * @param emit - emits the warning as an 'error' event of the store
   */
  constructor(
    private readonly paths: StorePaths,
    private readonly fileMode: number,
    private readonly emit: (warning: StoreError) => void,
  ) {}

  /** Call when this member starts leading: looks at the files, and warns if they are too open. */
  check(): void {
    if (this.said) return;
    const exposed = exposedFiles(this.paths, this.fileMode);
    if (exposed.length === 0) return;
    this.said = true;
    this.pending = new StoreError('PERMISSIONS_TOO_OPEN', exposedFilesMessage(exposed, this.fileMode));
    if (this.open) this.flush();
  }

  /** Call once `openStore` has resolved: a warning found while opening is said now. */
  opened(): void {
    this.open = true;
    if (this.pending !== null) this.flush();
  }

  /** Emits on a later turn of the event loop than the one `openStore`'s caller resumes in. */
  private flush(): void {
    const warning = this.pending!;
    this.pending = null;
    setImmediate(() => this.emit(warning));
  }
}
