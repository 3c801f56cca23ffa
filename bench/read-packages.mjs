// One process reading a Packages index with the project's deb822 reader, the fields a diff
// needs; bench/deb822.mjs times it against grep-dctrl.
import { createReadStream } from 'node:fs';
import { readParagraphs } from '../dist/deb822/reader.js';

const fields = new Set(['Package', 'Version', 'Architecture', 'SHA256']);
let paragraphs = 0;
for await (const p of readParagraphs(createReadStream(process.argv[2]), { fields })) if (p.has('Package')) paragraphs++;
if (process.argv[3] === '--print') console.log(paragraphs, `${Math.round(process.memoryUsage().rss / 1e6)} MB RSS`);
