// One process reading a Packages index with the project's deb822 reader, the fields a diff
// needs; bench/deb822.mjs times it against grep-dctrl, which reads its file with read(2), as
// fileChunks does.
import { readParagraphBatches } from '../dist/deb822/reader.js';
import { fileChunks } from '../dist/fs/file-chunks.js';

const fields = new Set(['Package', 'Version', 'Architecture', 'SHA256']);
let paragraphs = 0;
for await (const batch of readParagraphBatches(fileChunks(process.argv[2], 256 << 10, { reuse: true }), { fields })) for (const p of batch) if (p.has('Package')) paragraphs++;
if (process.argv[3] === '--print') console.log(paragraphs, `${Math.round(process.memoryUsage().rss / 1e6)} MB RSS`);
