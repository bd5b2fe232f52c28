import { useEffect, useRef, useState } from 'preact/hooks';
import { useLiveVersion } from './live.js';

export interface Resource<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
}

/**
 * Loads something from the hub, again when `deps` change and whenever live events arrive. The
 * previous data stays on screen while the next answer is on its way (no flicker); answers that
 * arrive out of order are dropped.
 */
export function useResource<T>(load: () => Promise<T>, deps: readonly unknown[]): Resource<T> {
  const live = useLiveVersion();
  const [state, setState] = useState<Resource<T>>({ data: undefined, error: undefined, loading: true });
  const sequence = useRef(0);
  useEffect(() => {
    const mine = ++sequence.current;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (data) => {
        if (mine === sequence.current) setState({ data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (mine === sequence.current)
          setState((previous) => ({
            data: previous.data,
            error: error instanceof Error ? error.message : String(error),
            loading: false,
          }));
      },
    );
  }, [...deps, live]);
  return state;
}

/** The current time, refreshed every `everyMs`, for "12 s ago" labels. */
export function useNow(everyMs = 5000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** A value that follows `value` once it has not changed for `ms` (search boxes). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}
