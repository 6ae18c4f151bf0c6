#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, resolved from the project's node_modules.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
