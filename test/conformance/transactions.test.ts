/** The differential suite, transactions and scripts: interactive transactions, executeMultiple, migrate, several clients. */
import { CLIENT_SCENARIOS } from './scenarios/clients';
import { SCRIPT_SCENARIOS } from './scenarios/scripts';
import { TRANSACTION_SCENARIOS } from './scenarios/transactions';
import { differentialSuite } from './suite';

differentialSuite([...TRANSACTION_SCENARIOS, ...SCRIPT_SCENARIOS, ...CLIENT_SCENARIOS]);
