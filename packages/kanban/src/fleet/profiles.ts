/** Profile homes for a gateway fleet: `<root>/<profile>/config.yaml`, as the platform lays them out. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';

/** The `kanban:` keys of a profile's config.yaml, as written to the file. */
export type KanbanSection = Record<string, unknown>;

/**
 * Writes `<root>/<profile>/config.yaml` with `kanban` as its `kanban:` section.
 * @returns the profile home
 */
export function writeProfile(root: string, profile: string, kanban: KanbanSection): string {
  const home = path.join(root, profile);
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(home, 'config.yaml'), stringify({ kanban }));
  return home;
}
