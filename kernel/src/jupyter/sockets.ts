// zeromq sockets of a kernel. zeromq.js allows only one send in flight per socket, while the
// kernel emits messages from many places at once (streams, displays, replies), so each socket
// gets a FIFO send queue.
import * as zmq from "zeromq";

export class SendQueue {
  private tail: Promise<void> = Promise.resolve();
  constructor(
    readonly socket: zmq.Router | zmq.Publisher | zmq.XPublisher,
    private readonly log: (msg: string) => void,
  ) {}

  send(frames: Buffer[]): Promise<void> {
    const next = this.tail.then(async () => {
      if (this.socket.closed) return;
      try {
        await this.socket.send(frames);
      } catch (err) {
        this.log(`send failed: ${(err as Error).message}`);
      }
    });
    this.tail = next;
    return next;
  }

  /** Resolves once everything queued so far has been handed to zeromq. */
  drain(): Promise<void> {
    return this.tail;
  }
}
