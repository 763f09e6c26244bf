// GitHub webhook payload → the ordered graph commands that record it (nodes first, then edges). Pure:
// a redelivered webhook maps to byte-identical commands, so the pipeline writes nothing the second time.
//
// | event             | nodes (id)                                                    | edges                                  |
// |-------------------|---------------------------------------------------------------|----------------------------------------|
// | push              | Commit `commit:<repo>@<sha>` per commits[]                    | —                                      |
// | workflow_run      | Build `build:<repo>#<run id>`, Commit of head_commit;         | CONSUMES(Build→Commit);                |
// |                   | completed+success: Artifact `artifact:<repo>@<head_sha>`      | completed+success: BUILDS(Build→Artifact) |
// | deployment        | Deployment `deployment:<repo>#<id>`, Artifact of its sha      | CONSUMES(Deployment→Artifact)          |
// | deployment_status | the same, the Deployment with its status;                     | the same;                              |
// |                   | state success: Service `service:<repo>`                       | success: DEPLOYS(Deployment→Service)   |
//
// `<repo>` is repository.full_name with '/' percent-encoded (idPart). Why some things are *not* mapped:
// - A commit's ref is not a Commit attribute: one commit reaches many refs, and attributes replace the
//   whole set, so each source must describe a commit identically (push and workflow_run both do here).
// - No APPROVES from `deployment`: its creator asked for the deployment, which is not approving it. The
//   creator stays a Deployment attribute; APPROVES belongs to a `deployment_review` ingest (not built).
// - DEPLOYS only on a `success` status: a failed or pending deployment has not deployed the service.
import { chain, left, right, type Either } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type * as t from 'io-ts';
import {
  DeploymentEvent,
  DeploymentStatusEvent,
  PushEvent,
  WorkflowRunEvent,
  type DeploymentStatus,
  type GithubCommit,
  type GithubDeployment,
  type GithubRepository,
} from '../../schemas/github.js';
import type { JsonObject } from '../../schemas/json.js';
import { formatValidationErrors } from '../../schemas/validation.js';
import { checkedCommands, edgeAssert, idPart, nodeUpsert, utc, type GraphCommand, type IngestProvenance } from './graph-command.js';

export const GITHUB_SOURCE = 'github';

/** The events that are mapped; `ping` and everything else are acknowledged without writing. */
export const GITHUB_EVENTS = ['push', 'workflow_run', 'deployment', 'deployment_status'] as const;
export type GithubEventName = (typeof GITHUB_EVENTS)[number];
export const isMappedGithubEvent = (event: string): event is GithubEventName => (GITHUB_EVENTS as readonly string[]).includes(event);

export interface GithubMappingContext {
  /** The region every node and edge is written in (the tenant's webhook configuration). */
  readonly region: string;
}

/** Node ids of the things GitHub tells about. */
export const githubNodeId = {
  commit: (repo: string, sha: string) => `commit:${idPart(repo)}@${sha}`,
  build: (repo: string, runId: number) => `build:${idPart(repo)}#${runId}`,
  artifact: (repo: string, sha: string) => `artifact:${idPart(repo)}@${sha}`,
  deployment: (repo: string, deploymentId: number) => `deployment:${idPart(repo)}#${deploymentId}`,
  service: (repo: string) => `service:${idPart(repo)}`,
} as const;

/** Facts with a time of their own use it for observedAt and effectiveAt: no clock, so redelivery is identical. */
const provenanceAt = (timestamp: string, externalId: string | undefined, evidenceRefs: readonly string[] = []): IngestProvenance => ({
  sourceSystem: GITHUB_SOURCE,
  observedAt: utc(timestamp),
  effectiveAt: utc(timestamp),
  ...(externalId === undefined ? {} : { externalId }),
  ...(evidenceRefs.length === 0 ? {} : { evidenceRefs }),
});

/** A Commit node, described the same way by every event that mentions the commit. */
function commitNode(repo: GithubRepository, commit: GithubCommit, region: string): GraphCommand {
  const url = `${repo.html_url}/commit/${commit.id}`;
  return nodeUpsert(
    githubNodeId.commit(repo.full_name, commit.id),
    'Commit',
    region,
    {
      repo: repo.full_name,
      sha: commit.id,
      message: commit.message,
      author: { name: commit.author.name, email: commit.author.email },
      timestamp: utc(commit.timestamp),
      url,
    },
    { ...provenanceAt(commit.timestamp, commit.id, [url]), ...(commit.author.email === null ? {} : { piiFlags: ['author.email'] }) },
  );
}

/** The build output of a commit: GitHub names no artifact, so it is the commit's, whoever built or deploys it. */
const artifactNode = (repo: GithubRepository, sha: string, region: string, at: string): GraphCommand =>
  nodeUpsert(githubNodeId.artifact(repo.full_name, sha), 'Artifact', region, { repo: repo.full_name, sha }, provenanceAt(at, undefined));

function mapPush(e: PushEvent, region: string): GraphCommand[] {
  return e.commits.map((c) => commitNode(e.repository, c, region));
}

