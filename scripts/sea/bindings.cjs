// Stands in for the `bindings` package in the standalone master (scripts/build-master.mjs):
// better-sqlite3 asks it for better_sqlite3.node, which sits beside the executable there (a single
// executable cannot hold a native module, and its own require loads only built-in modules).
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');

module.exports = function bindings(name) {
  const file = join(dirname(process.execPath), name.endsWith('.node') ? name : `${name}.node`);
  return createRequire(process.execPath)(file);
};
