import { upstreamFaultSuite } from './upstream-suite.ts';

upstreamFaultSuite('bun');
