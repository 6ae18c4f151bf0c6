import { observabilitySuite } from './observability-suite.ts';

observabilitySuite('bun');
