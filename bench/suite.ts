/** What every benchmark suite provides; `dialtone bench` runs them and prints a JSON summary at the end. */
export interface BenchContext {
  /** Shorter, noisier runs (for smoke-testing the harness). */
  quick: boolean;
  /** Prints one line of the suite's table. */
  log: (line: string) => void;
}

/** Figures by name; ratios against a baseline measured in the same run are named `…Ratio`. */
export type BenchFigures = Record<string, number | string>;

export interface BenchSuite {
  name: string;
  description: string;
  run(context: BenchContext): Promise<BenchFigures>;
}
