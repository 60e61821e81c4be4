/** The baseline of the cold-start benchmark: a handler that imports nothing. */
export const handler = (): Promise<Record<string, never>> => Promise.resolve({});
