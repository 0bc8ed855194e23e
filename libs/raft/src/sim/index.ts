export { EventQueue } from './event-queue.js';
export { InvariantChecker, type CheckedNode } from './invariant-checker.js';
export { decodeKvInput, decodeKvOutput, encodeKvInput, encodeKvOutput } from './kv-command.codec.js';
export { KvStateMachine } from './kv-state-machine.js';
export { Prng } from './prng.js';
export { SimClient } from './sim-client.js';
export { SimNetwork, type DeliveryPlan, type LinkQuality } from './sim-network.js';
export { SimNode } from './sim-node.js';
export {
  PERFECT_NETWORK,
  randomFaultMix,
  randomRaftTuning,
  TICK_UNITS,
  type FaultMix,
  type RaftTuning,
  type SimOptions,
} from './sim-options.js';
export { SimViolationError } from './sim-violation.error.js';
export { FaultInjector, type FaultTarget } from './sim-fault-injector.js';
export type { SimResult, SimStats } from './sim-result.js';
export { isSimViolation, runSimulation, runSimulationOnDisk, Simulation } from './simulation.js';
