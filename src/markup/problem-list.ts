import type { Problem, Severity } from './types.js';

/** A document place, 1-based. */
export interface Place {
  line: number;
  column: number;
}

/**
 * Collects problems in document order of discovery. Capped so a hostile document with thousands of
 * unknown attributes cannot grow the result without bound; errors are always kept.
 */
export class ProblemList {
  static readonly maxWarnings = 200;
  readonly items: Problem[] = [];
  private warnings = 0;

  add(code: number, severity: Severity, place: Place, message: string): void {
    if (severity === 'warning') {
      if (this.warnings >= ProblemList.maxWarnings) return;
      this.warnings += 1;
    }
    this.items.push({ code, severity, line: place.line, column: place.column, message });
  }

  error(code: number, place: Place, message: string): void {
    this.add(code, 'error', place, message);
  }

  warning(code: number, place: Place, message: string): void {
    this.add(code, 'warning', place, message);
  }

  hasErrors(): boolean {
    return this.items.some((problem) => problem.severity === 'error');
  }
}
