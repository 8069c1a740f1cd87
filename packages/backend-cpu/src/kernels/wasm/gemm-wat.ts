/**
 * The WebAssembly text of the f32x4 GEMM kernels, generated so that the register tile's size
 * is a parameter (the accumulators are unrolled by hand, as in XNNPACK's `f32-gemm` wasmsimd
 * kernels). The build (scripts/build-wasm.ts) assembles it; nothing here runs at load time.
 *
 * Layout, as in the JS GEMM (gemm.ts) but in float32: A is packed into `MR`-tall row panels
 * (`PA[(i0*kc + p*MR + ii)]`), B into `NR = 8` wide column panels (`PB[j0*kc + p*8 + jj]`), both
 * zero-padded, and C is a padded row-major block whose row stride is a multiple of 8. The tile
 * keeps `MR x 2` accumulators in v128 locals: per step it loads one B row as two vectors and
 * broadcasts each A element with `v128.load32_splat` (XNNPACK's "splat" pattern).
 */

import { convWat } from "./conv-wat";

/** Columns of a B panel: two f32x4 vectors. */
export const NR = 8;

/** Rows of the register tile the build uses (see docs/ARCHITECTURE.md for the measurements). */
export const GEMM_MR = 4;

/** How one kernel variant is generated. */
export interface GemmWatOptions {
  /** Rows of the register tile. */
  readonly mr: number;
  /** Fused multiply-add (`f32x4.relaxed_madd`, relaxed SIMD) instead of a rounded multiply then add. */
  readonly fma: boolean;
  /** Import a shared memory (wasm threads: every pool worker runs on it) instead of a private one. */
  readonly shared: boolean;
}

/** Most pages (64 KiB) of a shared memory: V8 reserves a shared memory's maximum up front. */
export const SHARED_MAX_PAGES = 16384;

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const get = (name: string) => `(local.get $${name})`;

/** `acc + x * b`, as one fused op or as a multiply then an add. */
const madd = (fma: boolean, acc: string, x: string, b: string): string =>
  fma
    ? `(f32x4.relaxed_madd ${get(x)} ${get(b)} ${get(acc)})`
    : `(f32x4.add ${get(acc)} (f32x4.mul ${get(x)} ${get(b)}))`;

/**
 * `block(mc, nc, kc, pa, pb, c, ldc, acc)`: C (+)= PA * PB for an `mc x nc` block over `kc`
 * steps, B panels outermost so that one (8 KiB at kc = 256) stays in L1 while the A panels
 * stream from L2. Byte addresses; `ldc` in bytes; kc >= 1.
 */
const blockFunc = ({ mr, fma }: GemmWatOptions): string => {
  const accs = range(mr).flatMap((i) => [`c${i}_0`, `c${i}_1`]);
  const step = range(mr)
    .map(
      (i) => `(local.set $x (v128.load32_splat offset=${4 * i} ${get("a")}))
          (local.set $c${i}_0 ${madd(fma, `c${i}_0`, "x", "b0")})
          (local.set $c${i}_1 ${madd(fma, `c${i}_1`, "x", "b1")})`,
    )
    .join("\n          ");
  const store = (add: boolean) =>
    range(mr)
      .map((i) =>
        [0, 1]
          .map((v) => {
            const at = `offset=${16 * v} ${get("o")}`;
            const val = add
              ? `(f32x4.add (v128.load ${at}) ${get(`c${i}_${v}`)})`
              : get(`c${i}_${v}`);
            return `(v128.store ${at} ${val})`;
          })
          .join(" ")
          .concat(` (local.set $o (i32.add ${get("o")} ${get("ldc")}))`),
      )
      .join("\n            ");
  return `(func (export "block") (param $mc i32) (param $nc i32) (param $kc i32) (param $pa i32)
    (param $pb i32) (param $c i32) (param $ldc i32) (param $acc i32)
    (local $i i32) (local $j i32) (local $p i32) (local $a i32) (local $b i32) (local $o i32)
    (local $x v128) (local $b0 v128) (local $b1 v128)
    ${accs.map((c) => `(local $${c} v128)`).join(" ")}
    (block $jdone (loop $jl
      (br_if $jdone (i32.ge_s ${get("j")} ${get("nc")}))
      (local.set $i (i32.const 0))
      (block $idone (loop $il
        (br_if $idone (i32.ge_s ${get("i")} ${get("mc")}))
        (local.set $a (i32.add ${get("pa")} (i32.shl (i32.mul ${get("i")} ${get("kc")}) (i32.const 2))))
        (local.set $b (i32.add ${get("pb")} (i32.shl (i32.mul ${get("j")} ${get("kc")}) (i32.const 2))))
        ${accs.map((c) => `(local.set $${c} (v128.const i32x4 0 0 0 0))`).join(" ")}
        (local.set $p ${get("kc")})
        (loop $kl
          (local.set $b0 (v128.load ${get("b")}))
          (local.set $b1 (v128.load offset=16 ${get("b")}))
          ${step}
          (local.set $a (i32.add ${get("a")} (i32.const ${4 * mr})))
          (local.set $b (i32.add ${get("b")} (i32.const ${4 * NR})))
          (br_if $kl (local.tee $p (i32.sub ${get("p")} (i32.const 1)))))
        (local.set $o (i32.add ${get("c")} (i32.add (i32.mul ${get("i")} ${get("ldc")}) (i32.shl ${get("j")} (i32.const 2)))))
        (if ${get("acc")}
          (then
            ${store(true)})
          (else
            ${store(false)}))
        (local.set $i (i32.add ${get("i")} (i32.const ${mr})))
        (br $il)))
      (local.set $j (i32.add ${get("j")} (i32.const ${NR})))
      (br $jl))))`;
};

