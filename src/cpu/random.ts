// The random-number source behind RDRAND.
//
// The core imports nothing from the host, so the source is injected: the
// board passes a function returning 32 random bits per call. The host's
// default is the operating system's entropy (src/host/entropy.ts); with a
// seed, this file's xoshiro128** generator (Blackman and Vigna, 2018),
// seeded through splitmix32, makes every RDRAND reproducible.

/** 32 random bits per call, as an unsigned integer. */
export type RandomSource = () => number;

/** A deterministic xoshiro128** generator whose four state words come from splitmix32 of `seed`. */
export function seededRandom(seed: number): RandomSource {
  let mix = seed | 0;
  const splitmix32 = (): number => {
    mix = (mix + 0x9e3779b9) | 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) | 0;
  };
  let s0 = splitmix32();
  let s1 = splitmix32();
  let s2 = splitmix32();
  let s3 = splitmix32();
  return () => {
    const result = Math.imul(rotateLeft(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotateLeft(s3, 11);
    return result >>> 0;
  };
}

function rotateLeft(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}
