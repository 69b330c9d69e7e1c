/**
 * The few shapes of `rhea` objects the emulator touches (rhea's own typings are loose, and
 * remote attach fields arrive already unwrapped into plain values).
 */

export interface Terminus {
  address?: string;
  filter?: Record<string, unknown> | null;
}

export interface AmqpMessage {
  message_id?: unknown;
  correlation_id?: unknown;
  reply_to?: string;
  group_id?: string;
  application_properties?: Record<string, unknown>;
  message_annotations?: Record<string, unknown>;
  header?: Record<string, unknown>;
  delivery_count?: number;
  body?: unknown;
  [key: string]: unknown;
}

export interface Delivery {
  readonly format?: number;
  readonly remote_state?: unknown;
  update(settled: boolean, state?: unknown): void;
  accept(): void;
  reject(error: { condition: string; description: string }): void;
}

export interface Link {
  readonly name: string;
  readonly connection: unknown;
  readonly credit: number;
  readonly local: { attach: Record<string, unknown> };
  readonly remote: {
    attach?: {
      source?: Terminus | null;
      target?: Terminus | null;
      properties?: Record<string, unknown>;
      /** 0 unsettled (peek-lock), 1 settled (receive-and-delete), 2 mixed. */
      snd_settle_mode?: number;
    };
  };
  readonly state: { local_open: boolean; open_requests: number };
  readonly source?: Terminus;
  readonly target?: Terminus;
  set_source(fields: Record<string, unknown>): void;
  open(): void;
  close(error?: { condition: string; description: string }): void;
  is_open(): boolean;
  is_closed(): boolean;
}

export interface Sender extends Link {
  send(message: AmqpMessage, tag?: Buffer, format?: number): Delivery;
  sendable(): boolean;
  set_drained(drained: boolean): void;
  readonly _draining?: boolean;
}

export type Receiver = Link;

export interface EventContext {
  connection: { on(event: string, fn: () => void): void } & object;
  sender?: Sender;
  receiver?: Receiver;
  delivery?: Delivery;
  message?: AmqpMessage;
}

/**
 * Answers the client's drain: the flow that says so goes out with the connection's next
 * write, which set_drained alone does not schedule (rhea only marks the link), so a drain
 * answered later than its `sender_draining` event would wait for unrelated traffic.
 */
export function answerDrain(sender: Sender): void {
  sender.set_drained(true);
  (sender.connection as { _register?: () => void } | null)?._register?.();
}

/**
 * Resolves once rhea has written what was just sent and counted it against the link's credit:
 * it does that on its next tick, so until then `credit` still includes those deliveries and a
 * loop that sends "while credit > 0" would take messages the client never asked for.
 */
export function creditCounted(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
