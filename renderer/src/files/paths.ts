// Remote paths are POSIX paths on the node, whatever the machine the UI runs on.
export const joinPath = (dir: string, name: string) => (dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`);
export const parentOf = (path: string) => path.replace(/\/[^/]+\/?$/, '') || '/';
export const nameOf = (path: string) => path.replace(/\/+$/, '').split('/').pop() || '/';

/** The breadcrumb trail of `path`: "/", then each directory down to it. */
export function crumbs(path: string): Array<{ label: string; path: string }> {
  const parts = path.split('/').filter(Boolean);
  return [
    { label: '/', path: '/' },
    ...parts.map((p, i) => ({ label: p, path: `/${parts.slice(0, i + 1).join('/')}` })),
  ];
}

/** Case-insensitive substring filter on names; an empty needle keeps everything. */
export function matchesFilter(name: string, needle: string): boolean {
  const n = needle.trim().toLocaleLowerCase();
  return n === '' || name.toLocaleLowerCase().includes(n);
}
