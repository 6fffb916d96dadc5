import { ScenarioRegistry } from './engine/scenario.js';
import { scaleSize } from './engine/scale.js';
import authMatrix from '../scenarios/auth-matrix.js';
import burst from '../scenarios/burst.js';
import downloadVerify from '../scenarios/download-verify.js';
import embargo from '../scenarios/embargo.js';
import ingestion from '../scenarios/ingestion.js';
import lifecycle from '../scenarios/lifecycle.js';
import longhaulSweep from '../scenarios/longhaul-sweep.js';
import replicate from '../scenarios/replicate.js';
import replication from '../scenarios/replication.js';
import reprocess from '../scenarios/reprocess.js';
import cacheRead from '../scenarios/cache-read.js';
import rseAudit from '../scenarios/rse-audit.js';
import stage from '../scenarios/stage.js';
import upload from '../scenarios/upload.js';

/** The scenarios shipped with lakeprobe. */
export function builtinScenarios(): ScenarioRegistry {
  // upload and replicate shrink by their file size in a scaled run (their file counts stay).
  return new ScenarioRegistry()
    .register({ ...upload, scale: (p, f) => ({ ...p, size: scaleSize(p.size, f) }), work: (p) => ({ files: p.files, bytes: p.files * p.size }) })
    .register({ ...replicate, scale: (p, f) => ({ ...p, size: scaleSize(p.size, f) }), work: (p) => ({ files: p.files, bytes: p.files * p.size }) })
    .register(embargo)
    .register(replication).register(longhaulSweep).register(authMatrix).register(downloadVerify)
    .register(reprocess).register(lifecycle).register(ingestion).register(burst).register(rseAudit).register(stage).register(cacheRead);
}
