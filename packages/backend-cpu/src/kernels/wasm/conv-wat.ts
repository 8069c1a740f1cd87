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

/**
 * `gather(rows, cols, flags, kc, nc, dst)`: packs the `kc x nc` block into 8-wide panels,
 * `dst[j0*kc + p*8 + jj]`, as gemm-wat.ts's `pack` lays out B. `rows`: kc i32 byte offsets;
 * `cols`: nc i32 byte offsets, readable up to a multiple of 8 (the extra columns' values are
 * garbage that only reaches C's padding columns); `flags`: one i32 per panel. All byte addresses.
 */
const gatherFunc =
  (): string => `(func (export "gather") (param $rows i32) (param $cols i32) (param $flags i32)
    (param $kc i32) (param $nc i32) (param $dst i32)
    (local $j i32) (local $p i32) (local $r i32) (local $a i32) (local $t i32)
    ${range(NR)
      .map((jj) => `(local $c${jj} i32)`)
      .join(" ")}
    (block $done (loop $panels
      (br_if $done (i32.ge_s ${get("j")} ${get("nc")}))
      (local.set $r ${get("rows")})
      (local.set $p ${get("kc")})
      (if (i32.load ${get("flags")})
        (then
          (local.set $c0 (i32.load ${get("cols")}))
          (loop $vec
            (local.set $a (i32.add (i32.load ${get("r")}) ${get("c0")}))
            (v128.store ${get("dst")} (v128.load ${get("a")}))
            (v128.store offset=16 ${get("dst")} (v128.load offset=16 ${get("a")}))
            ${i32("r", 4)} ${i32("dst", 4 * NR)}
            (br_if $vec (local.tee $p (i32.sub ${get("p")} (i32.const 1))))))
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
            (br_if $lanes (local.tee $p (i32.sub ${get("p")} (i32.const 1)))))))
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
        (if (i32.load ${get("flag")})
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
 * The convolutions' functions, to splice into the GEMM module (they share its memory); a
 * function, so that gemm-wat.ts can import it while this file imports its `NR`.
 */
export const convWat = (): string => `${gatherFunc()}
  ${scatterFunc()}`;
