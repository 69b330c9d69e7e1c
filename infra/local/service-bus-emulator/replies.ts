/**
 * Request/response over AMQP (CBS and `$management`): the client attaches a receiver named (and
 * addressed) after its reply-to name; replies go to that link, with `correlation_id` set
 * to the request's `message_id`.
 */

import type { AmqpMessage, Sender } from "./rhea-types.js";

export class ReplyLinks {
  private readonly byConnection = new WeakMap<object, Map<string, Sender>>();

  add(connection: object, sender: Sender): void {
    let links = this.byConnection.get(connection);
    if (links === undefined) {
      links = new Map();
      this.byConnection.set(connection, links);
    }
    // The SDK names the reply link after its reply-to address (CBS sets no target address).
    links.set(sender.name, sender);
    const address = sender.remote.attach?.target?.address;
    if (address !== undefined) links.set(address, sender);
  }

  reply(connection: object, request: AmqpMessage, reply: AmqpMessage): void {
    const to = request.reply_to;
    const link = to === undefined ? undefined : this.byConnection.get(connection)?.get(to);
    if (link === undefined || !link.is_open()) return;
    link.send({ ...reply, correlation_id: request.message_id, to });
  }
}
