'use strict';
// The "compile" step: copies the sources to dist/ without comments, and
// refuses to build when a test file would end up in the output.
const fs = require('node:fs');
const path = require('node:path');

const src = path.join(__dirname, '..', 'src');
const dist = path.join(__dirname, '..', 'dist');
fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(dist, { recursive: true });
for (const file of fs.readdirSync(src)) {
  if (/\.test\.js$/.test(file)) throw new Error(`test file in src: ${file}`);
  const text = fs.readFileSync(path.join(src, file), 'utf8');
  const stripped = text.replace(/^\s*\/\/.*$/gm, '').replace(/\/\*\*[\s\S]*?\*\//g, '');
  fs.writeFileSync(path.join(dist, file), stripped);
}
console.log(`built ${fs.readdirSync(dist).length} files into dist/`);
