import { canStopInfrastructure } from './infrastructure';

/**
 * Fault tests stop and start real infrastructure. Where the run was given infrastructure it cannot
 * stop (TEST_INFRA=env: URLs in the environment), they are skipped with this reason, and the test
 * runner counts and names every such skip in a loud summary instead of letting them pass as green.
 */
export const FAULT_SKIP_REASON = 'fault test: infrastructure given by URLs (TEST_INFRA=env) cannot be stopped';

/** The `skip` option of a fault test or suite: false where the run can stop its infrastructure. */
export function faultSkip(): false | string {
  return canStopInfrastructure() ? false : FAULT_SKIP_REASON;
}
