// Specifications of the GitHub mapping (pure, no HTTP): each event's fixture → the expected nodes and
// edges in order, byte-identical commands on redelivery, and payload errors that name the field.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import { githubSignature, verifyGithubSignature } from './github-signature.js';
import { githubNodeId, mapGithubEvent, type GithubEventName } from './github.js';
import { commandTarget, idPart, type GraphCommand } from './graph-command.js';

const fixture = (name: string): Record<string, any> =>
  JSON.parse(readFileSync(new URL(`../../test/fixtures/github/${name}.json`, import.meta.url), 'utf8'));
const ctx = { region: 'us-east' };
const REPO = 'Codertocat/Hello-World';
const SHA = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';

const rightOf = (r: Either<readonly string[], readonly GraphCommand[]>): readonly GraphCommand[] => {
  if (isLeft(r)) throw new Error(`expected commands, got ${r.left.join('; ')}`);
  return r.right;
};
const map = (event: GithubEventName, payload: unknown) => rightOf(mapGithubEvent(event, payload, ctx));
const shape = (cs: readonly GraphCommand[]) =>
  cs.map((c) => (c.type === 'graph.node.upsert' ? `node ${c.payload.type} ${c.payload.id}` : `edge ${commandTarget(c)}`));

test('ids: the repository is percent-encoded, so node ids hold no "/"', () => {
  assert.is(idPart(REPO), 'Codertocat%2FHello-World');
  assert.is(idPart('a|b#c@d%e\u0001'), 'a%7Cb%23c%40d%25e%01');
  assert.is(decodeURIComponent(idPart('s3://bucket/x|y')), 's3://bucket/x|y');
  assert.is(githubNodeId.commit(REPO, SHA), `commit:Codertocat%2FHello-World@${SHA}`);
  assert.is(githubNodeId.build(REPO, 30433642), 'build:Codertocat%2FHello-World#30433642');
});

test('push: one Commit node per commit, described by the commit alone, at its own time', () => {
  const cs = map('push', fixture('push'));
  assert.equal(shape(cs), [
    `node Commit commit:Codertocat%2FHello-World@0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c`,
    `node Commit commit:Codertocat%2FHello-World@${SHA}`,
  ]);
  const c = cs[1]!;
  assert.equal(c.payload, {
    id: `commit:Codertocat%2FHello-World@${SHA}`,
    type: 'Commit',
    region: 'us-east',
    attributes: {
      repo: REPO,
      sha: SHA,
      message: 'Fix typo in README\n\nSigned-off-by: Codertocat',
      author: { name: 'Codertocat', email: '21031067+Codertocat@users.noreply.github.com' },
      timestamp: '2019-05-15T15:24:10.000Z',
      url: `https://github.com/Codertocat/Hello-World/commit/${SHA}`,
    },
    provenance: {
      sourceSystem: 'github',
      observedAt: '2019-05-15T15:24:10.000Z',
      effectiveAt: '2019-05-15T15:24:10.000Z',
      externalId: SHA,
      evidenceRefs: [`https://github.com/Codertocat/Hello-World/commit/${SHA}`],
      piiFlags: ['author.email'],
    },
  });
});

test('push of a deleted branch (no commits) maps to nothing', () => {
  assert.equal(map('push', { ...fixture('push'), deleted: true, commits: [], head_commit: null }), []);
});

test('workflow_run in progress: Build, its head Commit, CONSUMES(Build→Commit); no artifact yet', () => {
  const cs = map('workflow_run', fixture('workflow_run.in_progress'));
  const build = 'build:Codertocat%2FHello-World#30433642';
  assert.equal(shape(cs), [`node Build ${build}`, `node Commit commit:Codertocat%2FHello-World@${SHA}`, `edge ${build} -CONSUMES-> commit:Codertocat%2FHello-World@${SHA}`]);
  assert.equal(cs[0]!.payload.provenance, {
    sourceSystem: 'github',
    observedAt: '2019-05-15T15:24:25.000Z',
    effectiveAt: '2019-05-15T15:24:25.000Z',
    externalId: '30433642',
    evidenceRefs: ['https://github.com/Codertocat/Hello-World/actions/runs/30433642'],
  });
  const attributes = cs[0]!.type === 'graph.node.upsert' ? cs[0]!.payload.attributes : {};
  assert.equal(attributes, {
    repo: REPO, runId: 30433642, name: 'Build', runNumber: 562, runAttempt: 1, event: 'push', status: 'in_progress', conclusion: null,
    headSha: SHA, headBranch: 'main', url: 'https://github.com/Codertocat/Hello-World/actions/runs/30433642', updatedAt: '2019-05-15T15:24:25.000Z',
  });
});

test('workflow_run completed with success: also the Artifact of head_sha and BUILDS(Build→Artifact)', () => {
  const cs = map('workflow_run', fixture('workflow_run.completed'));
  const build = 'build:Codertocat%2FHello-World#30433642';
  const artifact = `artifact:Codertocat%2FHello-World@${SHA}`;
  assert.equal(shape(cs), [
    `node Build ${build}`,
    `node Commit commit:Codertocat%2FHello-World@${SHA}`,
    `node Artifact ${artifact}`,
    `edge ${build} -CONSUMES-> commit:Codertocat%2FHello-World@${SHA}`,
    `edge ${build} -BUILDS-> ${artifact}`,
  ]);
  const failed = fixture('workflow_run.completed');
  failed['workflow_run'].conclusion = 'failure';
  assert.equal(map('workflow_run', failed).length, 3);
});

