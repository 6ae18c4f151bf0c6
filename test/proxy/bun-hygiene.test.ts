import { hygieneSuite } from './hygiene-suite.ts';

hygieneSuite('bun');
