/**
 * The WebAssembly text of the implicit-GEMM convolutions' two data movers (see wasm-conv.ts):
 * `gather` packs GEMM B panels straight from a padded image through two offset tables (an
 * indirection buffer, as XNNPACK's `igemm`, but per tap and per window rather than per pixel,
 * since loom's images are NCHW), and `scatter` adds a GEMM result back into an image through the
 * same tables (col2im). Element (p, j) of the virtual matrix is the float at byte address
 * `rows[p] + cols[j]`; a per-panel flag says when the panel's 8 columns are 8 consecutive
 * floats, which is what stride-1 windows inside one output row are, so that panel moves as two
 * vectors instead of eight scalars. Nothing here runs at load time.
 */

import { NR } from "./gemm-wat";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const get = (name: string) => `(local.get $${name})`;
const i32 = (name: string, by: number) =>
  `(local.set $${name} (i32.add ${get(name)} (i32.const ${by})))`;

/** Panel flags: eight floats apart as in the scalar case, consecutive, every other float (stride 2), or two consecutive runs (split + the first run's length). */
export const PANEL = { scattered: 0, consecutive: 1, stride2: 2, split: 8 } as const;

/** The eight even floats of the 32 bytes at `a` and `b` (two vectors). */
const evens = (a: string, b: string) =>
  `(i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load ${a}) (v128.load ${b}))`;

/** A vector of a split panel: the first run's lanes from `c0`, the rest from `c1`. */
const runs = (at: (off: number, base?: string) => string, off: number, mask: string) =>
  `(v128.bitselect (v128.load ${at(off)}) (v128.load ${at(off, "c1")}) ${get(mask)})`;

/**
 * The per-step loop of a vector panel: `lo` and `hi` give the panel's two vectors for the
 * window origin at byte address `(r[p] + c0)` (or `c1`), `at(offset, base)` naming the address.
 */
const vectorLoop = (
  label: string,
  lo: (at: (off: number, base?: string) => string) => string,
  hi: (at: (off: number, base?: string) => string) => string,
): string => {
  const at = (off: number, base = "c0") => `offset=${off} (i32.add ${get("t")} ${get(base)})`;
  return `(loop $${label}
            (local.set $t (i32.load ${get("r")}))
            (v128.store ${get("dst")} ${lo(at)})
            (v128.store offset=16 ${get("dst")} ${hi(at)})
            ${i32("r", 4)} ${i32("dst", 4 * NR)}
            (br_if $${label} (local.tee $p (i32.sub ${get("p")} (i32.const 1)))))`;
};

/**
 * `gather(rows, cols, flags, kc, nc, dst)`: packs the `kc x nc` block into 8-wide panels,
 * `dst[j0*kc + p*8 + jj]`, as gemm-wat.ts's `pack` lays out B. `rows`: kc i32 byte offsets;
 * `cols`: nc i32 byte offsets, readable up to a multiple of 8 (the extra columns' values are
 * garbage that only reaches C's padding columns); `flags`: one i32 per panel. All byte addresses.
 */
