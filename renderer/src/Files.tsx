// Remote files: pick a node, walk its shared directories (breadcrumbs or a typed path), sort, preview
// text, download and upload with progress, create, rename and delete. Agents without files:write show
// no change actions.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type DragEvent, type FormEvent, useEffect, useMemo, useRef, useState } from 'react';
import type { Client, OutputOf } from '../../main/contract/contract';
import { fileNameProblem, useDialogs } from './dialogs';
import { SortHeader, VirtualRows } from './fleet/VirtualTable';
import { bytes } from './format';
import { nodesQuery } from './sync';
import { ApiError, type Transport } from './transport';

type Entry = OutputOf<'listFiles'>['entries'][number];
type SortKey = 'name' | 'size' | 'mtime';

interface Transfer {
  id: number;
  name: string;
  direction: 'up' | 'down';
  bytes: number;
  total: number | null;
  error: string | null;
  done: boolean;
  abort: AbortController;
}

const join = (dir: string, name: string) => (dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`);
const parentOf = (path: string) => path.replace(/\/[^/]+\/?$/, '') || '/';

function crumbs(path: string): Array<{ label: string; path: string }> {
  const parts = path.split('/').filter(Boolean);
  return [
    { label: '/', path: '/' },
    ...parts.map((p, i) => ({ label: p, path: `/${parts.slice(0, i + 1).join('/')}` })),
  ];
}

export function Files({
  client,
  transport,
  nodeId,
  onNodeChange,
}: {
  client: Client;
  transport: Transport;
  nodeId: string | null;
  onNodeChange: (id: string) => void;
}) {
  const nodes = useQuery(nodesQuery(client));
  const browsable = (nodes.data ?? []).filter((n) => n.capabilities?.files && n.status === 'online');
  const node = browsable.find((n) => n.id === nodeId) ?? null;
  useEffect(() => {
    if (!node && browsable[0]) onNodeChange(browsable[0].id);
  }, [node, browsable, onNodeChange]);
  return (
    <main className="files">
      <div className="row">
        <h1>Files</h1>
        <label>
          Node{' '}
          <select value={node?.id ?? ''} onChange={(e) => onNodeChange(e.target.value)}>
            {browsable.map((n) => (
              <option key={n.id} value={n.id}>
                {n.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {browsable.length === 0 && !nodes.isLoading && (
        <p className="empty">
          No connected node shares files. Agents share their home directory unless started with --no-files.
        </p>
      )}
      {node?.capabilities && (
        <Browser
          key={node.id}
          client={client}
          transport={transport}
          nodeId={node.id}
          roots={node.capabilities.roots}
          writable={node.capabilities.filesWrite}
        />
      )}
    </main>
  );
}

function Browser({
  client,
  transport,
  nodeId,
  roots,
  writable,
}: {
  client: Client;
  transport: Transport;
  nodeId: string;
  roots: string[];
  writable: boolean;
}) {
  const queryClient = useQueryClient();
  const dialogs = useDialogs();
  const [path, setPath] = useState(roots[0] ?? '/');
  const [typed, setTyped] = useState(path);
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'name', desc: false });
  const [preview, setPreview] = useState<Entry | null>(null);
  const [transfers, setTransfers] = useState<Transfer[]>([]);
  const [dragging, setDragging] = useState(false);
  const picker = useRef<HTMLInputElement>(null);
  const listing = useQuery({
    queryKey: ['files', nodeId, path],
    queryFn: async () => {
      const entries: Entry[] = [];
      let cursor: string | undefined;
      // Pages of 5,000 until the directory is complete (or 50,000 entries are shown).
      do {
        const page = await client.listFiles({ id: nodeId, path, cursor, limit: 5_000 });
        entries.push(...page.entries);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && entries.length < 50_000);
      return { entries, truncated: cursor !== undefined };
    },
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['files', nodeId, path] });
  const open = (next: string) => {
    setPath(next);
    setTyped(next);
    setPreview(null);
  };
  const sorted = useMemo(() => {
    const entries = [...(listing.data?.entries ?? [])];
    const dir = sort.desc ? -1 : 1;
    return entries.sort((a, b) => {
      const da = a.type === 'directory' ? 0 : 1;
      const db = b.type === 'directory' ? 0 : 1;
      if (da !== db) return da - db;
      const va = sort.key === 'name' ? a.name.toLowerCase() : a[sort.key];
      const vb = sort.key === 'name' ? b.name.toLowerCase() : b[sort.key];
      return va < vb ? -dir : va > vb ? dir : 0;
    });
  }, [listing.data, sort]);

  const track = (t: Omit<Transfer, 'id' | 'bytes' | 'error' | 'done'>) => {
    const id = Date.now() + Math.random();
    setTransfers((all) => [...all, { ...t, id, bytes: 0, error: null, done: false }]);
    const update = (patch: Partial<Transfer>) =>
      setTransfers((all) => all.map((x) => (x.id === id ? { ...x, ...patch } : x)));
    return update;
  };

  const download = async (entry: Entry) => {
    const abort = new AbortController();
    const update = track({ name: entry.name, direction: 'down', total: entry.size, abort });
    try {
      const blob = await transport.download(
        nodeId,
        entry.path,
        (n, total) => update({ bytes: n, total }),
        abort.signal,
      );
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = entry.name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      update({ done: true });
    } catch (error) {
      update({ error: (error as Error).message, done: true });
    }
  };

  const upload = async (file: File, overwrite = false): Promise<void> => {
    const abort = new AbortController();
    const update = track({ name: file.name, direction: 'up', total: file.size, abort });
    try {
      await transport.upload(nodeId, join(path, file.name), file, {
        overwrite,
        signal: abort.signal,
        onProgress: (n, total) => update({ bytes: n, total }),
      });
      update({ done: true, bytes: file.size });
      void refresh();
    } catch (error) {
      if (error instanceof ApiError && error.code === 'exists' && !overwrite) {
        update({ done: true, error: 'exists' });
        const replace = await dialogs.confirm({
          title: `Replace ${file.name}?`,
          message: `${file.name} already exists in ${path}. Uploading replaces it; the old content is lost.`,
          confirmLabel: 'Replace',
          danger: true,
        });
        if (replace) return upload(file, true);
        update({ error: 'kept the existing file' });
        return;
      }
      update({ error: (error as Error).message, done: true });
    }
  };

  const mkdir = useMutation({
    mutationFn: (name: string) => client.makeDirectory({ id: nodeId, path: join(path, name), parents: false }),
    onSuccess: refresh,
  });
  const rename = useMutation({
    mutationFn: ({ from, to }: { from: string; to: string }) => client.renameFile({ id: nodeId, from, to }),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (entry: Entry) =>
      client.deleteFile({ id: nodeId, path: entry.path, recursive: entry.type === 'directory' }),
    onSuccess: refresh,
  });
  const error = listing.error ?? mkdir.error ?? rename.error ?? remove.error;

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    if (!writable) return;
    for (const file of event.dataTransfer.files) void upload(file);
  };
  const go = (event: FormEvent) => {
    event.preventDefault();
    open(typed.trim() || '/');
  };

  return (
    <section
      className={`browser ${dragging ? 'dragging' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        if (writable) setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
      aria-label="File browser"
    >
      <nav className="crumbs" aria-label="Path">
        {crumbs(path).map((c) => (
          <button key={c.path} type="button" className="link" onClick={() => open(c.path)}>
            {c.label}
          </button>
        ))}
      </nav>
      <form className="row" onSubmit={go}>
        <input aria-label="Path" value={typed} onChange={(e) => setTyped(e.target.value)} className="path-input" />
        <button type="submit">Go</button>
        <button type="button" onClick={() => open(parentOf(path))} disabled={path === '/'}>
          Up
        </button>
        <button type="button" onClick={() => void refresh()}>
          Refresh
        </button>
        {writable && (
          <>
            <button
              type="button"
              onClick={async () => {
                const name = await dialogs.prompt({
                  title: `New folder in ${path}`,
                  label: 'Folder name',
                  confirmLabel: 'Create folder',
                  validate: fileNameProblem,
                });
                if (name) mkdir.mutate(name);
              }}
            >
              New folder
            </button>
            <button type="button" onClick={() => picker.current?.click()}>
              Upload…
            </button>
            <input
              ref={picker}
              type="file"
              multiple
              hidden
              aria-label="Files to upload"
              onChange={(e) => {
                for (const file of e.target.files ?? []) void upload(file);
                e.target.value = '';
              }}
            />
          </>
        )}
        {!writable && <span className="hint">read-only: this agent does not allow changes</span>}
      </form>
      {error && (
        <p role="alert" className="error">
          {error.message}
        </p>
      )}
      <Transfers transfers={transfers} onClear={() => setTransfers((all) => all.filter((t) => !t.done))} />
      <div className="files-layout">
        <Listing
          entries={sorted}
          sort={sort}
          onSort={setSort}
          writable={writable}
          onOpen={(e) => (e.type === 'directory' ? open(e.path) : setPreview(e))}
          onDownload={(e) => void download(e)}
          onRename={async (e) => {
            const to = await dialogs.prompt({
              title: `Rename ${e.name}`,
              label: 'New name',
              initial: e.name,
              confirmLabel: 'Rename',
              validate: fileNameProblem,
            });
            if (to && to !== e.name) rename.mutate({ from: e.path, to: join(parentOf(e.path), to) });
          }}
          onDelete={async (e) => {
            const what = e.type === 'directory' ? `the folder ${e.name} and everything in it` : e.name;
            const yes = await dialogs.confirm({
              title: `Delete ${e.name}?`,
              message: `This deletes ${what} on the node. It cannot be undone.`,
              confirmLabel: 'Delete',
              danger: true,
            });
            if (yes) remove.mutate(e);
          }}
        />
        {preview && <Preview client={client} nodeId={nodeId} entry={preview} onClose={() => setPreview(null)} />}
      </div>
      {listing.data?.truncated && <p className="hint">Showing the first 50,000 entries.</p>}
      {listing.data?.entries.length === 0 && <p className="empty">This directory is empty.</p>}
    </section>
  );
}

