import { resourcesSuite } from './resources-suite.ts';

resourcesSuite('bun');
