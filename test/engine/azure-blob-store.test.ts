// The Azure Blob adapter runs the same contract as the embedded stores, with the real
// @azure/storage-blob client over real sockets against Azurite on loopback.

import { afterAll, beforeAll } from "vitest";
import { AzureBlobStore } from "../../infra/azure/blob-store.js";
import { type Azurite, startAzurite } from "../../infra/local/azurite.js";
import { runBlobStoreContract } from "../contract/blob-store.contract.js";

let azurite: Azurite;
let next = 0;
beforeAll(async () => {
  azurite = await startAzurite();
}, 60_000);
afterAll(() => azurite?.stop());

runBlobStoreContract("AzureBlobStore (Azurite)", async () => {
  // A fresh container per test: the contract wants an empty store.
  const store = AzureBlobStore.fromConnectionString(azurite.connectionString, `contract-${process.pid}-${next++}`);
  return { store, close: async () => {} };
});
