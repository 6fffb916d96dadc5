import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sandboxFaultCommand } from '../../../src/cli/commands/sandbox-fault.js';
import { CliError, EXIT } from '../../../src/cli/exit-codes.js';
import { FaultSet, startFaultAdmin, type FaultAdmin } from '../../../src/sandbox/faults/index.js';
import { writeSandboxState, type SandboxState } from '../../../src/sandbox/state.js';

/** Runs `fault ...` as the CLI would; returns what it printed, or the CliError it threw. */
async function run(args: string[]): Promise<{ printed: string; error?: CliError }> {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await yargs(args).command(sandboxFaultCommand).strict().exitProcess(false)
      .fail((msg, err) => {
        throw err ?? new CliError(msg, EXIT.invalidInput);
      })
      .parseAsync();
    return { printed: lines.join('') };
  } catch (err) {
    if (err instanceof CliError) return { printed: lines.join(''), error: err };
    throw err;
  } finally {
    write.mockRestore();
  }
}

describe('lakeprobe sandbox fault', () => {
  let dir: string;
  let emptyDir: string;
  let faults: FaultSet;
  let admin: FaultAdmin;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-fault-cli-'));
    emptyDir = await mkdtemp(join(tmpdir(), 'lakeprobe-fault-cli-'));
    faults = new FaultSet({ rses: ['SANDBOX-FAST', 'SANDBOX-SAFE'] });
    admin = await startFaultAdmin(faults, { dir });
    const state: SandboxState = {
      pid: process.pid, startedAt: new Date().toISOString(), rucioUrl: 'https://127.0.0.1:1', issuer: 'https://localhost:1',
      caCertPath: join(dir, 'ca.pem'), storage: 'builtin', rses: [], env: {}, faultAdminUrl: admin.url, faultSecretFile: admin.secretFile,
    };
    await writeSandboxState(dir, state);
  });
  afterAll(async () => {
    await admin.close();
    await rm(dir, { recursive: true, force: true });
    await rm(emptyDir, { recursive: true, force: true });
  });

  it('adds a fault from the options and prints its id', async () => {
    const { printed, error } = await run(['fault', 'add', 'error_rate', '--rse', 'SANDBOX-FAST', '--operation', 'PUT', '--rate', '0.5', '--dir', dir]);
    expect(error).toBeUndefined();
    expect(printed).toMatch(/^added f\d+ {2}error_rate rse=SANDBOX-FAST operation=PUT rate=0.5 status=500\n$/);
    expect(faults.list()).toHaveLength(1);
  });

  it("slows one auth method's login with --login", async () => {
    const { printed, error } = await run(['fault', 'add', 'auth_slow', '--delay-ms', '5000', '--login', 'token', '--dir', dir]);
    expect(error).toBeUndefined();
    expect(printed).toMatch(/^added (f\d+) {2}auth_slow delayMs=5000 login=token\n$/);
    expect(faults.catalogueFault('/auth/validate')).toEqual({ delayMs: 5000 });
    expect(faults.catalogueFault('/auth/x509')).toBeUndefined();
    faults.remove(faults.list().at(-1)?.id as string);
  });

  it('lists, removes by --id, and clears', async () => {
    await run(['fault', 'add', 'catalogue_timeout', '--delay-ms', '2000', '--dir', dir]);
    const [first, second] = faults.list();
    const listed = await run(['fault', 'list', '--dir', dir]);
    expect(listed.printed).toBe(`${first?.id}  error_rate rse=SANDBOX-FAST operation=PUT rate=0.5 status=500\n${second?.id}  catalogue_timeout delayMs=2000 rate=1\n`);
    expect((await run(['fault', 'remove', '--id', String(first?.id), '--dir', dir])).printed).toBe(`removed ${first?.id}\n`);
    expect((await run(['fault', 'clear', '--dir', dir])).printed).toBe('removed 1 fault\n');
    expect((await run(['fault', 'list', '--dir', dir])).printed).toBe('no faults active\n');
  });

  it('names the options at fault, with exit code 2', async () => {
    const missing = await run(['fault', 'add', 'auth_slow', '--dir', dir]);
    expect(missing.error?.exitCode).toBe(EXIT.invalidInput);
    expect(missing.error?.message).toBe('--delay-ms: required');
    const unknownRse = await run(['fault', 'add', 'rse_down', '--rse', 'NOWHERE', '--dir', dir]);
    expect(unknownRse.error?.message).toMatch(/^--rse: unknown RSE "NOWHERE"/);
    const extra = await run(['fault', 'add', 'auth_fail', '--rse', 'SANDBOX-FAST', '--dir', dir]);
    expect(extra.error?.message).toBe('--rse: not a field of this fault kind');
    const unknownId = await run(['fault', 'remove', '--id', 'f404', '--dir', dir]);
    expect(unknownId.error).toMatchObject({ exitCode: EXIT.invalidInput, message: 'no fault with id "f404"' });
    expect(faults.list()).toEqual([]);
  });

  it('says so when no sandbox runs in the folder, with exit code 3', async () => {
    const { error } = await run(['fault', 'list', '--dir', emptyDir]);
    expect(error?.exitCode).toBe(EXIT.setupFailed);
    expect(error?.message).toMatch(/no sandbox running/);
  });
});

describe('lakeprobe sandbox fault on an XRootD sandbox', () => {
  let dir: string;
  let faults: FaultSet;
  let admin: FaultAdmin;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-fault-cli-xrootd-'));
    faults = new FaultSet({ rses: ['SANDBOX-FAST'], storage: 'xrootd' });
    admin = await startFaultAdmin(faults, { dir });
    await writeSandboxState(dir, {
      pid: process.pid, startedAt: new Date().toISOString(), rucioUrl: 'https://127.0.0.1:1', issuer: 'https://localhost:1',
      caCertPath: join(dir, 'ca.pem'), storage: 'xrootd', rses: [], env: {}, faultAdminUrl: admin.url, faultSecretFile: admin.secretFile,
    } as SandboxState);
  });
  afterAll(async () => {
    await admin.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses the faults XRootD RSEs cannot apply, saying why, with exit code 2, and adds nothing', async () => {
    for (const args of [['error_rate', '--rse', 'SANDBOX-FAST', '--rate', '1'], ['checksum_missing', '--rse', 'SANDBOX-FAST']]) {
      const { printed, error } = await run(['fault', 'add', ...args, '--dir', dir]);
      expect(printed).toBe('');
      expect(error?.exitCode).toBe(EXIT.invalidInput);
      expect(error?.message).toBe(`kind: ${args[0]} acts inside lakeprobe's builtin storage, and this sandbox's RSEs are XRootD servers, `
        + 'whose answers it cannot change request by request (start the sandbox with --storage builtin for this fault)');
    }
    expect(faults.list()).toEqual([]);
    const { error } = await run(['fault', 'add', 'rse_down', '--rse', 'SANDBOX-FAST', '--dir', dir]);
    expect(error).toBeUndefined();
    expect(faults.list().map((f) => f.spec.kind)).toEqual(['rse_down']);
  });
});
