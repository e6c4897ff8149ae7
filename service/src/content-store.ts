import { constants } from "node:fs";
import { type FileHandle, open, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { isValidResourceName, type ResourceRef } from "./resource-names.js";

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

export interface TemplateFileInfo {
  readonly name: string;
  readonly size: number;
}

export interface PatternFileInfo {
  readonly language: string;
  readonly name: string;
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
  /** The templates present on disk, by name, with their sizes. */
  listTemplates(): Promise<TemplateFileInfo[]>;
  /** The pattern files present on disk, by language then name, with their sizes. */
  listPatterns(): Promise<PatternFileInfo[]>;
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

  /**
   * The `.md` files directly in `dir` whose names are valid resource names and whose real
   * paths stay inside the root, sorted by name. A missing directory lists as empty.
   */
  async function listNamedFiles(dir: string): Promise<TemplateFileInfo[]> {
    const entries = await listDir(dir);
    // The files are resolved and stat'ed concurrently; the result keeps the sorted order.
    const found = await Promise.all(
      entries.sort().map(async (entry): Promise<TemplateFileInfo | undefined> => {
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
    return found.filter((info): info is TemplateFileInfo => info !== undefined);
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

    listTemplates() {
      return listNamedFiles(path.join(root, "templates"));
    },

    async listPatterns() {
      const dir = path.join(root, "patterns");
      const languages = await listDir(dir);
      const infos: PatternFileInfo[] = [];
      for (const language of languages.sort()) {
        if (!isValidResourceName(language)) continue;
        // A language directory that is a link leading outside the root is not listed.
        const resolved = await containedRealPath(path.join(dir, language));
        if (!resolved) continue;
        try {
          if (!(await stat(resolved)).isDirectory()) continue;
        } catch {
          continue;
        }
        for (const file of await listNamedFiles(path.join(dir, language))) {
          infos.push({ language, name: file.name, size: file.size });
        }
      }
      return infos;
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
