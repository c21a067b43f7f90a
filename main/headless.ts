// Entry point of the headless master (`fleetdeck master`, `npm run master`).
import { runCli } from './server/cli.js';

void runCli(process.argv.slice(2));
