/** Types of etcd-cluster.mjs for TypeScript callers (benches). */
export interface EtcdCluster {
  /** Client URLs, `http://127.0.0.1:<port>`, one per member. */
  endpoints: string[];
  pids: number[];
  /** Temp dir holding each member's data dir and log file (`m1`, `m1.log`, ...). */
  dataDir: string;
  etcdPath: string;
  /** `etcd --version`, e.g. "3.4.23"; null when it could not be read. */
  version: string | null;
  /** SIGTERM, then SIGKILL after 5 s; deletes dataDir. Idempotent. */
  stop(): Promise<void>;
}

export interface StartEtcdClusterOptions {
  /** Members, default 3. */
  size?: number;
  /** Parent of the cluster's temp dir; default os.tmpdir(). */
  baseDir?: string;
  /** How long to wait for every member's /health; default 30 s. */
  readyTimeoutMs?: number;
  /** Members outlive this process (the CLI's `start`); default false: killed when this process exits. */
  detached?: boolean;
}

export declare function findEtcd(): string | null;
export declare function etcdVersion(etcdPath: string): string | null;
export declare function installEtcd(): Promise<string>;
export declare function findOrInstallEtcd(): Promise<string>;
export declare function startEtcdCluster(options?: StartEtcdClusterOptions): Promise<EtcdCluster>;
export declare function stopEtcdCluster(dataDir: string): Promise<void>;
