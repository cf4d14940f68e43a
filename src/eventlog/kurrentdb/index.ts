/**
 * The kurrentdb event-log adapter: KurrentdbEventLog and the subscription it hands out.
 * The mapping modules (revisions, positions, events, errors, filters) stay internal to
 * this folder; the adapter's unit tests import them by path.
 */
export { KurrentdbEventLog } from './kurrentdbEventLog.js';
export { KurrentdbSubscription } from './kurrentdbSubscription.js';
