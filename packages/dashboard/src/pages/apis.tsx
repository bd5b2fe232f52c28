import { get } from '../api.js';
import { ApiStatusBadge } from '../components/badges.js';
import { StatusBar } from '../components/charts.js';
import { ErrorNote, Pager, Segmented } from '../components/common.js';
import { Time } from '../components/time.js';
import { count, millis, percent } from '../format.js';
import { useDebounced, useNow, useResource } from '../hooks.js';
import { apiHref, Link, setQuery, type Location } from '../router.js';
import type { ApiRow } from '../types.js';

const PAGE = 50;
type SortKey = 'basepath' | 'name' | 'status' | 'since' | 'ratio' | 'samples' | 'p95';

const COLUMNS: Array<{ key: SortKey | null; label: string; numeric?: boolean }> = [
  { key: 'status', label: 'Status' },
  { key: 'since', label: 'Since' },
  { key: 'basepath', label: 'Basepath' },
  { key: 'name', label: 'Name' },
  { key: 'ratio', label: 'Success', numeric: true },
  { key: 'samples', label: 'Samples', numeric: true },
  { key: 'p95', label: 'p95', numeric: true },
  { key: null, label: 'Last 24 h' },
  { key: null, label: 'Source' },
];

export function ApisPage({ location }: { location: Location }) {
  const now = useNow();
  const status = location.query.get('status') ?? '';
  const q = location.query.get('q') ?? '';
  const sort = (location.query.get('sort') ?? 'status') as SortKey;
  const order = location.query.get('order') === 'desc' ? 'desc' : 'asc';
  const offset = Number(location.query.get('offset') ?? 0) || 0;
  const search = useDebounced(q, 200);
  const page = useResource(
    () =>
      get<{ items: ApiRow[]; total: number; nextOffset: number | null }>('/v1/dashboard/apis', {
        status,
        q: search,
        sort,
        order,
        limit: PAGE,
        offset,
      }),
    [status, search, sort, order, offset],
  );
  const rows = page.data?.items ?? [];
  return (
    <>
      <h1>APIs</h1>
      <div class="toolbar">
        <Segmented
          label="status"
          value={status}
          onChange={(value) => setQuery({ status: value, offset: null })}
          options={[
            { value: '', label: 'All' },
            { value: 'DOWN', label: 'Down' },
            { value: 'UP', label: 'Up' },
            { value: 'UNKNOWN', label: 'Unknown' },
          ]}
        />
        <label class="search">
          <span class="visually-hidden">Search by basepath or name</span>
          <input
            type="search"
            placeholder="Search basepath or name…"
            value={q}
            onInput={(event) => setQuery({ q: event.currentTarget.value, offset: null })}
          />
        </label>
      </div>
      <ErrorNote error={page.error} />
      <div class="table-wrap">
        <table class="data" aria-busy={page.loading}>
          <thead>
            <tr>
              {COLUMNS.map(({ key, label, numeric }) => (
                <th
                  key={label}
                  class={numeric ? 'num' : undefined}
                  aria-sort={key === sort ? (order === 'asc' ? 'ascending' : 'descending') : undefined}
                >
                  {key ? (
                    <button
                      type="button"
                      class="sort"
                      onClick={() =>
                        setQuery({
                          sort: key,
                          order: key === sort && order === 'asc' ? 'desc' : 'asc',
                          offset: null,
                        })
                      }
                    >
                      {label}
                      <span aria-hidden="true">{key === sort ? (order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
                    </button>
                  ) : (
                    label
                  )}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((api) => (
              <tr key={api.basepath} data-basepath={api.basepath}>
                <td>
                  <ApiStatusBadge status={api.status} />
                </td>
                <td>
                  <Time at={api.since} now={now} compact />
                </td>
                <td class="mono">
                  <Link href={apiHref(api.basepath)}>{api.basepath}</Link>
                </td>
                <td>{api.name ?? <span class="muted">—</span>}</td>
                <td class="num">{percent(api.ratio)}</td>
                <td class="num">{count(api.samples)}</td>
                <td class="num">{millis(api.p95Ms)}</td>
                <td>{api.bar && <StatusBar slots={api.bar} />}</td>
                <td>{api.drivenBy ?? <span class="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {page.data && (
        <Pager
          from={offset}
          shown={rows.length}
          total={page.data.total}
          onPrevious={offset > 0 ? () => setQuery({ offset: Math.max(0, offset - PAGE) || null }) : undefined}
          onNext={
            page.data.nextOffset !== null ? () => setQuery({ offset: page.data!.nextOffset }) : undefined
          }
        />
      )}
    </>
  );
}
