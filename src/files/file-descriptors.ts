// The few file operations a session store does on every request, on plain file descriptors: node:fs's
// callback functions, turned into promises here. Why not fs.promises: every file it opens becomes a
// FileHandle (an object with its own close bookkeeping), and each call goes through more promise
// machinery. Measured on Linux with 50 operations in flight (Node 20 and 24; `npm run bench`, "File
// APIs"): opening, reading and closing a small file costs the main thread 1.5–3 times as much through
// a FileHandle (e.g. ~60 µs against ~20–40 µs); for a durable write (open, write, fsync, close,
// rename) the gain is smaller and noisier (0–70 µs of ~150–250 µs). A FileHandle is closed by the
// garbage collector if forgotten; a descriptor is not, so every caller here closes what it opens
// (`finally`, `catch`), exactly once: after a failed close the number is released all the same
// (Linux, close(2)) and may already belong to another file.
import fs from "node:fs";

/** Descriptor-level file operations as promises. Tests inject failing ones (a full disk, EIO). */
export interface FileDescriptorOps {
  /** Opens `path`; `mode` applies when the file is created ("wx"). Resolves to the descriptor. */
  open(path: string, flags: string, mode?: number): Promise<number>;
  /** Reads into buffer[offset, offset + length) from `position`; resolves to the bytes read. */
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Writes buffer[offset, offset + length) at file `position`; resolves to the bytes written. */
  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  fsync(fd: number): Promise<void>;
  /** Never call it twice for one open(), even after a rejection (see above). */
  close(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

/** Resolves with the callback's result, or rejects with its error (Node's system errors: .code). */
function settle<T>(start: (callback: (error: NodeJS.ErrnoException | null, result: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    start((error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** The real file system (frozen: every importer shares it). */
export const nodeFileDescriptors: FileDescriptorOps = Object.freeze<FileDescriptorOps>({
  open: (path, flags, mode = 0o666) => settle<number>((done) => fs.open(path, flags, mode, done)),
  read: (fd, buffer, offset, length, position) => settle<number>((done) => fs.read(fd, buffer, offset, length, position, done)),
  write: (fd, buffer, offset, length, position) => settle<number>((done) => fs.write(fd, buffer, offset, length, position, done)),
  fsync: (fd) => settle<void>((done) => fs.fsync(fd, done)),
  close: (fd) => settle<void>((done) => fs.close(fd, done)),
  rename: (from, to) => settle<void>((done) => fs.rename(from, to, done)),
  unlink: (path) => settle<void>((done) => fs.unlink(path, done)),
});
