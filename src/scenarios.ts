import { ScenarioRegistry } from './engine/scenario.js';
import embargo from '../scenarios/embargo.js';
import replicate from '../scenarios/replicate.js';
import upload from '../scenarios/upload.js';

/** The scenarios shipped with lakeprobe. */
export function builtinScenarios(): ScenarioRegistry {
  return new ScenarioRegistry().register(upload).register(replicate).register(embargo);
}
