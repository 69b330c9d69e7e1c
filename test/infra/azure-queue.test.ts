import { AzureServiceBusQueue } from "../../infra/azure/service-bus-queue.js";
import { startServiceBusEmulator } from "../../infra/local/service-bus-emulator/server.js";
import { runQueueContract } from "../contract/queue.contract.js";

// Short locks keep the suite to a minute of real time; the broker enforces them for real.
const LOCK_MS = 2_000;
const MAX_DELIVERIES = 3;

// The real @azure/service-bus client over real sockets, against the local emulator: a fresh
// emulator per test, so every test starts from empty queues.
runQueueContract("AzureServiceBusQueue on the Service Bus emulator", async () => {
  const settings = { lockDurationMs: LOCK_MS, maxDeliveryCount: MAX_DELIVERIES };
  const queues = { tiles: settings, events: settings };
  const emulator = await startServiceBusEmulator({ queues });
  const queue = new AzureServiceBusQueue({
    connection: { connectionString: emulator.connectionString },
    queues,
    operationTimeoutMs: 10_000,
  });
  return {
    queue,
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    lockDurationMs: LOCK_MS,
    maxDeliveryCount: MAX_DELIVERIES,
    async close() {
      await queue.close();
      await emulator.stop();
    },
  };
});
