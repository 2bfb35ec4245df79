import { describe, expect, it } from "vitest";
import { addChecksum, addRegionChecksum, emptyChecksum } from "../../src/rechunk/checksum.js";

const shape = [6, 5, 7];
const whole = { start: [0, 0, 0], stop: shape };
const values = Float32Array.from({ length: 6 * 5 * 7 }, (_, i) => Math.sin(i) * 100);

function of(v: Float32Array, region = whole) {
  const sum = emptyChecksum();
  addRegionChecksum(sum, v, [0, 0, 0], shape, region, shape);
  return sum;
}

describe("position-keyed checksums", () => {
  it("sum over any split of the array equals the whole", () => {
    const parts = emptyChecksum();
    for (const [a, b] of [[0, 2], [2, 6]] as const) {
      for (const [c, d] of [[0, 3], [3, 7]] as const) {
        const piece = emptyChecksum();
        addRegionChecksum(piece, values, [0, 0, 0], shape, { start: [a, 0, c], stop: [b, 5, d] }, shape);
        addChecksum(parts, piece);
      }
    }
    expect(parts).toEqual(of(values));
  });

  it("a block placed elsewhere in the array gives the same contribution for the same elements", () => {
    // The sub-block [1..3) × [0..5) × [2..4) copied out on its own, with its origin.
    const sub = new Float32Array(2 * 5 * 2);
    let k = 0;
    for (let i = 1; i < 3; i++) for (let j = 0; j < 5; j++) for (let l = 2; l < 4; l++) sub[k++] = values[i * 35 + j * 7 + l]!;
    const region = { start: [1, 0, 2], stop: [3, 5, 4] };
    const fromSub = emptyChecksum();
    addRegionChecksum(fromSub, sub, [1, 0, 2], [2, 5, 2], region, shape);
    expect(fromSub).toEqual(of(values, region));
  });

  it("changes when one value changes, when two values swap places, or when NaN payload/-0 differ", () => {
    const base = of(values);
    const changed = values.slice();
    changed[17] = changed[17]! + 1e-3;
    expect(of(changed)).not.toEqual(base);
    const swapped = values.slice();
    [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
    expect(of(swapped)).not.toEqual(base);
    const zeros = new Float32Array(values.length);
    const negZero = zeros.slice();
    negZero[0] = -0;
    expect(of(negZero)).not.toEqual(of(zeros));
  });

  it("covers 1-, 2- and 8-byte elements and 0-d arrays", () => {
    for (const ctor of [Uint8Array, Int16Array, Float64Array, BigInt64Array] as const) {
      const a = new ctor(4) as Uint8Array;
      const b = new ctor(4) as Uint8Array;
      (b as unknown as { [i: number]: number | bigint })[2] = ctor === BigInt64Array ? 1n : 1;
      const sa = emptyChecksum();
      const sb = emptyChecksum();
      addRegionChecksum(sa, a, [0], [4], { start: [0], stop: [4] }, [4]);
      addRegionChecksum(sb, b, [0], [4], { start: [0], stop: [4] }, [4]);
      expect(sa).not.toEqual(sb);
    }
    const s0 = emptyChecksum();
    addRegionChecksum(s0, new Int32Array([5]), [], [], { start: [], stop: [] }, []);
    expect(s0).not.toEqual(emptyChecksum());
  });
});