function Listing({
  entries,
  sort,
  onSort,
  writable,
  onOpen,
  onDownload,
  onRename,
  onDelete,
}: {
  entries: Entry[];
  sort: { key: SortKey; desc: boolean };
  onSort: (s: { key: SortKey; desc: boolean }) => void;
  writable: boolean;
  onOpen: (e: Entry) => void;
  onDownload: (e: Entry) => void;
  onRename: (e: Entry) => void;
  onDelete: (e: Entry) => void;
}) {
  const header = (key: SortKey, label: string) => (
    <SortHeader label={label} sortKey={key} sort={sort} onSort={onSort} />
  );
  return (
    <table className="grid file-grid" aria-label="Directory" aria-rowcount={entries.length + 1}>
      <thead>
        <tr className="grid-row file-row grid-head">
          {header('name', 'Name')}
          {header('size', 'Size')}
          {header('mtime', 'Modified')}
          <th>Mode</th>
          <th>Owner</th>
          <th />
        </tr>
      </thead>
      <VirtualRows
        items={entries}
        rowHeight={30}
        overscan={15}
        rowClass="grid-row file-row"
        rowKey={(e) => e.path}
        rowProps={(e) => ({ 'data-path': e.path })}
      >
        {(e) => (
          <>
            <td>
              <button type="button" className="link" onClick={() => onOpen(e)}>
                {e.type === 'directory' ? '📁 ' : e.type === 'symlink' ? '↪ ' : ''}
                {e.name}
              </button>
            </td>
            <td>{e.type === 'directory' ? '—' : bytes(e.size)}</td>
            <td>{new Date(e.mtime).toLocaleString()}</td>
            <td>
              <code>{(e.mode & 0o777).toString(8)}</code>
            </td>
            <td>{e.owner ?? e.uid}</td>
            <td className="actions">
              {e.type === 'file' && (
                <button type="button" onClick={() => onDownload(e)}>
                  Download
                </button>
              )}
              {writable && (
                <>
                  <button type="button" onClick={() => onRename(e)}>
                    Rename
                  </button>
                  <button type="button" className="danger" onClick={() => onDelete(e)}>
                    Delete
                  </button>
                </>
              )}
            </td>
          </>
        )}
      </VirtualRows>
    </table>
  );
}

