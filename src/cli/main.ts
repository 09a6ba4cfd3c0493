/** Entry point of the `backpain-cds` command (bin/backpain-cds.js runs the built copy of this file). */
import { setClinicalTimeZone } from '../facts/dates.js';
import { processIo } from './io.js';
import { runCli } from './program.js';

// The same calendar days as the service: CLINICAL_TIMEZONE, when set, decides what "today" is.
const zone = process.env.CLINICAL_TIMEZONE;
let zoneOk = true;
if (zone) {
  try {
    setClinicalTimeZone(zone);
  } catch {
    zoneOk = false;
    processIo.err(`CLINICAL_TIMEZONE: "${zone}" is not an IANA time zone name such as Europe/London\n`);
  }
}

process.exitCode = zoneOk ? await runCli(process.argv.slice(2), processIo) : 2;
