// The orders in which the interleaved file stores take their turns (run.ts): a Williams design, so
// that no store always follows the same one (the one before it may have left the disk slow, or a
// queue behind). Check it by running this file: `npx tsx bench/williams.ts` prints the orders for 2
// to 6 stores and fails if, over the whole design, some store follows another more often than the rest.
import { isRunDirectly } from "../steps/run.ts";

/** The n cyclic rows: 0, 1, n−1, 2, n−2, … shifted by the row's number. */
function cyclicRow(n: number, row: number): number[] {
  const first = Array.from({ length: n }, (_, i) => (i % 2 === 1 ? (i + 1) / 2 : (n - i / 2) % n));
  return first.map((value) => (value + row) % n);
}

/**
 * Row `round` of a Williams design for n treatments. For even n the n cyclic rows put every store
 * right after every other exactly once. For odd n the cyclic rows alone are a plain rotation (n = 3:
 * 0 1 2, 1 2 0, 2 0 1: store 1 always follows store 0), so the design has 2n rows, each cyclic row
 * followed by its reverse (0 1 2, 2 1 0, 1 2 0, 0 2 1, …), and every store follows every other exactly
 * twice. The bench runs as many rounds as repetitions (3), so with an odd number of stores it uses
 * the first rows only: balanced as far as they go, not completely.
 */
export function williamsOrder(n: number, round: number): number[] {
  if (n % 2 === 0) return cyclicRow(n, round % n);
  const index = round % (2 * n);
  const row = cyclicRow(n, Math.floor(index / 2));
  return index % 2 === 0 ? row : row.reverse();
}

/** How often each store directly follows each other one over `rounds` rounds: counts[before][after]. */
export function successions(n: number, rounds: number): number[][] {
  const counts = Array.from({ length: n }, () => Array<number>(n).fill(0));
  for (let round = 0; round < rounds; round++) {
    const order = williamsOrder(n, round);
    for (let i = 1; i < n; i++) counts[order[i - 1]!]![order[i]!]!++;
  }
  return counts;
}

if (isRunDirectly(import.meta.url)) {
  for (let n = 2; n <= 6; n++) {
    const rows = n % 2 === 0 ? n : 2 * n;
    const orders = Array.from({ length: rows }, (_, round) => williamsOrder(n, round).join(" "));
    const counts = successions(n, rows).flatMap((row, before) => row.filter((_, after) => after !== before));
    const balanced = counts.every((count) => count === counts[0]) && orders.every((order) => new Set(order.split(" ")).size === n);
    console.log(`n=${n}: ${orders.join(" / ")}: every store follows every other ${counts[0]}× ${balanced ? "ok" : "NOT BALANCED"}`);
    if (!balanced) process.exitCode = 1;
  }
}
