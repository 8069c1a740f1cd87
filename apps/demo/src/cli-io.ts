/** Where a command writes: the process's streams in the binary, string buffers in tests. */
export type CliIo = {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
};

/** The process's stdout and stderr. */
export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};
