// The log's tail, read once per process for every live subscription. Each subscription used to read the
// log itself after every commit notification: with the projectors, the executor, the relay and the policy
// follower in one process that was several identical queries per commit, a third of the server's CPU in
// socket writes. Now a subscription that has caught up joins the tail; on each signal (this process's
// commit, a NOTIFY, the poll timer) the tail reads the new events once, after the lowest position among
// its followers, and offers the page to each follower, which takes what its filter wants after its own
// position. It reads only while some follower's consumer waits on an empty buffer, so when they are all busy
// one bigger page follows rather than one read per commit, as when each read for itself. A follower with a
// full buffer (a slow consumer) or a read that fails sends every follower concerned back to reading for
// itself, from its own position; it joins again when it has caught up.
//
// A commit can be invisible for a moment after it is announced: readers stop below the xmin horizon, and
// any older transaction still open on the server holds the horizon back. A NOTIFY comes once, so the tail
// remembers the highest position announced to it (by this process's commit, or a NOTIFY's payload) and,
// while a read stops below it, reads again after a short, doubling pause (up to the poll interval) instead
// of waiting for the poll. So a second announcement of a position it already knows (this process hears
// its own commit's NOTIFY too) needs no read of its own: the read it owes for the first covers it.
import type { EventFilter, RecordedEvent } from '../event-log.js';
import { unionOfFilters } from '../event-filter.js';
import type { ReadPage } from './subscription.js';

/** A subscription as the tail sees it. */
export interface TailFollower {
  /** What it wants; the tail reads the union of its followers' filters. */
  readonly filter: EventFilter | undefined;
  /** Position up to which it has taken (or passed over) the log; undefined: from the start. */
  readonly through: bigint | undefined;
  /**
   * A page of the log after its lowest follower (every event in (after, reached], in position order, that the union of
   * filters lets through). Answers false when it left the tail instead (its buffer is full).
   */
  offer(events: readonly RecordedEvent[], reached: bigint): boolean;
  /** Its consumer waits for an event it does not have: it needs the next page. */
  readonly hungry: boolean;
  /** The tail stopped serving it (a failed read): it reads for itself from its position. */
  leave(): void;
}

export class LogTail {
  readonly #read: ReadPage;
  readonly #batchSize: number;
  readonly #pollMs: number;
  readonly #followers = new Set<TailFollower>();
  #signals = 0;
  #reading = false;
  #again = false;
  /** Something may be readable, but every follower still had events to work through. */
  #deferred = false;
  #timer: NodeJS.Timeout | undefined;
  /** The highest position announced by signal(): this process's commits, and NOTIFYs that carry one. */
  #committed: bigint | undefined;
  /** A read stopped below #committed: the pause before the next try, and its timer. */
  #retryMs = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(read: ReadPage, batchSize: number, pollMs: number) {
    this.#read = read;
    this.#batchSize = batchSize;
    this.#pollMs = pollMs;
  }

  /** Counts signals: a subscription notes it before its own read and hands it to join(). */
  get signals(): number {
    return this.#signals;
  }

  /**
   * A follower that has read for itself up to the head joins. `seen` is the signal count before that read:
   * a signal since then may announce events the read did not see, so the tail reads.
   */
  join(follower: TailFollower, seen: number): void {
    if (this.#closed) return follower.leave();
    this.#followers.add(follower);
    this.#schedulePoll(false);
    if (seen !== this.#signals || this.#deferred || this.#below(follower.through)) void this.#pull();
  }

  /** A follower's consumer waits on an empty buffer: a read put off for want of anyone waiting happens now. */
  hungry(): void {
    if (this.#deferred) void this.#pull();
  }

  /** A follower that closes. */
  drop(follower: TailFollower): void {
    this.#followers.delete(follower);
    if (this.#followers.size === 0) this.#stopPoll();
  }

  /** New events may be readable; `committed`: a commit up to that position was announced. */
  signal(committed?: bigint): void {
    this.#signals++;
    if (committed !== undefined) {
      // Known already: the read it caused is done, under way or still owed (#below keeps reading until it is reached).
      if (this.#committed !== undefined && committed <= this.#committed) return;
      this.#committed = committed;
    }
    if (this.#followers.size > 0) void this.#pull();
  }

  close(): void {
    this.#closed = true;
    this.#stopPoll();
    clearTimeout(this.#retryTimer);
    this.#followers.clear();
  }

  /** Reads until a page comes back short (the head); a signal during a read means one more read. */
  async #pull(): Promise<void> {
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = true;
    let short = false;
    try {
      do {
        short = false;
        this.#again = false;
        this.#deferred = false;
        if (this.#followers.size === 0) break;
        // Nobody waiting (each still works through what it has): read when one is, in one bigger page, as a
        // subscription reading for itself does.
        if (!someHungry(this.#followers)) {
          this.#deferred = true;
          break;
        }
        // The page is read for these followers (their positions and filters); one that joins meanwhile waits for the next.
        const served = [...this.#followers];
        const after = lowest(served);
        const filter = unionOfFilters(served.map((f) => f.filter));
        const page = await this.#read(after, this.#batchSize, filter);
        const full = page.events.length >= this.#batchSize;
        let reached = page.events[page.events.length - 1]?.position;
        // A short filtered page covers the log up to the horizon (the highest settled position).
        if (!full && page.horizon !== undefined && (reached === undefined || page.horizon > reached)) reached = page.horizon;
        short = !full && this.#below(reached ?? after);
        if (reached === undefined) continue;
        for (const f of this.#followers) {
          if (!served.includes(f)) this.#again = true;
          else if (!f.offer(page.events, reached)) this.#followers.delete(f);
        }
        if (full) this.#again = true;
      } while (this.#again && !this.#closed);
    } catch {
      // Every follower goes back to its own reads: each meets the error (or waits for the server) by itself.
      const left = [...this.#followers];
      this.#followers.clear();
      for (const f of left) f.leave();
    } finally {
      this.#reading = false;
      if (this.#followers.size === 0) this.#stopPoll();
      else this.#schedulePoll(true);
      if (short && this.#followers.size > 0 && !this.#closed) this.#retrySoon();
      else if (!short) this.#retryMs = 0;
    }
  }

  /** Whether a position lies below what this process committed (a read up to it missed a commit). */
  #below(position: bigint | undefined): boolean {
    return this.#committed !== undefined && (position === undefined || position < this.#committed);
  }

  /** Reads again after 2, 4, 8 … ms (at most the poll interval) while a commit it knows of is not yet readable. */
  #retrySoon(): void {
    if (this.#retryTimer !== undefined) return;
    this.#retryMs = Math.min(this.#retryMs === 0 ? 2 : this.#retryMs * 2, this.#pollMs);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#followers.size > 0) void this.#pull();
    }, this.#retryMs);
  }

  /** Notifications can be missed: while anyone follows, read at least every poll interval (after the last read). */
  #schedulePoll(afterRead: boolean): void {
    if (this.#closed) return;
    if (this.#timer) {
      if (afterRead) this.#timer.refresh();
    }
    else
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        if (this.#followers.size > 0) void this.#pull();
      }, this.#pollMs);
  }

  #stopPoll(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function someHungry(followers: Iterable<TailFollower>): boolean {
  for (const f of followers) if (f.hungry) return true;
  return false;
}

/** The lowest position among the followers (undefined: one reads from the start). */
function lowest(followers: Iterable<TailFollower>): bigint | undefined {
  let low: bigint | undefined;
  let first = true;
  for (const f of followers) {
    if (f.through === undefined) return undefined;
    if (first || f.through < low!) low = f.through;
    first = false;
  }
  return low;
}
