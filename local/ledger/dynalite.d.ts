// dynalite ships no type declarations; this covers only what EmbeddedDynamo uses.
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** How long a new table stays CREATING; dynalite's default is 500. */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    /** A LevelDB directory; in memory when omitted. */
    path?: string;
  }

  /** An HTTP server that speaks the DynamoDB API; `close` also closes its store. */
  function dynalite(options?: DynaliteOptions): Server;

  export = dynalite;
}
