/**
 * The configuration files of a self-hosted Temporal server on PostgreSQL (pure: values in, file
 * text out). JSON is valid YAML, so the files are JSON with a `# enable-template` line: the
 * server renders them as Go templates, which is how the database password comes from the
 * environment instead of being written to disk.
 */

export interface ClusterPorts {
  /** The frontend's gRPC port: what clients, workers and the UI connect to. */
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

export interface ClusterDatabase {
  host: string;
  port: number;
  user: string;
  /** Default store (executions, history, task queues, namespaces). */
  database: string;
  /** Visibility store (what List/Count workflow queries and the Web UI search). */
  visibilityDatabase: string;
}

/** The environment variable the rendered config reads the database password from. */
export const SQL_PASSWORD_ENV = 'TEMPORAL_SQL_PASSWORD';

const TEMPLATE_HEADER = '# enable-template\n';

export function serverConfigText(input: { ip: string; ports: ClusterPorts; db: ClusterDatabase; numHistoryShards: number; dynamicConfigFile: string; logLevel: string }): string {
  const { ip, ports, db } = input;
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${db.host}:${db.port}`,
      connectProtocol: 'tcp',
      user: db.user,
      password: '__SQL_PASSWORD__',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpcPort: number, membershipPort: number, extra: Record<string, number> = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnIP: ip, ...extra },
  });
  const config = {
    log: { stdout: true, level: input.logLevel },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: input.numHistoryShards,
      // Small pools: the tests' PostgreSQL serves the project's processes too (max_connections 100).
      datastores: { 'postgres-default': store(db.database, 12), 'postgres-visibility': store(db.visibilityDatabase, 4) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: ip } },
    services: {
      frontend: service(ports.frontend, ports.frontendMembership, { httpPort: ports.frontendHttp }),
      history: service(ports.history, ports.historyMembership),
      matching: service(ports.matching, ports.matchingMembership),
      worker: service(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `${ip}:${ports.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: input.dynamicConfigFile, pollInterval: '10s' },
  };
  const json = JSON.stringify(config, null, 2).replace(/"__SQL_PASSWORD__"/g, `{{ env "${SQL_PASSWORD_ENV}" | toJson }}`);
  return TEMPLATE_HEADER + json + '\n';
}

/**
 * Dynamic config: search attributes registered a moment ago are usable at once (the local stack
 * and the tests register them right before starting workflows).
 */
export function dynamicConfigText(): string {
  return JSON.stringify({ 'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }] }, null, 2) + '\n';
}

/** Temporal's Web UI server (github.com/temporalio/ui-server), pointed at the frontend. */
export function uiConfigText(input: { ip: string; uiPort: number; frontend: string; namespace: string }): string {
  return (
    JSON.stringify(
      {
        temporalGrpcAddress: input.frontend,
        host: input.ip,
        port: input.uiPort,
        enableUi: true,
        defaultNamespace: input.namespace,
        cors: { allowOrigins: [`http://${input.ip}:${input.uiPort}`], cookieInsecure: true },
        refreshInterval: '1m',
        showTemporalSystemNamespace: false,
        notifyOnNewVersion: false,
        disableNewsFetch: true,
      },
      null,
      2,
    ) + '\n'
  );
}
