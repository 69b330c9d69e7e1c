#!/usr/bin/env node
// Entry point of the `tessera` command; the commands live in cli/ (built to dist/cli/).
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
