import { edgeSuite } from './edge-suite.ts';

edgeSuite('bun');
