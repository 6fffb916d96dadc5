// Prints how long redact() takes on 1 MB strings without whitespace, the input that made
// the earlier patterns quadratic (40 kB took about a second, 1 MB would take minutes).
// Run: npm run bench:redact
import { redact } from '../src/engine/redact.js';

const MB = 1_000_000;
const units = ['x', 'a-', 'a.', 'eyJ-', 'a:', '0123456789abcdef', 'https://', 'root-a-0123456789abcdef0123456789abcdef-'];
for (const unit of units) {
  const text = unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
  const started = performance.now();
  redact(text);
  const ms = performance.now() - started;
  console.log(`redact 1 MB of ${JSON.stringify(unit)}…: ${ms.toFixed(1)} ms`);
}
