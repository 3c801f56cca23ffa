import { main, tuneProcess } from './main.js';

tuneProcess();
process.exitCode = await main(process.argv.slice(2));
