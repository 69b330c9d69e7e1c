/**
 * Builds the Azure adapters from settings: connection strings (Azurite, the emulator, or keys
 * from the portal), or names plus an Entra ID credential (DefaultAzureCredential: a managed
 * identity on Azure VMs, `az login` on a laptop), so deployed machines hold no keys.
 */

import type { TokenCredential } from "@azure/core-auth";
import { BlobServiceClient } from "@azure/storage-blob";
import { DEFAULTS } from "../../engine/defaults.js";
import { EVENTS_QUEUE, TILES_QUEUE } from "../../engine/messages.js";
import type { QueueConfig } from "../../engine/ports/queue.js";
import { AzureBlobStore, BLOB_CLIENT_OPTIONS } from "./blob-store.js";
import { AzureServiceBusQueue } from "./service-bus-queue.js";

export interface AzureSettings {
  /** A connection string, or a namespace name used with DefaultAzureCredential. */
  serviceBus: { connectionString: string } | { namespace: string };
  /** A connection string, or an account name used with DefaultAzureCredential. */
  storage: { connectionString: string } | { account: string };
  container: string;
  /** Must match the namespace's queue settings (infra/azure/main.bicep declares them). */
  queue: QueueConfig;
}

/** Service Bus's defaults, which the Bicep template keeps. */
export const DEFAULT_QUEUE_SETTINGS: QueueConfig = DEFAULTS.queue;
export const DEFAULT_CONTAINER = "tessera";

async function defaultCredential(): Promise<TokenCredential> {
  const { DefaultAzureCredential } = await import("@azure/identity");
  return new DefaultAzureCredential();
}

export async function connectAzure(settings: AzureSettings): Promise<{ queue: AzureServiceBusQueue; blobs: AzureBlobStore }> {
  const queues = { [TILES_QUEUE]: settings.queue, [EVENTS_QUEUE]: settings.queue };
  const needsCredential = !("connectionString" in settings.serviceBus) || !("connectionString" in settings.storage);
  const credential = needsCredential ? await defaultCredential() : undefined;
  const queue = new AzureServiceBusQueue({
    queues,
    connection:
      "connectionString" in settings.serviceBus
        ? settings.serviceBus
        : { namespace: settings.serviceBus.namespace, credential: credential as TokenCredential },
  });
  const blobs =
    "connectionString" in settings.storage
      ? AzureBlobStore.fromConnectionString(settings.storage.connectionString, settings.container)
      : new AzureBlobStore(
          new BlobServiceClient(
            `https://${settings.storage.account}.blob.core.windows.net`,
            credential as TokenCredential,
            BLOB_CLIENT_OPTIONS,
          ).getContainerClient(settings.container),
        );
  return { queue, blobs };
}
