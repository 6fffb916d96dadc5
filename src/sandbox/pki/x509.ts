// The one place @peculiar/x509 is loaded: the Reflect shim must run first, and the
// library needs Node's WebCrypto as its provider.
import './reflect-shim.js';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
