import { observabilitySuite } from './observability-suite.ts';

observabilitySuite('deno');
