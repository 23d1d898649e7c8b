import { BackendFailureError } from '../errors.js';

/**
 * A backend call that did not answer within its bound. A `BackendFailureError`, so callers see
 * `BACKEND_FAILURE`; the queue of group commit tells it apart from a failed call, since the work
 * may still complete after it was given up on.
 */
export class DeadlineExceededError extends BackendFailureError {
  constructor(
    /** What did not answer, e.g. `the query`. */
    readonly what: string,
    /** The bound, in ms. */
    readonly ms: number,
  ) {
    super(`${what} did not answer within ${ms} ms`);
  }
}

/**
 * `work`, or a {@link DeadlineExceededError} once `ms` have passed without an answer (`ms`
 * infinite: `work` itself). The work goes on after the deadline, unobserved: its later failure is
 * caught here, so it never surfaces as an unhandled rejection.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  if (!Number.isFinite(ms)) return work;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineExceededError(what, Math.round(ms))), Math.max(0, ms));
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
