#!/usr/bin/env node
// Installed command: runs the built headless master.
import '../out/main/headless.js';
