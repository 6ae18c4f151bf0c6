import { proxySuite } from './proxy-suite.ts';

proxySuite('bun');
