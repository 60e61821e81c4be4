import { describeFaultMatrix } from './support/faultMatrix.ts';
import { GUARDED_MOVE_NOT_FAILED } from './support/guardedMoveFaults.ts';
import { failbackUnderTest } from './support/matrix.ts';

// The matrix's rows are what a clean failback calls: nothing it calls can be left out.
await describeFaultMatrix(failbackUnderTest, GUARDED_MOVE_NOT_FAILED, import.meta.url);
