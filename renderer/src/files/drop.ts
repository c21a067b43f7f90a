// What the user dropped on the pane or picked with "Upload folder": files with their path relative to
// the drop, and the folders to create first (parents before children). Folders are read through the
// File System entries API (webkitGetAsEntry), which every engine the UI runs in has.

export interface DroppedFile {
  /** "photos/2024/a.jpg" for a file inside a dropped folder, "a.jpg" for a file dropped alone. */
  relative: string;
  file: File;
}

export interface Dropped {
  files: DroppedFile[];
  /** Relative folder paths, parents first. */
  folders: string[];
}

/** More than this in one drop is refused (upload an archive instead). */
export const MAX_DROPPED_FILES = 10_000;

export class TooManyFiles extends Error {}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** All entries of a folder: readEntries answers in batches until it answers none. */
async function entriesOf(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

async function walk(entry: FileSystemEntry, prefix: string, into: Dropped): Promise<void> {
  const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    if (into.files.length >= MAX_DROPPED_FILES) throw new TooManyFiles();
    into.files.push({ relative, file: await fileOf(entry as FileSystemFileEntry) });
  } else if (entry.isDirectory) {
    into.folders.push(relative);
    for (const child of await entriesOf(entry as FileSystemDirectoryEntry)) await walk(child, relative, into);
  }
}

/**
 * The drop's files and folders. Must be called in the drop handler itself: the entries are only
 * readable while the event is being handled, so they are taken before the first await.
 */
export function readDrop(transfer: DataTransfer): Promise<Dropped> {
  const entries = [...transfer.items]
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry?.() ?? null);
  const loose = [...transfer.files];
  return (async () => {
    const into: Dropped = { files: [], folders: [] };
    if (entries.length > 0 && entries.every((e) => e !== null)) {
      for (const entry of entries) await walk(entry as FileSystemEntry, '', into);
    } else {
      // No entries API: plain files only.
      for (const file of loose) into.files.push({ relative: file.name, file });
    }
    return into;
  })();
}

/** The picked files of an <input webkitdirectory>, each with its path inside the chosen folder. */
export function readPickedFolder(files: FileList): Dropped {
  if (files.length > MAX_DROPPED_FILES) throw new TooManyFiles();
  const folders = new Set<string>();
  const picked = [...files].map((file) => {
    const relative = file.webkitRelativePath || file.name;
    const parts = relative.split('/');
    for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join('/'));
    return { relative, file };
  });
  return { files: picked, folders: [...folders].sort((a, b) => a.split('/').length - b.split('/').length) };
}
