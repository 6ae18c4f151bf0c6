/** Every case, in the order they run: sign-in and revocation steps depend on the ones before them. */
import type { ProbeCase } from '../probe-case.ts';
import { framingCases } from './framing.ts';
import { hostCases } from './hosts.ts';
import { hygieneCases } from './hygiene.ts';
import { logCases } from './log.ts';
import { registrationCases } from './registration.ts';
import { reservedCases } from './reserved.ts';
import { signInFlowCases } from './sign-in-flow.ts';
import { signInGuardCases } from './sign-in-guards.ts';
import { upgradeCases } from './upgrades.ts';

export const ALL_CASES: ProbeCase[] = [
  ...framingCases,
  ...hostCases,
  ...hygieneCases,
  ...upgradeCases,
  ...reservedCases,
  ...signInGuardCases,
  ...signInFlowCases,
  ...registrationCases,
  ...logCases,
];
