/** Where the reliability tests of this checkout leave their figures for the reporter. */
export function figuresDir(): string;
