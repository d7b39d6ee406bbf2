'use strict';
// Fingerprints the assets (name.<hash>.ext) and rewrites index.html to them.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const src = path.join(__dirname, '..', 'src');
const dist = path.join(__dirname, '..', 'dist');
fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(dist, { recursive: true });
let html = fs.readFileSync(path.join(src, 'index.html'), 'utf8');
for (const file of ['style.css', 'rates.js']) {
  const text = fs.readFileSync(path.join(src, file));
  const hash = crypto.createHash('sha256').update(text).digest('hex').slice(0, 10);
  const ext = path.extname(file);
  const name = `${path.basename(file, ext)}.${hash}${ext}`;
  fs.writeFileSync(path.join(dist, name), text);
  html = html.replace(`/${file}`, `/${name}`);
}
fs.writeFileSync(path.join(dist, 'index.html'), html);
console.log(`built ${fs.readdirSync(dist).length} files into dist/`);
