import { Module, type DynamicModule } from '@nestjs/common';
import { JsonlStore, MocraControlModule, MocraModule } from '@mocra/core';
import { CLUSTER_PROBE_PROVIDERS } from './cluster-probe.modules.js';

/** One member of a Raft-coordinated mocra cluster: the probe modules, the control plane, items in JSONL. */
@Module({})
export class ClusterNodeApp {
  static register(options: { config: string; output: string }): DynamicModule {
    return {
      module: ClusterNodeApp,
      imports: [MocraModule.forRoot({ config: options.config }), MocraControlModule],
      providers: [...CLUSTER_PROBE_PROVIDERS, JsonlStore.provider({ path: options.output, truncate: false })],
    };
  }
}
