/**
 * Bounded concurrency, the one helper for it (ingest batches, eval questions). Pure control flow, no I/O.
 */

/**
 * Runs `work` over the items, in their order, with at most `concurrency` calls in flight. No new item starts once
 * `signal` is aborted or once a call has thrown; the calls in flight finish, then the first error is thrown.
 * Resolves with how many items were started (all of them unless stopped by the signal).
 */
export async function forEachConcurrent<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
  options: { signal?: AbortSignal } = {},
): Promise<number> {
  let next = 0;
  let failed = false;
  let error: unknown;
  const lane = async () => {
    while (!failed && !options.signal?.aborted && next < items.length) {
      const i = next++;
      try {
        await work(items[i]!, i);
      } catch (err) {
        if (!failed) error = err;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
  if (failed) throw error;
  return next;
}

/** forEachConcurrent collecting results in the items' order; `onDone` gets the count of finished items. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
  onDone?: (done: number) => void,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let done = 0;
  await forEachConcurrent(items, concurrency, async (item, i) => {
    results[i] = await work(item, i);
    onDone?.(++done);
  });
  return results;
}
