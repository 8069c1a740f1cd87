/**
 * How the program runs its commands. `dryRun` stops every command once its options are parsed
 * and validated, before it loads the dataset, runs a model or writes a file (it may read and
 * validate an input checkpoint): the argument fuzz suite runs each command's real parsing and
 * validation this way, in-process and fast.
 */
export interface CliOptions {
  readonly dryRun?: boolean;
}
