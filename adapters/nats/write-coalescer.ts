// Runs queued NATS operations together at the next setImmediate. nats.js writes its buffer to the socket
// once per microtask checkpoint, so acks and publishes issued one by one from separate callbacks cost a
// syscall each (about 150 µs per event here); issued in one burst they share a single write.
export class WriteCoalescer {
  #queue: (() => void)[] = [];
  #scheduled = false;

  run(op: () => void): void {
    this.#queue.push(op);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const ops = this.#queue;
      this.#queue = [];
      for (const o of ops) {
        try {
          o();
        } catch {
          // An ack on a closed connection: the message comes back after its ack wait, as after a crash.
        }
      }
    });
  }
}
