/** The differential suite, statements: result sets, errors and batches. */
import { BATCH_SCENARIOS } from './scenarios/batch';
import { ERROR_SCENARIOS } from './scenarios/errors';
import { RESULT_SCENARIOS } from './scenarios/results';
import { differentialSuite } from './suite';

differentialSuite([...RESULT_SCENARIOS, ...ERROR_SCENARIOS, ...BATCH_SCENARIOS]);
