import { main, tuneProcess } from './main.js';

const argv = process.argv.slice(2);
await tuneProcess(argv);
process.exitCode = await main(argv);