test('the head commit is described exactly as push describes it (same command, nothing new to write)', () => {
  const fromPush = map('push', fixture('push'))[1];
  const fromRun = map('workflow_run', fixture('workflow_run.completed'))[1];
  assert.equal(fromRun, fromPush);
});

test('deployment: Deployment, the Artifact of its sha, CONSUMES(Deployment→Artifact); no APPROVES, no service yet', () => {
  const cs = map('deployment', fixture('deployment'));
  const deployment = 'deployment:Codertocat%2FHello-World#145988746';
  const artifact = `artifact:Codertocat%2FHello-World@${SHA}`;
  assert.equal(shape(cs), [`node Deployment ${deployment}`, `node Artifact ${artifact}`, `edge ${deployment} -CONSUMES-> ${artifact}`]);
  assert.equal(cs[0]!.type === 'graph.node.upsert' && cs[0]!.payload.attributes, {
    repo: REPO, deploymentId: 145988746, environment: 'production', ref: 'main', sha: SHA, task: 'deploy', creator: 'Codertocat', createdAt: '2019-05-15T15:30:00.000Z',
  });
  assert.is(cs[0]!.payload.provenance.externalId, '145988746');
});

test('deployment_status: the Deployment with its status; on success also Service and DEPLOYS(Deployment→Service)', () => {
  const deployment = 'deployment:Codertocat%2FHello-World#145988746';
  const progress = map('deployment_status', fixture('deployment_status.in_progress'));
  assert.is(progress.length, 3);
  const attrs = (c: GraphCommand) => (c.type === 'graph.node.upsert' ? c.payload.attributes : {});
  assert.is(attrs(progress[0]!)['state'], 'in_progress');
  assert.is(progress[0]!.payload.provenance.effectiveAt, '2019-05-15T15:30:20.000Z');

  const success = map('deployment_status', fixture('deployment_status.success'));
  assert.equal(shape(success), [
    `node Deployment ${deployment}`,
    `node Artifact artifact:Codertocat%2FHello-World@${SHA}`,
    'node Service service:Codertocat%2FHello-World',
    `edge ${deployment} -CONSUMES-> artifact:Codertocat%2FHello-World@${SHA}`,
    `edge ${deployment} -DEPLOYS-> service:Codertocat%2FHello-World`,
  ]);
  assert.equal(attrs(success[0]!), {
    repo: REPO, deploymentId: 145988746, environment: 'production', ref: 'main', sha: SHA, task: 'deploy', creator: 'Codertocat', createdAt: '2019-05-15T15:30:00.000Z',
    state: 'success', stateAt: '2019-05-15T15:31:10.000Z', statusId: 209333966, environmentUrl: 'https://hello-world.example.com',
  });
  assert.equal(success[4]!.type === 'graph.edge.assert' && success[4]!.payload.attributes, { environment: 'production' });
  // The artifact is stated the same way by the deployment and each of its statuses.
  assert.equal(success[1], map('deployment', fixture('deployment'))[1]);
});

test('mapping is deterministic: the same payload gives byte-identical commands', () => {
  for (const [event, name] of [['push', 'push'], ['workflow_run', 'workflow_run.completed'], ['deployment', 'deployment'], ['deployment_status', 'deployment_status.success']] as const) {
    assert.is(JSON.stringify(map(event, fixture(name))), JSON.stringify(map(event, fixture(name))), name);
  }
});

test('payload errors name the field', () => {
  const bad = fixture('workflow_run.completed');
  delete bad['workflow_run'].head_sha;
  bad['repository'].full_name = 'not a repo';
  const r = mapGithubEvent('workflow_run', bad, ctx);
  assert.ok(isLeft(r));
  if (isLeft(r)) {
    assert.ok(r.left.some((e) => e.startsWith('workflow_run.head_sha: missing, expected CommitSha')), r.left.join('\n'));
    assert.ok(r.left.some((e) => e.startsWith('repository.full_name: expected RepoFullName')), r.left.join('\n'));
  }
  const dep = mapGithubEvent('deployment', { ...fixture('deployment'), deployment: { ...fixture('deployment')['deployment'], created_at: 'yesterday' } }, ctx);
  assert.ok(isLeft(dep) && dep.left[0]!.startsWith('deployment.created_at: expected Timestamp'), JSON.stringify(dep));
});

test('signature: verified against each tenant secret; missing, malformed and foreign ones are told apart', () => {
  const secrets = [
    { tenant: 'acme', region: 'us-east', secret: 'acme-webhook-secret-0001' },
    { tenant: 'globex', region: 'eu-west', secret: 'globex-webhook-secret-01' },
  ];
  const body = new TextEncoder().encode('{"zen":"hi"}');
  assert.equal(verifyGithubSignature(body, githubSignature(body, 'globex-webhook-secret-01'), secrets), { kind: 'verified', tenant: 'globex', region: 'eu-west' });
  assert.equal(verifyGithubSignature(body, undefined, secrets), { kind: 'missing' });
  assert.equal(verifyGithubSignature(body, 'sha1=abc', secrets), { kind: 'malformed' });
  assert.equal(verifyGithubSignature(body, githubSignature(body, 'someone-elses-secret!'), secrets), { kind: 'no-match' });
  assert.equal(verifyGithubSignature(new TextEncoder().encode('{"zen":"hi!"}'), githubSignature(body, 'acme-webhook-secret-0001'), secrets), { kind: 'no-match' });
});

test.run();
