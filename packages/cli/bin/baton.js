#!/usr/bin/env node
// The `baton` executable as npm links it. npm links a package's bins when it installs, and in a
// fresh clone of the repository that happens before anything is built, so the link must point
// at a file that is always there: this one, which runs the build (dist/) or says how to make it.
'use strict';
const path = require('node:path');

const entry = path.join(__dirname, '..', 'dist', 'src', 'bin.js');
try {
  require.resolve(entry);
} catch {
  process.stderr.write(`baton: ${entry} is missing: build the repository first (npm run build)\n`);
  process.exit(1);
}
require(entry);
