#!/usr/bin/env node
// The `callctl` executable npm links into node_modules/.bin. The CLI is TypeScript compiled by `tsc -b`;
// before a build there is nothing to run, so say what to do instead of printing a module stack trace.
const { join } = require('node:path');
const { existsSync } = require('node:fs');

const main = join(__dirname, '..', 'dist', 'src', 'main.js');
if (!existsSync(main)) {
  process.stderr.write(
    'error: callctl is not built yet: run `make build` (or `npx tsc -b libs/callctl-cli`)\n',
  );
  process.exit(1);
}
require(main);
