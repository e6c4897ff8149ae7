import { constants } from "node:fs";
import { type FileHandle, open, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import {
  type ResourceKind,
  type ResourceRef,
  type ResourceType,
  resourceRef,
} from "../../lib/contract/resource-kinds.js";
import { isValidResourceName } from "../../lib/contract/resource-names.js";

export class ResourceNotFoundError extends Error {
  constructor(readonly ref: ResourceRef) {
    super(`no resource at ${ref.uri}`);
    this.name = "ResourceNotFoundError";
  }
}

/**
 * A resource whose file is there but cannot be read (permissions, an I/O error, a file too
 * large to read, something that is not openable): the server's fault, not the client's.
 */
export class ResourceUnreadableError extends Error {
  constructor(
    readonly ref: ResourceRef,
    override readonly cause: unknown,
  ) {
    super(`resource ${ref.uri} exists but could not be read`);
    this.name = "ResourceUnreadableError";
  }
}

/** A resource file found on disk: its ref and its size in bytes. */
export interface ContentFile {
  readonly ref: ResourceRef;
  readonly size: number;
}

export interface ContentStore {
  readonly root: string;
  /**
   * Reads a resource's text. Throws ResourceNotFoundError when there is no such file (or it is
   * not a regular file inside the root), ResourceUnreadableError when it cannot be read.
   */
  read(ref: ResourceRef): Promise<string>;
  /** The first `maxBytes` of a resource's text and its full size (for titles); throws as read does. */
  readHead(ref: ResourceRef, maxBytes: number): Promise<{ text: string; size: number }>;
  /**
   * The resources of one kind present on disk, sorted by their names: `<type>/<name>.md`, one
   * directory level per further name (`patterns/<language>/<name>.md`). Only valid names and
   * real paths inside the root; a kind restricted to some names lists only those.
   */
  list(kind: ResourceKind): Promise<ContentFile[]>;
  /** True when the content root is still there and can be listed (readiness). */
  isReadable(): Promise<boolean>;
}

const FILE_EXTENSION = ".md";

/** Errors that mean "no such resource here" rather than "there, but unreadable". */
const NOT_FOUND_CODES = new Set(["ENOENT", "ELOOP", "EISDIR", "ENOTDIR"]);

/**
 * The only code that turns a resource reference into file bytes. Names arrive already
 * validated; still, every path is resolved to its real location and must sit inside the
 * real content root (`root + path.sep`), so a symlink that leads outside is refused, not
 * followed. The final open uses O_NOFOLLOW so a file swapped for a link after the check
 * is refused too.
 */
export async function openContentStore(
  contentDir: string,
  logger: Logger,
  beforeRead?: () => Promise<void>,
): Promise<ContentStore> {
  let root: string;
  try {
    root = await realpath(contentDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === "ENOENT" ? "no such directory" : `cannot be opened (${code ?? String(error)})`);
  }
  if (!(await stat(root)).isDirectory()) throw new Error("is not a directory");
  const rootPrefix = root + path.sep;

  async function containedRealPath(candidate: string): Promise<string | undefined> {
    let resolved: string;
    try {
      resolved = await realpath(candidate);
    } catch {
      return undefined;
    }
    if (!resolved.startsWith(rootPrefix)) {
      logger.warn(
        { path: candidate, target: resolved },
        "refused a content path that resolves outside CONTENT_DIR",
      );
      return undefined;
    }
    return resolved;
  }

  /** A directory's entries; a missing one is empty, an unreadable one too, with a warning. */
  async function listDir(dir: string): Promise<string[]> {
    try {
      return await readdir(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") {
        logger.warn(
          { dir, err: String(error) },
          "content directory could not be listed; its files are not offered",
        );
      }
      return [];
    }
  }

  /** The real path of `dir` when it is a directory inside the root, else undefined. */
  async function containedDirectory(dir: string): Promise<string | undefined> {
    const resolved = await containedRealPath(dir);
    if (!resolved) return undefined;
    try {
      return (await stat(resolved)).isDirectory() ? resolved : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The `.md` files directly in `dir` whose names are valid resource names and whose real
   * paths stay inside the root, sorted by name. A missing directory lists as empty.
   */
  async function listNamedFiles(dir: string): Promise<Array<{ name: string; size: number }>> {
    const entries = await listDir(dir);
    // The files are resolved and stat'ed concurrently; the result keeps the sorted order.
    const found = await Promise.all(
      entries.sort().map(async (entry) => {
        if (!entry.endsWith(FILE_EXTENSION)) return undefined;
        const name = entry.slice(0, -FILE_EXTENSION.length);
        if (!isValidResourceName(name)) return undefined;
        const resolved = await containedRealPath(path.join(dir, entry));
        if (!resolved) return undefined;
        try {
          const info = await stat(resolved);
          return info.isFile() ? { name, size: info.size } : undefined;
        } catch {
          return undefined; // vanished between readdir and stat: simply not listed
        }
      }),
    );
    return found.filter((info) => info !== undefined);
  }

  /** Files `depth` name levels below `dir`: directories named by valid names, then `.md` files. */
  async function listLevels(dir: string, depth: number): Promise<Array<{ names: string[]; size: number }>> {
    if (depth === 1) return (await listNamedFiles(dir)).map(({ name, size }) => ({ names: [name], size }));
    const found: Array<{ names: string[]; size: number }> = [];
    for (const entry of (await listDir(dir)).sort()) {
      if (!isValidResourceName(entry)) continue;
      // A directory that is a link leading outside the root is not listed.
      const inner = await containedDirectory(path.join(dir, entry));
      if (!inner) continue;
      for (const file of await listLevels(path.join(dir, entry), depth - 1))
        found.push({ names: [entry, ...file.names], size: file.size });
    }
    return found;
  }

  /**
   * Opens a resource's file and runs `use` on it: real path inside the root, O_NOFOLLOW (a file
   * swapped for a link after the check is refused), O_NONBLOCK (a FIFO put where a file should be
   * would otherwise block the open, and a libuv thread with it, until a writer comes), and only
   * a regular file. Errors become ResourceNotFoundError or ResourceUnreadableError.
   */
  async function withResource<T>(
    ref: ResourceRef,
    use: (handle: FileHandle, size: number) => Promise<T>,
  ): Promise<T> {
    if (!ref.segments.every(isValidResourceName)) throw new ResourceNotFoundError(ref);
    const candidate = path.join(root, ...ref.segments) + FILE_EXTENSION;
    const resolved = await containedRealPath(candidate);
    if (!resolved) throw new ResourceNotFoundError(ref);
    if (beforeRead) await beforeRead();
    let handle: FileHandle | undefined;
    try {
      handle = await open(resolved, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      const info = await handle.stat();
      if (!info.isFile()) throw new ResourceNotFoundError(ref);
      return await use(handle, info.size);
    } catch (error) {
      if (error instanceof ResourceNotFoundError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code && NOT_FOUND_CODES.has(code)) throw new ResourceNotFoundError(ref);
      throw new ResourceUnreadableError(ref, error);
    } finally {
      await handle?.close();
    }
  }

  return {
    root,

    read(ref) {
      return withResource(ref, (handle) => handle.readFile({ encoding: "utf8" }));
    },

    readHead(ref, maxBytes) {
      return withResource(ref, async (handle, size) => {
        const { buffer, bytesRead } = await handle.read({ buffer: Buffer.alloc(Math.min(maxBytes, size)) });
        return { text: buffer.toString("utf8", 0, bytesRead), size };
      });
    },

    async list(kind) {
      const files = await listLevels(path.join(root, kind.type), kind.parts.length);
      const only = kind.parts.map((part) => part.only);
      return files
        .filter(({ names }) => names.every((name, i) => only[i]?.includes(name) ?? true))
        .map(({ names, size }) => ({ ref: resourceRef(kind.type as ResourceType, names), size }));
    },

    async isReadable() {
      try {
        await readdir(root);
        return true;
      } catch {
        return false;
      }
    },
  };
}
