// The parts of GitHub webhook payloads the ingest reads (push, workflow_run, deployment,
// deployment_status; https://docs.github.com/en/webhooks/webhook-events-and-payloads). Third-party
// documents: extra fields are allowed and ignored; the fields used are checked and named when wrong.
import * as t from 'io-ts';
import { FreeText, Timestamp, patternString } from './primitives.js';

/** GitHub's numeric ids (repository, workflow run, deployment, status): positive integers. */
export const GithubId = new t.Type<number, number, unknown>(
  'GithubId (positive integer)',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u > 0,
  (u, c) => (typeof u === 'number' && Number.isSafeInteger(u) && u > 0 ? t.success(u) : t.failure(u, c)),
  t.identity,
);

/** `owner/name`: owners are [A-Za-z0-9-], names [A-Za-z0-9._-] (GitHub's own rules). */
export const RepoFullName = patternString('RepoFullName (owner/name)', /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/);

/** A commit id: SHA-1 (40 hex digits) or SHA-256 (64) repositories. */
export const CommitSha = patternString('CommitSha (40 or 64 lower-case hex digits)', /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/);

const Text = (name: string, max: number) => patternString(`${name} (1-${max} characters)`, new RegExp(`^[\\s\\S]{1,${max}}$`, 'u'));
const nullable = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);

export const GithubRepository = t.type({ id: GithubId, full_name: RepoFullName, html_url: Text('URL', 2048) }, 'GithubRepository');
export type GithubRepository = t.TypeOf<typeof GithubRepository>;

export const GitAuthor = t.type({ name: FreeText, email: nullable(FreeText) }, 'GitAuthor');

/** A commit as push (`commits[]`) and workflow_run (`head_commit`) describe it. */
export const GithubCommit = t.type(
  { id: CommitSha, message: FreeText, timestamp: Timestamp, author: GitAuthor },
  'GithubCommit',
);
export type GithubCommit = t.TypeOf<typeof GithubCommit>;

export const PushEvent = t.type(
  { ref: Text('ref', 1024), repository: GithubRepository, commits: t.readonlyArray(GithubCommit) },
  'PushEvent',
);
export type PushEvent = t.TypeOf<typeof PushEvent>;

export const WorkflowRun = t.intersection(
  [
    t.type({
      id: GithubId,
      name: nullable(FreeText),
      head_sha: CommitSha,
      head_branch: nullable(FreeText),
      status: nullable(Text('status', 64)),
      conclusion: nullable(Text('conclusion', 64)),
      run_number: t.number,
      updated_at: Timestamp,
      html_url: Text('URL', 2048),
      head_commit: GithubCommit,
    }),
    t.partial({ run_attempt: t.number, event: FreeText }),
  ],
  'WorkflowRun',
);
export type WorkflowRun = t.TypeOf<typeof WorkflowRun>;

export const WorkflowRunEvent = t.type({ action: FreeText, repository: GithubRepository, workflow_run: WorkflowRun }, 'WorkflowRunEvent');
export type WorkflowRunEvent = t.TypeOf<typeof WorkflowRunEvent>;

export const GithubDeployment = t.intersection(
  [
    t.type({
      id: GithubId,
      sha: CommitSha,
      ref: Text('ref', 1024),
      environment: Text('environment', 255),
      created_at: Timestamp,
      creator: nullable(t.type({ login: Text('login', 39) })),
    }),
    t.partial({ task: FreeText, description: nullable(FreeText), url: FreeText }),
  ],
  'GithubDeployment',
);
export type GithubDeployment = t.TypeOf<typeof GithubDeployment>;

export const DeploymentEvent = t.type({ action: FreeText, repository: GithubRepository, deployment: GithubDeployment }, 'DeploymentEvent');
export type DeploymentEvent = t.TypeOf<typeof DeploymentEvent>;

/** Deployment status states: error, failure, inactive, in_progress, queued, pending, success. */
export const DeploymentStatus = t.intersection(
  [
    t.type({ id: GithubId, state: Text('state', 64), created_at: Timestamp }),
    t.partial({ description: nullable(FreeText), environment_url: nullable(FreeText), target_url: nullable(FreeText) }),
  ],
  'DeploymentStatus',
);
export type DeploymentStatus = t.TypeOf<typeof DeploymentStatus>;

export const DeploymentStatusEvent = t.type(
  { action: FreeText, repository: GithubRepository, deployment: GithubDeployment, deployment_status: DeploymentStatus },
  'DeploymentStatusEvent',
);
export type DeploymentStatusEvent = t.TypeOf<typeof DeploymentStatusEvent>;
