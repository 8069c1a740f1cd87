/** Threefry-2x32 rotation constants (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"). */
const ROT = [13, 15, 26, 6, 17, 29, 16, 24] as const;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

/**
 * The first output word of Threefry-2x32 with 20 rounds, as a signed int32 bit pattern. The
 * same arithmetic (32-bit wrapping adds, rotations, xors) is rendered in every backend, so the
 * bits agree everywhere.
 */
export const threefry2x32 = (k0: number, k1: number, c0: number, c1: number): number => {
  const ks = [k0 | 0, k1 | 0, (0x1bd11bda ^ k0 ^ k1) | 0];
  let x0 = (c0 + ks[0]!) | 0;
  let x1 = (c1 + ks[1]!) | 0;
  for (let block = 0; block < 5; block++) {
    for (let r = 0; r < 4; r++) {
      x0 = (x0 + x1) | 0;
      x1 = rotl(x1, ROT[(block % 2) * 4 + r]!) ^ x0;
    }
    x0 = (x0 + ks[(block + 1) % 3]!) | 0;
    x1 = (x1 + ks[(block + 2) % 3]! + block + 1) | 0;
  }
  return x0;
};
