/**
 * Lifeboat's error hierarchy. State machines catch errors by `name`, so each class sets a stable
 * name that ends in `Error` (or is one of the documented workflow error names) and keeps `cause`.
 */
export class LifeboatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A config file that cannot be used; `problems` holds one `path: what is wrong` line per problem. */
export class ConfigError extends LifeboatError {
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super(`Invalid Lifeboat config ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** A scenario file that cannot be run; `problems` holds one `path: what is wrong` line per problem. */
export class ScenarioError extends LifeboatError {
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super(`Invalid scenario ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}
