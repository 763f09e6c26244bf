// The event-log port: what the application and the projections use of the log, whichever adapter holds it
// (postgres/, eventstore/). The contract suite's types are here for adapter tests; its suites are imported
// from event-log.contract.ts directly, since they load uvu (a dev dependency).
export {
  DuplicateEventIdError,
  LogTimeoutError,
  LogUnavailableError,
  WrongExpectedRevisionError,
  validateAppend,
  type AppendResult,
  type EventDraft,
  type EventFilter,
  type EventLog,
  type ExpectedRevision,
  type LogSubscription,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
} from './event-log.js';
export { attachJsonText, recordJsonText } from './record-json.js';
export type { EventLogCapabilities, EventLogHarness, OpenEventLog } from './event-log.contract.js';
