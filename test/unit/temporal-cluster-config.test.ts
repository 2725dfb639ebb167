import { describe, expect, it } from 'vitest';
import { serverConfigText, SQL_PASSWORD_ENV, type ClusterPorts } from '../../src/dev/temporal-cluster-config.js';

const ports: ClusterPorts = {
  frontend: 7233, frontendHttp: 7243, frontendMembership: 6933, history: 7234, historyMembership: 6934,
  matching: 7235, matchingMembership: 6935, worker: 7239, workerMembership: 6939,
};
const db = { host: '127.0.0.1', port: 5433, user: 'postgres', database: 'temporal', visibilityDatabase: 'temporal_visibility' };

describe('Temporal cluster config file', () => {
  const text = serverConfigText({ ip: '127.0.0.1', ports, db, numHistoryShards: 4, dynamicConfigFile: '/tmp/dc.yaml', logLevel: 'warn' });
  /** What the server sees once it has rendered the template with the password in its environment. */
  const rendered = JSON.parse(text.replace(/^# enable-template\n/, '').replace(new RegExp(`\\{\\{ env "${SQL_PASSWORD_ENV}" \\| toJson \\}\\}`, 'g'), '"s3cret"'));

  it('takes the database password from the environment (a template), never writes it', () => {
    expect(text.startsWith('# enable-template\n')).toBe(true);
    expect(rendered.persistence.datastores['postgres-default'].sql.password).toBe('s3cret');
    expect(rendered.persistence.datastores['postgres-visibility'].sql.password).toBe('s3cret');
  });

  it('puts both stores on PostgreSQL (postgres12 plugin), default and visibility in their own databases', () => {
    const { persistence } = rendered;
    expect([persistence.defaultStore, persistence.visibilityStore]).toEqual(['postgres-default', 'postgres-visibility']);
    expect(persistence.datastores['postgres-default'].sql).toMatchObject({ pluginName: 'postgres12', databaseName: 'temporal', connectAddr: '127.0.0.1:5433', user: 'postgres' });
    expect(persistence.datastores['postgres-visibility'].sql).toMatchObject({ pluginName: 'postgres12', databaseName: 'temporal_visibility' });
  });

  it('runs the four services, each on its own ports, bound to the given address', () => {
    expect(Object.keys(rendered.services).sort()).toEqual(['frontend', 'history', 'matching', 'worker']);
    expect(rendered.services.frontend.rpc).toEqual({ grpcPort: 7233, membershipPort: 6933, bindOnIP: '127.0.0.1', httpPort: 7243 });
    expect(rendered.clusterMetadata.clusterInformation.active.rpcAddress).toBe('127.0.0.1:7233');
  });
});