function mapWorkflowRun(e: WorkflowRunEvent, region: string): Either<readonly string[], GraphCommand[]> {
  const { repository: repo, workflow_run: run } = e;
  if (run.head_commit.id !== run.head_sha) {
    return left([`workflow_run.head_commit.id: expected the head_sha ${run.head_sha}, got ${run.head_commit.id}`]);
  }
  const build = githubNodeId.build(repo.full_name, run.id);
  const commit = githubNodeId.commit(repo.full_name, run.head_sha);
  const prov = provenanceAt(run.updated_at, String(run.id), [run.html_url]);
  const attributes: JsonObject = {
    repo: repo.full_name,
    runId: run.id,
    name: run.name,
    runNumber: run.run_number,
    ...(run.run_attempt === undefined ? {} : { runAttempt: run.run_attempt }),
    ...(run.event === undefined ? {} : { event: run.event }),
    status: run.status,
    conclusion: run.conclusion,
    headSha: run.head_sha,
    headBranch: run.head_branch,
    url: run.html_url,
    updatedAt: utc(run.updated_at),
  };
  const built = run.status === 'completed' && run.conclusion === 'success';
  const artifact = githubNodeId.artifact(repo.full_name, run.head_sha);
  return right([
    nodeUpsert(build, 'Build', region, attributes, prov),
    commitNode(repo, run.head_commit, region),
    ...(built ? [artifactNode(repo, run.head_sha, region, run.updated_at)] : []),
    edgeAssert('CONSUMES', build, commit, region, prov),
    ...(built ? [edgeAssert('BUILDS', build, artifact, region, prov)] : []),
  ]);
}

/** The deployment's own facts, identical in `deployment` and `deployment_status` payloads. */
const deploymentAttributes = (repo: GithubRepository, d: GithubDeployment): JsonObject => ({
  repo: repo.full_name,
  deploymentId: d.id,
  environment: d.environment,
  ref: d.ref,
  sha: d.sha,
  ...(d.task === undefined ? {} : { task: d.task }),
  creator: d.creator === null ? null : d.creator.login,
  createdAt: utc(d.created_at),
});

const statusAttributes = (s: DeploymentStatus): JsonObject => ({
  state: s.state,
  stateAt: utc(s.created_at),
  statusId: s.id,
  ...(typeof s.environment_url === 'string' && s.environment_url !== '' ? { environmentUrl: s.environment_url } : {}),
});

function mapDeployment(repo: GithubRepository, d: GithubDeployment, status: DeploymentStatus | undefined, region: string): GraphCommand[] {
  const deployment = githubNodeId.deployment(repo.full_name, d.id);
  const artifact = githubNodeId.artifact(repo.full_name, d.sha);
  const service = githubNodeId.service(repo.full_name);
  const at = status?.created_at ?? d.created_at;
  const evidence = typeof d.url === 'string' ? [d.url] : [];
  // The deployment's id is the natural key of every command here: a redelivered status is then a replay
  // even after later statuses changed the node (it would otherwise roll the status back).
  const prov = provenanceAt(at, String(d.id), evidence);
  const deployed = status?.state === 'success';
  return [
    nodeUpsert(deployment, 'Deployment', region, { ...deploymentAttributes(repo, d), ...(status === undefined ? {} : statusAttributes(status)) }, prov),
    artifactNode(repo, d.sha, region, d.created_at),
    ...(deployed ? [nodeUpsert(service, 'Service', region, { repo: repo.full_name }, provenanceAt(at, String(repo.id)))] : []),
    edgeAssert('CONSUMES', deployment, artifact, region, prov),
    ...(deployed ? [edgeAssert('DEPLOYS', deployment, service, region, prov, { environment: d.environment })] : []),
  ];
}

const decodeWith =
  <A>(codec: t.Decoder<unknown, A>) =>
  (payload: unknown): Either<readonly string[], A> => {
    const r = codec.decode(payload);
    return r._tag === 'Left' ? left(formatValidationErrors(r.left)) : right(r.right);
  };

/** One webhook delivery → the ordered commands recording it, or the payload's errors (one line per field). */
export function mapGithubEvent(event: GithubEventName, payload: unknown, ctx: GithubMappingContext): Either<readonly string[], readonly GraphCommand[]> {
  const mapped = ((): Either<readonly string[], readonly GraphCommand[]> => {
    switch (event) {
      case 'push':
        return pipe(payload, decodeWith(PushEvent), chain((e) => right(mapPush(e, ctx.region))));
      case 'workflow_run':
        return pipe(payload, decodeWith(WorkflowRunEvent), chain((e) => mapWorkflowRun(e, ctx.region)));
      case 'deployment':
        return pipe(payload, decodeWith(DeploymentEvent), chain((e) => right(mapDeployment(e.repository, e.deployment, undefined, ctx.region))));
      case 'deployment_status':
        return pipe(
          payload,
          decodeWith(DeploymentStatusEvent),
          chain((e) => right(mapDeployment(e.repository, e.deployment, e.deployment_status, ctx.region))),
        );
    }
  })();
  return pipe(mapped, chain(checkedCommands));
}