const gatherFunc =
  (): string => `(func (export "gather") (param $rows i32) (param $cols i32) (param $flags i32)
    (param $kc i32) (param $nc i32) (param $dst i32)
    (local $j i32) (local $p i32) (local $r i32) (local $t i32) (local $f i32) (local $s i32)
    (local $m0 v128) (local $m1 v128)
    ${range(NR)
      .map((jj) => `(local $c${jj} i32)`)
      .join(" ")}
    (block $done (loop $panels
      (br_if $done (i32.ge_s ${get("j")} ${get("nc")}))
      (local.set $r ${get("rows")})
      (local.set $p ${get("kc")})
      (local.set $f (i32.load ${get("flags")}))
      (local.set $c0 (i32.load ${get("cols")}))
      (if (i32.eq ${get("f")} (i32.const ${PANEL.consecutive}))
        (then ${vectorLoop(
          "vec",
          (at) => `(v128.load ${at(0)})`,
          (at) => `(v128.load ${at(16)})`,
        )})
      (else (if (i32.eq ${get("f")} (i32.const ${PANEL.stride2}))
        (then ${vectorLoop(
          "st2",
          (at) => evens(at(0), at(16)),
          (at) => evens(at(32), at(48)),
        )})
      (else (if (i32.ge_u ${get("f")} (i32.const ${PANEL.split}))
        (then
          (local.set $s (i32.sub ${get("f")} (i32.const ${PANEL.split})))
          (local.set $c1 (i32.sub (i32.load (i32.add ${get("cols")} (i32.shl ${get("s")} (i32.const 2))))
            (i32.shl ${get("s")} (i32.const 2))))
          (local.set $m0 (i32x4.lt_s (v128.const i32x4 0 1 2 3) (i32x4.splat ${get("s")})))
          (local.set $m1 (i32x4.lt_s (v128.const i32x4 4 5 6 7) (i32x4.splat ${get("s")})))
          ${vectorLoop(
            "seg",
            (at) => runs(at, 0, "m0"),
            (at) => runs(at, 16, "m1"),
          )})
        (else
          ${range(NR)
            .map((jj) => `(local.set $c${jj} (i32.load offset=${4 * jj} ${get("cols")}))`)
            .join(" ")}
          (loop $lanes
            (local.set $t (i32.load ${get("r")}))
            ${range(NR)
              .map(
                (jj) =>
                  `(f32.store offset=${4 * jj} ${get("dst")} (f32.load (i32.add ${get("t")} ${get(`c${jj}`)})))`,
              )
              .join("\n            ")}
            ${i32("r", 4)} ${i32("dst", 4 * NR)}
            (br_if $lanes (local.tee $p (i32.sub ${get("p")} (i32.const 1)))))))))))
      ${i32("cols", 4 * NR)} ${i32("flags", 4)} ${i32("j", NR)}
      (br $panels))))`;

/**
 * `scatter(c, ldc, rows, cols, flags, m, nc)`: adds the `m x nc` matrix at `c` (row stride
 * `ldc` bytes) into memory, element (i, j) at `rows[i] + cols[j]`; only the `nc` real columns
 * (flags are set on whole panels only). Rows outermost: each row's windows overlap no other
 * window of the same tap, but later rows may add to the same pixels, in order.
 */
const scatterFunc =
  (): string => `(func (export "scatter") (param $c i32) (param $ldc i32) (param $rows i32)
    (param $cols i32) (param $flags i32) (param $m i32) (param $nc i32)
    (local $i i32) (local $j i32) (local $jj i32) (local $t i32) (local $a i32) (local $s i32)
    (local $col i32) (local $flag i32) (local $end i32)
    (block $done (loop $rowl
      (br_if $done (i32.ge_s ${get("i")} ${get("m")}))
      (local.set $t (i32.load ${get("rows")}))
      (local.set $s ${get("c")})
      (local.set $col ${get("cols")})
      (local.set $flag ${get("flags")})
      (local.set $j (i32.const 0))
      (block $jdone (loop $panels
        (br_if $jdone (i32.ge_s ${get("j")} ${get("nc")}))
        (if (i32.eq (i32.load ${get("flag")}) (i32.const ${PANEL.consecutive}))
          (then
            (local.set $a (i32.add ${get("t")} (i32.load ${get("col")})))
            (v128.store ${get("a")} (f32x4.add (v128.load ${get("a")}) (v128.load ${get("s")})))
            (v128.store offset=16 ${get("a")}
              (f32x4.add (v128.load offset=16 ${get("a")}) (v128.load offset=16 ${get("s")}))))
          (else
            (local.set $end (i32.sub ${get("nc")} ${get("j")}))
            (if (i32.gt_s ${get("end")} (i32.const ${NR})) (then (local.set $end (i32.const ${NR}))))
            (local.set $jj (i32.const 0))
            (block $ldone (loop $lanes
              (br_if $ldone (i32.ge_s ${get("jj")} ${get("end")}))
              (local.set $a (i32.add ${get("t")}
                (i32.load (i32.add ${get("col")} (i32.shl ${get("jj")} (i32.const 2))))))
              (f32.store ${get("a")} (f32.add (f32.load ${get("a")})
                (f32.load (i32.add ${get("s")} (i32.shl ${get("jj")} (i32.const 2))))))
              ${i32("jj", 1)}
              (br $lanes)))))
        ${i32("s", 4 * NR)} ${i32("col", 4 * NR)} ${i32("flag", 4)} ${i32("j", NR)}
        (br $panels)))
      (local.set $c (i32.add ${get("c")} ${get("ldc")}))
      ${i32("rows", 4)} ${i32("i", 1)}
      (br $rowl))))`;