/**
 * `pack(src, rs, cs, rows, kc, dst, width)`: packs the `rows x kc` matrix at `src` (element
 * (i, p) at `src + 4*(i*rs + p*cs)`) into `width`-tall panels, `dst[i0*kc + p*width + ii]`,
 * zero past `rows`. A packs its rows (width MR); B packs its columns as the rows of its
 * transpose (width NR, strides swapped by the caller).
 */
const packFunc = `(func (export "pack") (param $src i32) (param $rs i32) (param $cs i32)
    (param $rows i32) (param $kc i32) (param $dst i32) (param $width i32)
    (local $i0 i32) (local $p i32) (local $ii i32) (local $row i32) (local $s i32)
    (local.set $rs (i32.shl ${get("rs")} (i32.const 2)))
    (local.set $cs (i32.shl ${get("cs")} (i32.const 2)))
    (block $done (loop $panels
      (br_if $done (i32.ge_s ${get("i0")} ${get("rows")}))
      (local.set $p (i32.const 0))
      (block $pdone (loop $steps
        (br_if $pdone (i32.ge_s ${get("p")} ${get("kc")}))
        (local.set $s (i32.add ${get("src")} (i32.add (i32.mul ${get("i0")} ${get("rs")}) (i32.mul ${get("p")} ${get("cs")}))))
        (local.set $ii (i32.const 0))
        (block $idone (loop $lanes
          (br_if $idone (i32.ge_s ${get("ii")} ${get("width")}))
          (local.set $row (i32.add ${get("i0")} ${get("ii")}))
          (f32.store ${get("dst")}
            (if (result f32) (i32.lt_s ${get("row")} ${get("rows")})
              (then (f32.load ${get("s")}))
              (else (f32.const 0))))
          (local.set $s (i32.add ${get("s")} ${get("rs")}))
          (local.set $dst (i32.add ${get("dst")} (i32.const 4)))
          (local.set $ii (i32.add ${get("ii")} (i32.const 1)))
          (br $lanes)))
        (local.set $p (i32.add ${get("p")} (i32.const 1)))
        (br $steps)))
      (local.set $i0 (i32.add ${get("i0")} ${get("width")}))
      (br $panels))))`;

/**
 * `packRows(src, ld, kc, nc, dst)`: the fast case of packing B, a row-major `kc x nc` block
 * (row stride `ld` elements) into 8-wide panels with whole vectors; `nc` a multiple of 8.
 */
const packRowsFunc = `(func (export "packRows") (param $src i32) (param $ld i32) (param $kc i32)
    (param $nc i32) (param $dst i32)
    (local $j0 i32) (local $p i32) (local $s i32)
    (local.set $ld (i32.shl ${get("ld")} (i32.const 2)))
    (block $done (loop $panels
      (br_if $done (i32.ge_s ${get("j0")} ${get("nc")}))
      (local.set $s (i32.add ${get("src")} (i32.shl ${get("j0")} (i32.const 2))))
      (local.set $p ${get("kc")})
      (loop $steps
        (v128.store ${get("dst")} (v128.load ${get("s")}))
        (v128.store offset=16 ${get("dst")} (v128.load offset=16 ${get("s")}))
        (local.set $s (i32.add ${get("s")} ${get("ld")}))
        (local.set $dst (i32.add ${get("dst")} (i32.const 32)))
        (br_if $steps (local.tee $p (i32.sub ${get("p")} (i32.const 1)))))
      (local.set $j0 (i32.add ${get("j0")} (i32.const 8)))
      (br $panels))))`;

/**
 * The whole module: the GEMM block, the packing functions and conv-wat.ts's, over an imported
 * memory (`env.memory`), which the instance's owner creates: shared between threads or not.
 */
export const gemmWat = (opts: GemmWatOptions): string => `(module
  (import "env" "memory" (memory 1 ${opts.shared ? `${SHARED_MAX_PAGES} shared` : ""}))
  ${blockFunc(opts)}
  ${packFunc}
  ${packRowsFunc}
  ${convWat()})`;
