// Reads a whole file as UTF-8 text with one open, one read for a small file, and one close.
// Why not fs.promises.readFile: it asks the file's size first (open, fstat, read, close: four trips to
// libuv's thread pool) and goes through a FileHandle (file-descriptors.ts). A session store reads a
// file on every request, and this way costs the main thread a third to two thirds of even a lean
// FileHandle read (50 reads in flight on Linux: e.g. ~20–40 µs instead of ~60 µs; more for
// readFile). The buffer starts at 4 KiB (a sealed session is a few hundred bytes) and doubles for
// larger files, so any size is read whole.
// Why a short read means "end of file": read(2) on a regular file of a local file system returns
// fewer bytes than asked only at its end (libuv retries reads a signal interrupted); keep session
// folders on a local disk, not a network or FUSE mount, where that is not promised. A file replaced
// by rename while we read it is still read whole: the open descriptor keeps the old file, never a mix.
import { nodeFileDescriptors, type FileDescriptorOps } from "./file-descriptors.ts";

/** The file operations used, so tests can inject a failing read (EIO) or a missing file. */
export type ReadFileSystem = Pick<FileDescriptorOps, "open" | "read" | "close">;

const initialBufferBytes = 4096;

/** The file's contents as text; rejects like fs.promises.readFile (ENOENT, EACCES, EISDIR, EIO...). */
export async function readWholeFile(file: string, fileSystem: ReadFileSystem = nodeFileDescriptors): Promise<string> {
  const fd = await fileSystem.open(file, "r");
  try {
    let buffer = Buffer.allocUnsafe(initialBufferBytes);
    let length = 0;
    for (;;) {
      const bytesRead = await fileSystem.read(fd, buffer, length, buffer.length - length, length);
      length += bytesRead;
      if (length < buffer.length) break; // a short read: the end of the file
      const larger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(larger, 0, 0, length);
      buffer = larger;
    }
    return buffer.toString("utf8", 0, length);
  } finally {
    await fileSystem.close(fd);
  }
}