/**
 * `grid(dst, base, ni, nj, nk, si, sj, sk)`: writes the i32 table `base + i*si + j*sj + k*sk`
 * over the `ni x nj x nk` grid in order at `dst` (conv-plan.ts's tap and window offsets).
 */
const gridFunc = (): string => `(func (export "grid") (param $dst i32) (param $base i32)
    (param $ni i32) (param $nj i32) (param $nk i32) (param $si i32) (param $sj i32) (param $sk i32)
    (local $i i32) (local $j i32) (local $k i32) (local $e i32)
    (block $idone (loop $il
      (br_if $idone (i32.ge_s ${get("i")} ${get("ni")}))
      (local.set $j (i32.const 0))
      (block $jdone (loop $jl
        (br_if $jdone (i32.ge_s ${get("j")} ${get("nj")}))
        (local.set $e (i32.add ${get("base")}
          (i32.add (i32.mul ${get("i")} ${get("si")}) (i32.mul ${get("j")} ${get("sj")}))))
        (local.set $k (i32.const 0))
        (block $kdone (loop $kl
          (br_if $kdone (i32.ge_s ${get("k")} ${get("nk")}))
          (i32.store ${get("dst")} ${get("e")})
          ${i32("dst", 4)}
          (local.set $e (i32.add ${get("e")} ${get("sk")}))
          ${i32("k", 1)}
          (br $kl)))
        ${i32("j", 1)}
        (br $jl)))
      ${i32("i", 1)}
      (br $il))))`;

/** The 7 bits of the diffs `v[j+1..j+8) - v[j..j+7)` at `$t` that differ from `step` bytes. */
const offSteps = (step: number) => {
  const ne = (lo: number) =>
    `(i32x4.bitmask (i32x4.ne (i32x4.sub (v128.load offset=${lo + 4} ${get("t")}) (v128.load offset=${lo} ${get("t")})) (i32x4.splat (i32.const ${step}))))`;
  return `(i32.or ${ne(0)} (i32.shl ${ne(12)} (i32.const 3)))`;
};

/**
 * `flags(tab, n, out)`: the kind of each 8-entry panel of the `n` strictly increasing offsets
 * at `tab` (`PANEL`): consecutive floats, every other float, two consecutive runs (split + the
 * first run's length), else scattered, as is a partial last panel.
 */
const flagsFunc =
  (): string => `(func (export "flags") (param $tab i32) (param $n i32) (param $out i32)
    (local $j i32) (local $t i32) (local $m i32) (local $kind i32)
    (block $done (loop $panels
      (br_if $done (i32.ge_s ${get("j")} ${get("n")}))
      (local.set $t (i32.add ${get("tab")} (i32.shl ${get("j")} (i32.const 2))))
      (local.set $kind (i32.const ${PANEL.scattered}))
      (if (i32.le_s (i32.add ${get("j")} (i32.const ${NR})) ${get("n")})
        (then
          (local.set $m ${offSteps(4)})
          (if (i32.eqz ${get("m")})
            (then (local.set $kind (i32.const ${PANEL.consecutive})))
            (else (if (i32.eq (i32.popcnt ${get("m")}) (i32.const 1))
              (then (local.set $kind (i32.add (i32.const ${PANEL.split + 1}) (i32.ctz ${get("m")}))))
              (else (if (i32.eqz ${offSteps(8)})
                (then (local.set $kind (i32.const ${PANEL.stride2}))))))))))
      (i32.store ${get("out")} ${get("kind")})
      ${i32("out", 4)} ${i32("j", NR)}
      (br $panels))))`;

