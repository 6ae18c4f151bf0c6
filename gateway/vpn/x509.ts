/**
 * The one place that loads @peculiar/x509: its decorators need reflect-metadata first, and it signs
 * with whatever WebCrypto provider is registered (the runtime's own, identical on Node, Deno and Bun).
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(globalThis.crypto);

export { x509 };
