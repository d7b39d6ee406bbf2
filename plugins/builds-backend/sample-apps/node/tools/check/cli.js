#!/usr/bin/env node
'use strict';
// Fails the build when a source file still has a debugger statement.
const fs = require('node:fs');
const path = require('node:path');

const dir = process.argv[2] ?? 'src';
let bad = 0;
for (const file of fs.readdirSync(dir)) {
  const text = fs.readFileSync(path.join(dir, file), 'utf8');
  if (/\bdebugger\b/.test(text)) {
    console.error(`${file}: debugger statement`);
    bad++;
  }
}
if (bad) process.exit(1);
console.log(`checked ${fs.readdirSync(dir).length} files`);
