import { observabilitySuite } from './observability-suite.ts';

observabilitySuite('node');