function Preview({
  client,
  nodeId,
  entry,
  onClose,
}: {
  client: Client;
  nodeId: string;
  entry: Entry;
  onClose: () => void;
}) {
  const preview = useQuery({
    queryKey: ['preview', nodeId, entry.path, entry.mtime],
    queryFn: () => client.previewFile({ id: nodeId, path: entry.path }),
    retry: false,
  });
  return (
    <aside className="preview" aria-label={`Preview of ${entry.name}`}>
      <header className="row">
        <strong>{entry.name}</strong>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </header>
      {preview.error && <p className="error">{preview.error.message}</p>}
      {preview.data && (
        <>
          <pre>{preview.data.text}</pre>
          {preview.data.truncated && <p className="hint">Only the beginning of the file is shown.</p>}
        </>
      )}
    </aside>
  );
}

function Transfers({ transfers, onClear }: { transfers: Transfer[]; onClear: () => void }) {
  if (transfers.length === 0) return null;
  return (
    <section className="transfers" aria-label="Transfers">
      {transfers.map((t) => {
        const pct = t.total ? Math.min(100, Math.round((t.bytes / t.total) * 100)) : null;
        return (
          <div key={t.id} className="transfer">
            <span>
              {t.direction === 'up' ? '↑' : '↓'} {t.name}
            </span>
            <progress max={100} value={pct ?? undefined} />
            <span className="hint">
              {t.error ? t.error : t.done ? 'done' : `${bytes(t.bytes)}${t.total ? ` of ${bytes(t.total)}` : ''}`}
            </span>
            {!t.done && (
              <button type="button" onClick={() => t.abort.abort()}>
                Cancel
              </button>
            )}
          </div>
        );
      })}
      <button type="button" className="link" onClick={onClear}>
        Clear finished
      </button>
    </section>
  );
}
