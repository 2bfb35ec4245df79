/** mulberry32: a tiny seeded PRNG, so property tests are random but reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [min, max], log-uniform so small and large sizes are both common. */
export function logInt(random: () => number, min: number, max: number): number {
  const value = Math.exp(Math.log(min) + random() * (Math.log(max) - Math.log(min)));
  return Math.max(min, Math.min(max, Math.round(value)));
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}
