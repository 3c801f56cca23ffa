// One process diffing two Packages files with the project's streaming reader (bench/diff.mjs times it).
import { fileChunks } from '../dist/fs/file-chunks.js';
import { diffVersions, versionsOf } from '../dist/update/packages-diff.js';

const [a, b] = await Promise.all([process.argv[2], process.argv[3]].map((f) => versionsOf(fileChunks(f))));
const d = diffVersions(a, b);
if (process.argv[4] === '--print') console.log(`${d.changed.length} changed, ${d.added.length} added, ${d.removed.length} removed; peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
