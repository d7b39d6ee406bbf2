'use strict';
const http = require('node:http');
const { quote } = require('./quote');

const port = Number(process.env.PORT ?? 8080);

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
    return;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/quote') {
    const amount = Number(url.searchParams.get('amount') ?? '0');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(quote(amount)));
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
});

if (require.main === module) {
  server.listen(port, () => console.log(`user-portal sample listening on ${port}`));
}

module.exports = { server };
