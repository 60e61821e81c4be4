import type { TwinService } from './types.ts';

export function modelErrors(_service: TwinService, _operation: string, _input: unknown): readonly string[] {
  return [];
}
