/** AMQP value helpers: .NET ticks, GUID lock tokens in .NET byte order. */

import rhea from "rhea";

const EPOCH_TICKS = 621355968000000000n;

/** A date as .NET ticks, wrapped as an AMQP long (what `com.microsoft:locked-until-utc` carries). */
export function ticksLong(ms: number): unknown {
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64BE(BigInt(Math.trunc(ms)) * 10000n + EPOCH_TICKS);
  return rhea.types.wrap_long(buffer);
}

/** A GUID's 16 bytes as .NET writes them (the first three groups little-endian). */
export function guidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, "");
  const bytes = Buffer.from(hex, "hex");
  bytes.subarray(0, 4).reverse();
  bytes.subarray(4, 6).reverse();
  bytes.subarray(6, 8).reverse();
  return bytes;
}
