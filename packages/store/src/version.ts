/** Baton's version, reported in the leader record and in status. Keep in step with package.json. */
export const VERSION = '0.1.0';
