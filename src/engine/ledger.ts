// The cleanup ledger: everything a run creates is written here before it is
// created and marked done after it is removed, so `lakeprobe cleanup` can
// finish what a crashed run left behind — and never touches anything else.

/** `replica`: a catalogue registration on `rse` (target 'scope:name'), open until a rule or a removal covers it. */
export type LedgerKind = 'storage_file' | 'rule' | 'did' | 'replica';

export interface LedgerEntry {
  id: number;
  runId: string;
  kind: LedgerKind;
  /** RSE for storage files, rules and replicas, '' for DIDs. */
  rse: string;
  /** PFN for storage files, rule id for rules, 'scope:name' for DIDs and replicas. */
  target: string;
  /** Which auth method created it, so cleanup can act as the same identity. */
  authMethod: string;
  createdAt: string;
  state: 'pending' | 'created' | 'done';
  /**
   * Storage files only: the catalogue file ('scope:name') it is, once registered. Absent for data
   * outside the catalogue. While the catalogue lists it on `rse`, the file is Rucio's to delete.
   */
  did?: string;
}

export type NewLedgerEntry = Pick<LedgerEntry, 'runId' | 'kind' | 'rse' | 'target' | 'authMethod' | 'did'>;

export interface CleanupLedger {
  /** Record an intent before creating the object. */
  intend(entry: NewLedgerEntry): number;
  /** The object now exists (e.g. the rule id is known): update the target. */
  created(id: number, target?: string): void;
  /** The object was removed (or handed to a lifetime that removes it). */
  done(id: number): void;
  pending(runId?: string): LedgerEntry[];
}
