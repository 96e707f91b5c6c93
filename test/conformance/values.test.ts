/** The differential suite, values: reading integers in every intMode and binding every kind of JS value. */
import { VALUE_SCENARIOS } from './scenarios/values';
import { differentialSuite } from './suite';

differentialSuite(VALUE_SCENARIOS);
