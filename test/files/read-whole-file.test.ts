import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { nodeFileDescriptors as real } from "../../src/files/file-descriptors.ts";
import { readWholeFile, type ReadFileSystem } from "../../src/files/read-whole-file.ts";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "nsfs-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The real file system, counting reads and closes. */
function countingFs(): { fileSystem: ReadFileSystem; counts: { reads: number; closes: number } } {
  const counts = { reads: 0, closes: 0 };
  const fileSystem: ReadFileSystem = {
    open: real.open,
    read(fd, buffer, offset, length, position) {
      counts.reads++;
      return real.read(fd, buffer, offset, length, position);
    },
    close(fd) {
      counts.closes++;
      return real.close(fd);
    },
  };
  return { fileSystem, counts };
}

describe("readWholeFile", () => {
  it("reads a small file with a single read, and closes it", async () => {
    const file = path.join(dir, "small");
    fs.writeFileSync(file, "Views: 1 · ünïcödé");
    const { fileSystem, counts } = countingFs();
    assert.equal(await readWholeFile(file, fileSystem), "Views: 1 · ünïcödé");
    assert.deepEqual(counts, { reads: 1, closes: 1 });
  });

  it("reads an empty file as empty text", async () => {
    const file = path.join(dir, "empty");
    fs.writeFileSync(file, "");
    assert.equal(await readWholeFile(file), "");
  });

  // Sizes in bytes around the 4 KiB first buffer and its doublings: a file that fills the buffer exactly
  // ends with a read of 0 bytes; a two-byte "é" straddles each edge with room for it before the end.
  for (const size of [4095, 4096, 4097, 8192, 8193, 100_000]) {
    it(`reads a ${size}-byte file whole`, async () => {
      const file = path.join(dir, `file-${size}`);
      const text = textOfBytes(size);
      assert.equal(Buffer.byteLength(text), size);
      fs.writeFileSync(file, text);
      assert.equal(await readWholeFile(file), fs.readFileSync(file, "utf8"));
      assert.equal(await readWholeFile(file), text);
    });
  }

  it("rejects like fs.readFile for a missing file (ENOENT) and a folder (EISDIR)", async () => {
    await assert.rejects(readWholeFile(path.join(dir, "missing")), { code: "ENOENT" });
    await assert.rejects(readWholeFile(dir), { code: "EISDIR" });
  });

  it("closes the file when a read fails (EIO), and rejects with the read's error", async () => {
    const file = path.join(dir, "unreadable");
    fs.writeFileSync(file, "data");
    let closed = 0;
    const failingRead: ReadFileSystem = {
      open: real.open,
      read: async () => {
        throw Object.assign(new Error("EIO: simulated"), { code: "EIO" });
      },
      close: (fd) => {
        closed++;
        return real.close(fd);
      },
    };
    await assert.rejects(readWholeFile(file, failingRead), { code: "EIO" });
    assert.equal(closed, 1);
  });

  it("reads the old file whole when it is replaced by rename meanwhile", async () => {
    const file = path.join(dir, "session");
    fs.writeFileSync(file, "old ".repeat(2000)); // 8,000 bytes: two reads
    let renamed = false;
    const renameDuringRead: ReadFileSystem = {
      ...real,
      async read(fd, buffer, offset, length, position) {
        const bytesRead = await real.read(fd, buffer, offset, length, position);
        if (!renamed) {
          renamed = true; // between the first and the second read, as another process might
          fs.writeFileSync(`${file}.tmp`, "new");
          fs.renameSync(`${file}.tmp`, file);
        }
        return bytesRead;
      },
    };
    assert.equal(await readWholeFile(file, renameDuringRead), "old ".repeat(2000));
    assert.equal(fs.readFileSync(file, "utf8"), "new");
  });
});

/** Exactly `size` bytes of UTF-8 ending in "\n", with "é" across each buffer edge (4096, 8192, …) it has room for. */
function textOfBytes(size: number): string {
  let text = "";
  let bytes = 0;
  let edge = 4096;
  while (bytes < size - 1) {
    const straddles = bytes === edge - 1 && bytes + 2 <= size - 1;
    text += straddles ? "é" : "a";
    bytes += straddles ? 2 : 1;
    if (bytes > edge) edge *= 2;
  }
  return `${text}\n`;
}
