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
  readonly remote: { attach?: { source?: Terminus | null; target?: Terminus | null; properties?: Record<string, unknown> } };
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
