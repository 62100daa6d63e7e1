// Wall-clock nanoseconds for message timestamps: a monotonic clock anchored once to the wall clock.

const anchorNs =
  BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6)) - process.hrtime.bigint();

/** Unix time in nanoseconds (microsecond-accurate anchor, nanosecond-resolution steps). */
export function nowNs(): bigint {
  return anchorNs + process.hrtime.bigint();
}
