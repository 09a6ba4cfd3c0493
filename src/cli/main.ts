/** Entry point of the `backpain-cds` command (bin/backpain-cds.js runs the built copy of this file). */
import { processIo } from './io.js';
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2), processIo);
