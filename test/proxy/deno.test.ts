import { proxySuite } from './proxy-suite.ts';

proxySuite('deno');
