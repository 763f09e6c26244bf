// The event log on EventStoreDB / KurrentDB (see event-log.ts for how the parts fit).
export {
  EventStoreEventLog,
  MissingPositionError,
  openEventStoreLog,
  toClientConnectionString,
  type EventStoreEventLogOptions,
} from './event-log.js';
