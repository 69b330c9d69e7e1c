import { MAX_MESSAGE_BYTES, type MessageBody, type OutgoingMessage } from "./queue.js";
import { queueErrors } from "./queue-errors.js";
import { idProblem } from "./queue-validation.js";

/**
 * A message as the embedded queue stores it. The body is kept as JSON text: that makes the
 * copy callers cannot reach, measures the size the way a wire would, and lets every
 * delivery parse a fresh body (mutating one delivery cannot change the next).
 */
export interface EncodedMessage {
  readonly sessionId: string;
  readonly messageId: string | undefined;
  readonly json: string;
  readonly properties: Readonly<Record<string, string>>;
}

/** UTF-8 length without allocating an encoded copy (bodies may be near 256 KB). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit < 0xdc00 && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) {
        bytes += 4;
        i++;
      } else bytes += 3; // a lone surrogate is encoded as U+FFFD
    } else bytes += 3;
  }
  return bytes;
}

function toJson(value: unknown, path: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw queueErrors.invalidMessage(`${path} is not JSON-serialisable: ${(error as Error).message}`);
  }
  if (json === undefined) {
    throw queueErrors.invalidMessage(
      `${path} must be a JSON value (string, number, boolean, null, array or object), got ${typeof value}`,
    );
  }
  return json;
}

/** Checks and copies one outgoing message; `index` places it in the send() call for messages. */
export function encodeMessage(message: OutgoingMessage, index: number): EncodedMessage {
  const where = `messages[${index}]`;
  if (typeof message !== "object" || message === null) {
    throw queueErrors.invalidMessage(`${where} must be an object with sessionId and body`);
  }
  const problem =
    idProblem(message.sessionId, `${where}.sessionId`) ??
    (message.messageId === undefined ? null : idProblem(message.messageId, `${where}.messageId`));
  if (problem !== null) throw queueErrors.invalidMessage(problem);
  const properties: Record<string, string> = {};
  // Service Bus counts the header (ids and application properties) against the same limit.
  let bytes = utf8Length(message.sessionId) + utf8Length(message.messageId ?? "");
  if (message.properties !== undefined) {
    if (typeof message.properties !== "object" || message.properties === null) {
      throw queueErrors.invalidMessage(`${where}.properties must be an object of strings`);
    }
    for (const [key, value] of Object.entries(message.properties)) {
      if (typeof value !== "string") {
        throw queueErrors.invalidMessage(`${where}.properties.${key} must be a string, got ${typeof value}`);
      }
      properties[key] = value;
      bytes += utf8Length(key) + utf8Length(value);
    }
  }
  const json = toJson(message.body, `${where}.body`);
  bytes += utf8Length(json);
  if (bytes > MAX_MESSAGE_BYTES) throw queueErrors.messageTooLarge(where, bytes);
  return { sessionId: message.sessionId, messageId: message.messageId, json, properties: Object.freeze(properties) };
}

/** Session state as stored: JSON text, or null when cleared. */
export function encodeState(state: MessageBody | null): string | null {
  if (state === null) return null;
  const json = toJson(state, "session state");
  const bytes = utf8Length(json);
  if (bytes > MAX_MESSAGE_BYTES) throw queueErrors.stateTooLarge(bytes);
  return json;
}

export function decode(json: string): MessageBody {
  return JSON.parse(json) as MessageBody;
}
