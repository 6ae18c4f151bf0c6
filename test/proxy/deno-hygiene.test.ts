import { hygieneSuite } from './hygiene-suite.ts';

hygieneSuite('deno');
