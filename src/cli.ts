#!/usr/bin/env node
/**
 * The entry point. It starts the reading worker of a large capture first (see prewarm.ts), so the
 * worker boots while the program's modules load, then runs the program.
 */
import { prewarmPipe } from './analysis/prewarm.js';

prewarmPipe(process.argv.slice(2));
await import('./program.js');
