// The HTML report opened in a real headless Chromium: it renders, its charts are there, the
// console stays clean, and nothing is fetched from the network.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportJob } from '../../src/jobs/report.js';
import { knownStore } from './known-store.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOT = resolve('reports/screenshots/challenge-report.png');

let dir: string;
let browser: Browser;
let html: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lakeprobe-html-'));
  const store = knownStore(join(dir, 'r.db'));
  try {
    const { written } = await reportJob({ store, outDir: join(dir, 'reports'), runs: ['run-1'], slotSeconds: 300, formats: ['html'] });
    html = written!.experiments[0]!.html;
  } finally {
    store.close();
  }
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('HTML report in headless Chromium', () => {
  it('renders with its charts and tables, without console errors or network requests, and leaves a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });

    expect(await page.title()).toBe('SKA — challenge report');
    expect(await page.locator('h1').textContent()).toBe('SKA — challenge report');
    expect(await page.locator('.verdict').textContent()).toBe('Partially');
    // Success over time, availability per RSE, throughput per link, per link and size, time to replicate.
    expect(await page.locator('svg.chart').count()).toBe(5);
    expect(await page.locator('svg.chart circle').count()).toBe(7);
    expect(await page.locator('svg.chart rect').count()).toBe(3 + 2 + 3 + 2);
    const box = await page.locator('svg.chart').first().boundingBox();
    expect(box?.width).toBeGreaterThan(300);
    expect(await page.locator('h2', { hasText: 'Why things failed' }).count()).toBe(1);
    expect(await page.locator('td', { hasText: 'auth failed (auth_invalid)' }).count()).toBe(2);
    expect(await page.locator('li .sev-critical').count()).toBe(1);
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);

    mkdirSync(resolve('reports/screenshots'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    // Printed, it still has the content (print media applied).
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('svg.chart').count()).toBe(5);
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    await page.close();
  }, 60_000);

  it('has a summary page whose links lead to each experiment\'s page', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    await page.goto(pathToFileURL(join(html, '..', 'summary.html')).href, { waitUntil: 'load' });
    expect(await page.locator('tbody tr').count()).toBe(4);
    expect(await page.locator('svg.chart').count()).toBe(1);
    await page.locator('a', { hasText: 'SKA' }).first().click();
    await page.waitForURL(/SKA\.html$/);
    expect(await page.locator('h1').textContent()).toBe('SKA — challenge report');
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
