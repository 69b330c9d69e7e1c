/**
 * The flags `tessera worker` and `tessera gateway` share: where Service Bus and Blob Storage
 * are, and the queue settings both sides must agree on. Each flag has an environment
 * variable, so a systemd unit or a container needs no command line.
 */

import { type AzureSettings, DEFAULT_CONTAINER, DEFAULT_QUEUE_SETTINGS } from "../infra/azure/connect.js";
import { intArg, stringArg } from "./args.js";
import { CliError, EXIT } from "./exit-codes.js";

export const AZURE_FLAGS = {
  servicebus: { type: "string" },
  "servicebus-namespace": { type: "string" },
  storage: { type: "string" },
  "storage-account": { type: "string" },
  container: { type: "string" },
  "lock-ms": { type: "string" },
  "max-deliveries": { type: "string" },
} as const;

export const AZURE_HELP = `Connections (a flag, else its environment variable):
      --servicebus CONN            Service Bus connection string (TESSERA_SERVICEBUS_CONNECTION)
      --servicebus-namespace NS    or a namespace, signed in with DefaultAzureCredential
                                   (TESSERA_SERVICEBUS_NAMESPACE)
      --storage CONN               Storage connection string (TESSERA_STORAGE_CONNECTION)
      --storage-account NAME       or an account, signed in with DefaultAzureCredential
                                   (TESSERA_STORAGE_ACCOUNT)
      --container NAME             blob container (TESSERA_CONTAINER, default ${DEFAULT_CONTAINER})
      --lock-ms MS                 the queues' lock duration (TESSERA_LOCK_MS, default ${DEFAULT_QUEUE_SETTINGS.lockDurationMs})
      --max-deliveries N           the queues' maxDeliveryCount (TESSERA_MAX_DELIVERY_COUNT, default ${DEFAULT_QUEUE_SETTINGS.maxDeliveryCount})
`;

export function azureSettings(command: string, values: Record<string, string | boolean | undefined>): AzureSettings {
  const sbConnection = stringArg(values.servicebus, "TESSERA_SERVICEBUS_CONNECTION");
  const sbNamespace = stringArg(values["servicebus-namespace"], "TESSERA_SERVICEBUS_NAMESPACE");
  const storageConnection = stringArg(values.storage, "TESSERA_STORAGE_CONNECTION");
  const storageAccount = stringArg(values["storage-account"], "TESSERA_STORAGE_ACCOUNT");
  const missing = (what: string, flags: string) =>
    new CliError(
      EXIT.USAGE,
      `no ${what}: pass ${flags} (see \`tessera ${command} --help\`), or run \`tessera cluster\` for a local one`,
    );
  if (!sbConnection && !sbNamespace) throw missing("Service Bus", "--servicebus CONN or --servicebus-namespace NS");
  if (!storageConnection && !storageAccount) throw missing("Blob Storage", "--storage CONN or --storage-account NAME");
  return {
    serviceBus: sbConnection ? { connectionString: sbConnection } : { namespace: sbNamespace as string },
    storage: storageConnection ? { connectionString: storageConnection } : { account: storageAccount as string },
    container: stringArg(values.container, "TESSERA_CONTAINER") ?? DEFAULT_CONTAINER,
    queue: {
      lockDurationMs:
        intArg("--lock-ms", stringArg(values["lock-ms"], "TESSERA_LOCK_MS"), 1) ?? DEFAULT_QUEUE_SETTINGS.lockDurationMs,
      maxDeliveryCount:
        intArg("--max-deliveries", stringArg(values["max-deliveries"], "TESSERA_MAX_DELIVERY_COUNT"), 1) ??
        DEFAULT_QUEUE_SETTINGS.maxDeliveryCount,
    },
  };
}
