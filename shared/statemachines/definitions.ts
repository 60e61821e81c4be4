/**
 * Workflows deployed from another workflow's definition, by name: `lifeboat-switchover` runs
 * `statemachines/failback.asl.json` and tells itself apart by its state machine's name
 * (`shared/failback/guardedMove.ts`).
 */
export const SHARED_DEFINITIONS: Readonly<Record<string, string>> = { switchover: 'failback' };

/** The definition a workflow runs: `statemachines/<definitionOf(name)>.asl.json`. */
export function definitionOf(workflow: string): string {
  return SHARED_DEFINITIONS[workflow] ?? workflow;
}
