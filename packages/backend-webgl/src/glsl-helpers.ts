/**
 * GLSL helper functions the rendered kernels call (all named `l_*`). A shader includes only
 * the helpers its source mentions (and what they call), so sources stay short and a program's
 * cache key is its exact text.
 */

/** Threefry-2x32 rotation constants (Salmon et al.), as in `@loom/graph`'s `threefry2x32`. */
const ROT = [13, 15, 26, 6, 17, 29, 16, 24] as const;

/**
 * Threefry-2x32-20 in `uint` arithmetic, which wraps in GLSL ES 3.00 exactly as `| 0` does in
 * JS, and `int(uint)` keeps the bit pattern: the bits equal the CPU's. Unrolled at render
 * time, so the shader holds straight-line code.
 */
const threefrySource = (): string => {
  const lines = [
    "int l_threefry(int k0i, int k1i, int c0i, int c1i) {",
    "  uint ks[3] = uint[3](uint(k0i), uint(k1i), 0x1bd11bdau ^ uint(k0i) ^ uint(k1i));",
    "  uint x0 = uint(c0i) + ks[0];",
    "  uint x1 = uint(c1i) + ks[1];",
  ];
  for (let block = 0; block < 5; block++) {
    for (let r = 0; r < 4; r++) {
      const rot = ROT[(block % 2) * 4 + r]!;
      lines.push(`  x0 += x1; x1 = ((x1 << ${rot}u) | (x1 >> ${32 - rot}u)) ^ x0;`);
    }
    lines.push(`  x0 += ks[${(block + 1) % 3}]; x1 += ks[${(block + 2) % 3}] + ${block + 1}u;`);
  }
  lines.push("  return int(x0);", "}");
  return lines.join("\n");
};

/**
 * Every helper, in an order where each one comes after the helpers it calls. NaN and
 * infinity tests look at the bits: a compiler may assume `x != x` is false, never that an
 * integer comparison is.
 */
