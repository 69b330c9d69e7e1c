/**
 * Claims-based security (`$cbs`): the emulator accepts every `put-token` (the development
 * emulator does not check the SAS key) and answers with status 202, as Service Bus does.
 */

import type { ReplyLinks } from "./replies.js";
import type { AmqpMessage } from "./rhea-types.js";

export function answerCbs(replies: ReplyLinks, connection: object, request: AmqpMessage): void {
  const operation = request.application_properties?.operation;
  const ok = operation === "put-token";
  replies.reply(connection, request, {
    application_properties: {
      "status-code": ok ? 202 : 400,
      "status-description": ok ? "Accepted" : `unsupported CBS operation ${String(operation)}`,
    },
  });
}
