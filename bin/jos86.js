#!/usr/bin/env node
// Launcher for `npx jos86`: runs the TypeScript entry point src/cli/main.ts
// in this process through tsx's ESM loader, so exit status, signals and the
// terminal behave as if the CLI were plain JavaScript.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/cli/main.ts', import.meta.url).href);
