import { afterEach, beforeEach, expect } from "vitest";
import type { Queue, QueueErrorCode, ReceivedMessage, SessionReceiver } from "../../engine/ports/queue.js";

/** What the Queue contract needs from an adapter under test. */
export interface QueueHarness {
  /** A queue adapter whose first configured queue is empty and uses the settings below. */
  queue: Queue;
  /** Moves the adapter's clock: a manual clock for the embedded adapter, a real sleep for a broker. */
  advance(ms: number): Promise<void>;
  lockDurationMs: number;
  maxDeliveryCount: number;
  close(): Promise<void>;
}

/** Per-test access to the harness, the queue under test and unique session ids. */
export interface QueueContext {
  readonly h: QueueHarness;
  readonly queue: Queue;
  /** The queue the suite uses: the first one in `queue.config`. */
  readonly name: string;
  readonly lockMs: number;
  /** A session id unique to this test, so leftovers on a shared broker cannot interfere. */
  sid(label: string): string;
}

export function queueContext(setup: () => Promise<QueueHarness>): QueueContext {
  let harness: QueueHarness | undefined;
  let run = "";
  beforeEach(async () => {
    harness = await setup();
    run = Math.random().toString(36).slice(2, 8);
  });
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });
  const h = () => {
    if (harness === undefined) throw new Error("the queue harness is only available inside a test");
    return harness;
  };
  return {
    get h() {
      return h();
    },
    get queue() {
      return h().queue;
    },
    get name() {
      const first = Object.keys(h().queue.config)[0];
      if (first === undefined) throw new Error("the harness queue has no configured queue");
      return first;
    },
    get lockMs() {
      return h().lockDurationMs;
    },
    sid: (label) => `${run}-${label}`,
  };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Waits for `promise`, advancing the clock in small steps for at most `ms`: with a manual
 * clock nothing that waits on time happens otherwise, and a real broker gets real time.
 */
export async function within<T>(h: QueueHarness, promise: Promise<T>, ms: number): Promise<T> {
  let done = false;
  const finish = () => {
    done = true;
  };
  promise.then(finish, finish);
  const step = Math.max(1, Math.ceil(ms / 10));
  await tick();
  for (let waited = 0; !done && waited <= ms; waited += step) await h.advance(step);
  return promise;
}

/** Retries `check` a few times: a real broker settles counters and dead letters with some lag. */
export async function eventually(h: QueueHarness, check: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await check();
      return;
    } catch (error) {
      if (attempt >= 10) throw error;
      await h.advance(100);
    }
  }
}

/** Receives exactly `count` messages (a broker may hand them over in several batches). */
export async function receiveAll(ctx: QueueContext, receiver: SessionReceiver, count: number): Promise<ReceivedMessage[]> {
  const got: ReceivedMessage[] = [];
  while (got.length < count) {
    const batch = await within(ctx.h, receiver.receive(count - got.length, { timeoutMs: ctx.lockMs / 4 }), ctx.lockMs / 4);
    if (batch.length === 0) break;
    got.push(...batch);
  }
  expect(got).toHaveLength(count);
  return got;
}

/** Accepts a session by name, which must be free now. */
export async function acceptNamed(ctx: QueueContext, sessionId: string): Promise<SessionReceiver> {
  const receiver = await ctx.queue.acceptSession(ctx.name, sessionId);
  if (receiver === null) throw new Error(`accepting the named session ${sessionId} resolved to null`);
  return receiver;
}

/** Accept-next within `ms`, which must find a session. */
export async function acceptNext(ctx: QueueContext, ms = ctx.lockMs / 4): Promise<SessionReceiver> {
  const receiver = await within(ctx.h, ctx.queue.acceptSession(ctx.name, undefined, { timeoutMs: ms }), ms);
  if (receiver === null) throw new Error("accept-next found no free session");
  return receiver;
}

export async function expectCode(promise: Promise<unknown>, code: QueueErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: "QueueError", code });
}

export const bodies = (messages: readonly ReceivedMessage[]) => messages.map((m) => m.body);