const HELPERS: readonly (readonly [string, string])[] = [
  ["l_isnan", "bool l_isnan(float x) { return (floatBitsToUint(x) & 0x7fffffffu) > 0x7f800000u; }"],
  [
    "l_isinf",
    "bool l_isinf(float x) { return (floatBitsToUint(x) & 0x7fffffffu) == 0x7f800000u; }",
  ],
  ["l_nan", "float l_nan() { return uintBitsToFloat(0x7fc00000u); }"],
  ["l_inf", "float l_inf() { return uintBitsToFloat(0x7f800000u); }"],
  // Math.max/min: NaN if either is NaN (GLSL's max leaves that undefined).
  [
    "l_max",
    "float l_max(float a, float b) { return l_isnan(a) || l_isnan(b) ? l_nan() : max(a, b); }",
  ],
  [
    "l_min",
    "float l_min(float a, float b) { return l_isnan(a) || l_isnan(b) ? l_nan() : min(a, b); }",
  ],
  // Math.sign keeps -0, +0 and NaN as they are.
  ["l_sign", "float l_sign(float a) { return a > 0.0 ? 1.0 : a < 0.0 ? -1.0 : a; }"],
  // 2^k for k in [-126, 127], from the exponent bits.
  ["l_exp2i", "float l_exp2i(int k) { return uintBitsToFloat(uint(k + 127) << 23); }"],
  // exp, log, sin, cos and tanh are Cephes' float32 algorithms (range reduction with split
  // constants, then minimax polynomials): about 1 ulp wherever the GPU's + and * are IEEE,
  // where drivers' built-ins are far coarser (SwiftShader's sin is off by 1e-4).
  [
    "l_exp",
    [
      "float l_exp(float x) {",
      "  if (l_isnan(x)) return x;",
      "  if (x > 88.72283905206835) return l_inf();",
      "  if (x < -103.97208) return 0.0;",
      "  float n = floor(1.44269504088896341 * x + 0.5);",
      "  float r = x - n * 0.693359375;",
      "  r -= n * -2.12194440e-4;",
      "  float z = r * r;",
      "  float p = (((((1.9875691500e-4 * r + 1.3981999507e-3) * r + 8.3334519073e-3) * r",
      "    + 4.1665795894e-2) * r + 1.6666665459e-1) * r + 5.0000001201e-1) * z + r + 1.0;",
      "  int k = int(n);",
      "  return p * l_exp2i(k / 2) * l_exp2i(k - k / 2);",
      "}",
    ].join("\n"),
  ],
  [
    "l_log",
    [
      "float l_log(float a) {",
      "  if (l_isnan(a) || a < 0.0) return l_nan();",
      "  if (a == 0.0) return -l_inf();",
      "  if (l_isinf(a)) return a;",
      "  int e = 0;",
      "  if (a < 1.17549435e-38) { a *= 8388608.0; e = -23; }",
      "  uint bits = floatBitsToUint(a);",
      "  e += int((bits >> 23) & 0xffu) - 126;",
      "  float x = uintBitsToFloat((bits & 0x007fffffu) | 0x3f000000u);",
      "  if (x < 0.707106781186547524) { e -= 1; x = x + x - 1.0; } else { x = x - 1.0; }",
      "  float z = x * x;",
      "  float y = ((((((((7.0376836292e-2 * x - 1.1514610310e-1) * x + 1.1676998740e-1) * x",
      "    - 1.2420140846e-1) * x + 1.4249322787e-1) * x - 1.6668057665e-1) * x",
      "    + 2.0000714765e-1) * x - 2.4999993993e-1) * x + 3.3333331174e-1) * x * z;",
      "  float fe = float(e);",
      "  y += -2.12194440e-4 * fe;",
      "  y += -0.5 * z;",
      "  return x + y + 0.693359375 * fe;",
      "}",
    ].join("\n"),
  ],
  // sin and cos share the reduction modulo pi/4 (octant j, with the pi/4 split in three).
  [
    "l_sincos",
    [
      "float l_sincos(float xx, bool cosine) {",
      "  if (l_isnan(xx) || l_isinf(xx)) return l_nan();",
      "  float x = abs(xx);",
      "  if (x > 8388608.0) return cosine ? cos(xx) : sin(xx);",
      "  bool negative = !cosine && xx < 0.0;",
      "  int j = int(1.27323954473516 * x);",
      "  float y = float(j);",
      "  if ((j & 1) == 1) { j += 1; y += 1.0; }",
      "  j &= 7;",
      "  if (j > 3) { negative = !negative; j -= 4; }",
      "  if (cosine && j > 1) negative = !negative;",
      "  x = ((x - y * 0.78515625) - y * 2.4187564849853515625e-4) - y * 3.77489497744594108e-8;",
      "  float z = x * x;",
      "  bool sinePoly = (j == 1 || j == 2) == cosine;",
      "  float r = sinePoly",
      "    ? ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * x + x",
      "    : ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;",
      "  return negative ? -r : r;",
      "}",
    ].join("\n"),
  ],
  ["l_sin", "float l_sin(float x) { return l_sincos(x, false); }"],
  ["l_cos", "float l_cos(float x) { return l_sincos(x, true); }"],
  [
    "l_tanh",
    [
      "float l_tanh(float x) {",
      "  float z = abs(x);",
      "  if (l_isnan(x) || z < 1e-30) return x;",
      "  if (z > 10.0) return x > 0.0 ? 1.0 : -1.0;",
      "  if (z > 0.625) {",
      "    float r = 1.0 - 2.0 / (l_exp(2.0 * z) + 1.0);",
      "    return x < 0.0 ? -r : r;",
      "  }",
      "  float s = x * x;",
      "  return ((((-5.70498872745e-3 * s + 2.06390887954e-2) * s - 5.37397155531e-2) * s",
      "    + 1.33314422036e-1) * s - 3.33332819422e-1) * s * x + x;",
      "}",
    ].join("\n"),
  ],
  ["l_sqrt", "float l_sqrt(float a) { return l_isnan(a) || a < 0.0 ? l_nan() : sqrt(a); }"],
  [
    "l_pow",
    [
      "float l_pow(float a, float b) {",
      "  if (b == 0.0) return 1.0;",
      "  if (l_isnan(a) || l_isnan(b) || (abs(a) == 1.0 && l_isinf(b))) return l_nan();",
      "  bool integral = floor(b) == b;",
      "  if (a < 0.0 && !integral && !l_isinf(a)) return l_nan();",
      "  float m = abs(a);",
      "  float r = m == 0.0 ? (b > 0.0 ? 0.0 : l_inf())",
      "    : l_isinf(m) ? (b > 0.0 ? l_inf() : 0.0)",
      "    : l_isinf(b) ? ((m > 1.0) == (b > 0.0) ? l_inf() : 0.0)",
      "    : b == 2.0 ? m * m : b == 0.5 ? sqrt(m) : pow(m, b);",
      "  bool odd = integral && abs(b) < 16777216.0 && mod(b, 2.0) == 1.0;",
      "  return odd && (floatBitsToUint(a) >> 31) == 1u ? -r : r;",
      "}",
    ].join("\n"),
  ],
  // JS `%` on floats (C's fmod), exact as fmod is: subtract the divisor scaled by the largest
  // power of two that fits, until the remainder is below it (each subtraction is exact).
  [
    "l_fmod",
    [
      "float l_fmod(float a, float b) {",
      "  if (l_isnan(a) || l_isnan(b) || l_isinf(a) || b == 0.0) return l_nan();",
      "  if (l_isinf(b)) return a;",
      "  float m = abs(b);",
      "  float r = abs(a);",
      "  for (int i = 0; i < 300 && r >= m; i++) {",
      "    uint shift = (floatBitsToUint(r) >> 23) - (floatBitsToUint(m) >> 23);",
      "    float t = uintBitsToFloat(floatBitsToUint(m) + (shift << 23));",
      "    if (t > r) t = uintBitsToFloat(floatBitsToUint(t) - (1u << 23));",
      "    r -= t;",
      "  }",
      "  return (floatBitsToUint(a) >> 31) == 1u ? -r : r;",
      "}",
    ].join("\n"),
  ],
  // Integer division and remainder as JS `(a / b) | 0` and `(a % b) | 0` (GLSL leaves negative
  // operands undefined): on magnitudes in uint, then the sign.
  [
    "l_idiv",
    [
      "int l_idiv(int a, int b) {",
      "  if (b == 0) return 0;",
      "  uint q = (a < 0 ? 0u - uint(a) : uint(a)) / (b < 0 ? 0u - uint(b) : uint(b));",
      "  return int((a < 0) != (b < 0) ? 0u - q : q);",
      "}",
    ].join("\n"),
  ],
  [
    "l_imod",
    [
      "int l_imod(int a, int b) {",
      "  if (b == 0) return 0;",
      "  uint r = (a < 0 ? 0u - uint(a) : uint(a)) % (b < 0 ? 0u - uint(b) : uint(b));",
      "  return int(a < 0 ? 0u - r : r);",
      "}",
    ].join("\n"),
  ],
  ["l_iabs", "int l_iabs(int a) { return a < 0 ? -a : a; }"],
  // JS shifts take the count mod 32; GLSL leaves counts >= 32 undefined.
  ["l_shl", "int l_shl(int a, int b) { return int(uint(a) << uint(b & 31)); }"],
  ["l_shr", "int l_shr(int a, int b) { return int(uint(a) >> uint(b & 31)); }"],
  // castNumber: float to int truncates and wraps mod 2^32 (NaN and infinities give 0).
  [
    "l_f2i",
    [
      "int l_f2i(float a) {",
      "  if (l_isnan(a) || l_isinf(a)) return 0;",
      "  float t = trunc(a);",
      "  if (abs(t) < 2147483648.0) return int(t);",
      "  return int(uint(t - 4294967296.0 * floor(t / 4294967296.0)));",
      "}",
    ].join("\n"),
  ],
  ["l_f2b", "bool l_f2b(float a) { return a != 0.0 && !l_isnan(a); }"],
  ["l_threefry", threefrySource()],
];

const HELPER_NAME = /\bl_[a-z0-9]+\b/g;

/**
 * The helper definitions a piece of GLSL needs, in dependency order: the helpers it names,
 * and recursively the helpers those name.
 */
export const helpersFor = (source: string): string => {
  const wanted = new Set<string>();
  const visit = (text: string) => {
    for (const m of text.matchAll(HELPER_NAME)) {
      if (wanted.has(m[0])) continue;
      const def = HELPERS.find(([name]) => name === m[0]);
      if (def === undefined) continue;
      wanted.add(m[0]);
      visit(def[1]);
    }
  };
  visit(source);
  return HELPERS.filter(([name]) => wanted.has(name))
    .map(([, src]) => src)
    .join("\n");
};
