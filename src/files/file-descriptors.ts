// The few file operations a session store does on every request, on plain file descriptors: node:fs's
// callback functions, turned into promises here. Why not fs.promises: every file it opens becomes a
// FileHandle (an object with its own close bookkeeping), and each call goes through more promise
// machinery. Measured on Linux with 50 operations in flight (Node 20 and 24; `npm run bench`, "File
// APIs"): opening, reading and closing a small file cost the event loop about three times as much
// through a FileHandle (~60 µs against ~20 µs), and a durable write (open, write, fsync, close,
// rename) 35–75 µs more (~150 µs against ~110 µs). A FileHandle is closed by the garbage collector
// if forgotten; a descriptor is not, so every caller here closes what it opens (`finally`, `catch`).
import fs from "node:fs";

/** Descriptor-level file operations as promises. Tests inject failing ones (a full disk, EIO). */
export interface FileDescriptorOps {
  /** Opens `path`; `mode` applies when the file is created ("wx"). Resolves to the descriptor. */
  open(path: string, flags: string, mode?: number): Promise<number>;
  /** Reads into buffer[offset, offset + length) from `position`; resolves to the bytes read. */
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Writes buffer[offset, offset + length) at the current position; resolves to the bytes written. */
  write(fd: number, buffer: Buffer, offset: number, length: number): Promise<number>;
  fsync(fd: number): Promise<void>;
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

/** The real file system. */
export const nodeFileDescriptors: FileDescriptorOps = {
  open: (path, flags, mode = 0o666) => settle<number>((done) => fs.open(path, flags, mode, done)),
  read: (fd, buffer, offset, length, position) => settle<number>((done) => fs.read(fd, buffer, offset, length, position, done)),
  write: (fd, buffer, offset, length) => settle<number>((done) => fs.write(fd, buffer, offset, length, null, done)),
  fsync: (fd) => settle<void>((done) => fs.fsync(fd, done)),
  close: (fd) => settle<void>((done) => fs.close(fd, done)),
  rename: (from, to) => settle<void>((done) => fs.rename(from, to, done)),
  unlink: (path) => settle<void>((done) => fs.unlink(path, done)),
};
