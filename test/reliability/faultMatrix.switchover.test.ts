import { describeFaultMatrix } from './support/faultMatrix.ts';
import { GUARDED_MOVE_NOT_FAILED } from './support/guardedMoveFaults.ts';
import { switchoverUnderTest } from './support/matrix.ts';

// The matrix's rows are what a clean switchover calls: nothing it calls can be left out. Its
// permanent faults end as a failback's do (the same definition, the same fallbacks).
await describeFaultMatrix(switchoverUnderTest, GUARDED_MOVE_NOT_FAILED, import.meta.url);
