// A plain static file server on 127.0.0.1 for the benchmarks (its own process, so the timed
// commands share no event loop with it): serves DIR, answers a directory path with 200, prints
// its port on stdout.   node bench/static-server.mjs DIR
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';

const root = process.argv[2];
const server = createServer((req, res) => {
  const path = join(root, normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)));
  let st;
  try {
    st = statSync(path);
  } catch {
    res.writeHead(404).end();
    return;
  }
  if (st.isDirectory()) {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
    return;
  }
  res.writeHead(200, { 'content-length': st.size, 'content-type': 'application/octet-stream' });
  if (req.method === 'HEAD') res.end();
  else createReadStream(path, { highWaterMark: 1 << 20 }).pipe(res);
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
