import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** A small history router: the path picks the page, the query string holds its filters. */
const listeners = new Set<() => void>();

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const listener of listeners) listener();
  if (!replace) {
    window.scrollTo(0, 0);
    // As a page load would: the next Tab starts in the new page's content, not in the menu.
    document.getElementById('main')?.focus({ preventScroll: true });
  }
}

window.addEventListener('popstate', () => {
  for (const listener of listeners) listener();
});

export interface Location {
  path: string;
  query: URLSearchParams;
}

export function useLocation(): Location {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((tick) => tick + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** Changes some query parameters of the current page (empty values are dropped). */
export function setQuery(changes: Record<string, string | number | undefined | null>): void {
  const query = new URLSearchParams(location.search);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined || value === null || value === '') query.delete(name);
    else query.set(name, String(value));
  }
  const search = query.toString();
  navigate(`${location.pathname}${search ? `?${search}` : ''}`, true);
}

export function Link(
  props: { href: string; children: ComponentChildren } & Omit<JSX.HTMLAttributes<HTMLAnchorElement>, 'href'>,
) {
  const { href, children, ...rest } = props;
  return (
    <a
      {...rest}
      href={href}
      onClick={(event) => {
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey)
          return;
        event.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}

export function apiHref(basepath: string): string {
  return `/apis${basepath === '/' ? '/~root' : basepath}`;
}

export function basepathFromPath(path: string): string {
  const rest = decodeURIComponent(path.slice('/apis'.length));
  return rest === '/~root' ? '/' : rest;
}

export function instanceHref(instanceId: string): string {
  return `/instances/${encodeURIComponent(instanceId)}`;
}
