import { spawn } from "node:child_process";
import { ServiceBusClient } from "@azure/service-bus";
import { describe, expect, it } from "vitest";
import { exited, pidAlive } from "../../infra/local/child-process.js";
import { emulatorMainScript, startServiceBusEmulatorProcess } from "../../infra/local/service-bus-emulator/process.js";

// The emulator as a real OS process, from the build (`npm run build` first; CI runs the tests after it).

describe("the Service Bus emulator process", () => {
  it("serves the SDK from its own process and is gone after stop()", async () => {
    const emulator = await startServiceBusEmulatorProcess({ lockMs: 5_000, maxDeliveryCount: 3 });
    try {
      expect(emulator.pid).not.toBe(process.pid);
      expect(pidAlive(emulator.pid)).toBe(true);
      expect(emulator.connectionString).toContain(`sb://localhost:${emulator.port};`);
      const client = new ServiceBusClient(emulator.connectionString, { retryOptions: { maxRetries: 0, timeoutInMs: 5_000 } });
      try {
        const sender = client.createSender("tiles");
        await sender.sendMessages({ sessionId: "job", body: { tile: 1 } });
        await sender.close();
        const receiver = await client.acceptNextSession("tiles", { maxAutoLockRenewalDurationInMs: 0 });
        try {
          // The --lock-ms setting reached the queue.
          const lockMs = (receiver.sessionLockedUntilUtc?.getTime() ?? 0) - Date.now();
          expect(lockMs).toBeGreaterThan(3_000);
          expect(lockMs).toBeLessThanOrEqual(5_000);
          const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
          expect(message?.body).toEqual({ tile: 1 });
          if (message) await receiver.completeMessage(message);
        } finally {
          await receiver.close();
        }
      } finally {
        await client.close();
      }
    } finally {
      await emulator.stop();
    }
    expect(pidAlive(emulator.pid)).toBe(false);
  });

  it("prints exactly one JSON line and exits 0 on SIGINT and on SIGTERM", async () => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const child = spawn(
        process.execPath,
        [emulatorMainScript(), "--port", "0", "--queues", '{"q":{"lockDurationMs":1000,"maxDeliveryCount":2}}'],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stdout = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      await new Promise<void>((resolve) => child.stdout.on("data", () => stdout.includes("\n") && resolve()));
      const gone = exited(child);
      child.kill(signal);
      await gone;
      expect(child.exitCode).toBe(0);
      const lines = stdout.split("\n").filter((line) => line !== "");
      expect(lines).toHaveLength(1);
      const ready = JSON.parse(lines[0] as string) as { port: number; connectionString: string };
      expect(ready.port).toBeGreaterThan(0);
      expect(ready.connectionString).toBe(
        `Endpoint=sb://localhost:${ready.port};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true`,
      );
    }
  });

  it("rejects with the child's stderr when it exits before listening", async () => {
    await expect(startServiceBusEmulatorProcess({ queues: {} })).rejects.toThrow(
      /exited \(code 2\) before it was ready:\nservice-bus-emulator: --queues: config must name at least one queue/,
    );
    await expect(startServiceBusEmulatorProcess({ lockMs: -5 })).rejects.toThrow(/--lock-ms must be an integer/);
  });
});