/** `shuffle(a, b)` picking four floats by index (0-3 from a, 4-7 from b). */
const shuffle = (lanes: readonly number[], a: string, b: string) =>
  `(i8x16.shuffle ${lanes.flatMap((f) => [0, 1, 2, 3].map((k) => 4 * f + k)).join(" ")} ${a} ${b})`;

/**
 * `packA4(src, ld, rows, kc, dst)`: gemm-wat.ts's `pack` for a row-major A (row stride `ld`
 * floats) and 4-row panels, `rows` a multiple of 4: four rows by four steps at a time, as four
 * vector loads, a 4x4 transpose in shuffles and four vector stores (the generic `pack` moves
 * one float at a time, which cost a third of the block kernel's time on small-image layers).
 */
const packA4Func = (): string => {
  const row = (ii: number) =>
    `(v128.load (i32.add ${get("s")} (i32.mul ${get("ld")} (i32.const ${ii}))))`;
  const lanes = [
    [0, 4, 1, 5],
    [2, 6, 3, 7],
  ];
  return `(func (export "packA4") (param $src i32) (param $ld i32) (param $rows i32) (param $kc i32)
    (param $dst i32)
    (local $i0 i32) (local $p i32) (local $s i32) (local $ii i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $ld (i32.shl ${get("ld")} (i32.const 2)))
    (block $done (loop $panels
      (br_if $done (i32.ge_s ${get("i0")} ${get("rows")}))
      (local.set $s (i32.add ${get("src")} (i32.mul ${get("i0")} ${get("ld")})))
      (local.set $p (i32.const 0))
      (block $vdone (loop $steps
        (br_if $vdone (i32.gt_s (i32.add ${get("p")} (i32.const 4)) ${get("kc")}))
        ${[0, 1, 2, 3].map((ii) => `(local.set $r${ii} ${row(ii)})`).join(" ")}
        (local.set $t0 ${shuffle(lanes[0]!, get("r0"), get("r1"))})
        (local.set $t1 ${shuffle(lanes[0]!, get("r2"), get("r3"))})
        (local.set $t2 ${shuffle(lanes[1]!, get("r0"), get("r1"))})
        (local.set $t3 ${shuffle(lanes[1]!, get("r2"), get("r3"))})
        (v128.store ${get("dst")} ${shuffle([0, 1, 4, 5], get("t0"), get("t1"))})
        (v128.store offset=16 ${get("dst")} ${shuffle([2, 3, 6, 7], get("t0"), get("t1"))})
        (v128.store offset=32 ${get("dst")} ${shuffle([0, 1, 4, 5], get("t2"), get("t3"))})
        (v128.store offset=48 ${get("dst")} ${shuffle([2, 3, 6, 7], get("t2"), get("t3"))})
        ${i32("s", 16)} ${i32("dst", 64)} ${i32("p", 4)}
        (br $steps)))
      (block $tdone (loop $tail
        (br_if $tdone (i32.ge_s ${get("p")} ${get("kc")}))
        ${[0, 1, 2, 3]
          .map(
            (ii) =>
              `(f32.store offset=${4 * ii} ${get("dst")} (f32.load (i32.add ${get("s")} (i32.mul ${get("ld")} (i32.const ${ii})))))`,
          )
          .join("\n        ")}
        ${i32("s", 4)} ${i32("dst", 16)} ${i32("p", 1)}
        (br $tail)))
      ${i32("i0", 4)}
      (br $panels))))`;
};

/**
 * The convolutions' functions, to splice into the GEMM module (they share its memory); a
 * function, so that gemm-wat.ts can import it while this file imports its `NR`.
 */
export const convWat = (): string => `${gatherFunc()}
  ${scatterFunc()}
  ${gridFunc()}
  ${flagsFunc()}
  ${packA4Func()}`;
