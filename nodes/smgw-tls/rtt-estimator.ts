/** The RFC 6298 timeout estimator lives in core/rto.ts, shared with the channel's TCP bridge. */
export { RttEstimator, type RtoBounds } from '../../core/rto';
