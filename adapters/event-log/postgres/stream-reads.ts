// Whole-stream reads asked for in one turn of the event loop go to PostgreSQL as one statement. A command
// reads its own stream and the streams its decision cites, and concurrent requests are handled in the same
// turn, so under load several reads share a round trip: on a host where every system call is dear, the
// round trips were most of a command's cost. Each read still sees everything committed before it was asked
// for (the statement runs after), as a read of its own would.
export interface StreamRead {
  readonly stream: string;
  readonly fromRevision: bigint;
}

/** Runs one batch: the rows of each read, in the order of `reads`. */
export type ReadBatch<R> = (reads: readonly StreamRead[]) => Promise<readonly R[][]>;

interface Waiting<R> {
  readonly read: StreamRead;
  readonly resolve: (rows: R[]) => void;
  readonly reject: (error: unknown) => void;
}

export class StreamReads<R> {
  readonly #run: ReadBatch<R>;
  #waiting: Waiting<R>[] = [];

  constructor(run: ReadBatch<R>) {
    this.#run = run;
  }

  /** The rows of `stream` from `fromRevision` on, read with whatever else is asked for in this turn. */
  read(stream: string, fromRevision: bigint): Promise<R[]> {
    return new Promise((resolve, reject) => {
      if (this.#waiting.length === 0) setImmediate(() => this.#flush());
      this.#waiting.push({ read: { stream, fromRevision }, resolve, reject });
    });
  }

  #flush(): void {
    const batch = this.#waiting;
    this.#waiting = [];
    this.#run(batch.map((w) => w.read)).then(
      (answers) => batch.forEach((w, i) => w.resolve(answers[i] ?? [])),
      (error: unknown) => {
        for (const w of batch) w.reject(error);
      },
    );
  }
}
