// Build a jos86 file-system image from a host directory tree, subdirectories
// included (the enhanced fsformat of the JOSnet report).
//
// The tree is scanned first, so names that the format cannot hold, files over
// the size limit and a disk too small are all reported before an image
// exists. Entries are added sorted by their UTF-8 bytes, and nothing about
// the host (times, owners, modes, inode order) reaches the image, so the same
// tree always gives the same bytes: images/ is rebuilt byte-identically.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FsError, FsImage, MIN_NBLOCKS, checkName, joinPath } from '../fsimage.ts';
import { BLKFILES, BLKSIZE, MAXFILESIZE, MAX_NBLOCKS, diskBlocksForSize, nblocksForData } from './layout.ts';

/** One host file or directory, with what the image needs to know about it. */
export interface HostNode {
  name: string;
  hostPath: string;
  kind: 'file' | 'dir';
  size: number; // bytes, for files
  children: HostNode[]; // sorted, for directories
}

const MIB_BLOCKS = (1024 * 1024) / BLKSIZE;
/** The smallest default image: 4 MiB, room for a guest to write files. */
export const DEFAULT_MIN_NBLOCKS = 4 * MIB_BLOCKS;

/** Read a host tree; every name is checked against the format's rules. */
export function scanHostTree(hostDir: string): HostNode {
  const root: HostNode = { name: '/', hostPath: hostDir, kind: 'dir', size: 0, children: [] };
  if (!statSync(hostDir).isDirectory()) throw new FsError('ENOTDIR', `${hostDir}: not a directory`);
  scanInto(root, '/');
  return root;
}

function scanInto(dir: HostNode, imagePath: string): void {
  const names = readdirSync(dir.hostPath).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of names) {
    const hostPath = join(dir.hostPath, name);
    const childPath = joinPath(imagePath, name);
    try {
      checkName(name);
    } catch (error) {
      if (error instanceof FsError) throw new FsError(error.code, `${hostPath}: ${error.message}`);
      throw error;
    }
    const stats = statSync(hostPath);
    if (stats.isDirectory()) {
      const child: HostNode = { name, hostPath, kind: 'dir', size: 0, children: [] };
      scanInto(child, childPath);
      dir.children.push(child);
    } else if (stats.isFile()) {
      if (stats.size > MAXFILESIZE) {
        throw new FsError('EFBIG', `${hostPath}: ${stats.size} bytes is over the ${MAXFILESIZE}-byte file size limit`);
      }
      dir.children.push({ name, hostPath, kind: 'file', size: stats.size, children: [] });
    } else {
      throw new FsError('EINVAL', `${hostPath}: not a regular file or directory`);
    }
  }
}

/** Data-area blocks the tree takes once written: file data, directory blocks, indirect blocks. */
export function treeDataBlocks(node: HostNode): number {
  if (node.kind === 'file') return diskBlocksForSize(node.size);
  const ownBlocks = diskBlocksForSize(Math.ceil(node.children.length / BLKFILES) * BLKSIZE);
  return node.children.reduce((sum, child) => sum + treeDataBlocks(child), ownBlocks);
}

/**
 * The default disk size for a tree: 4 MiB, or twice what the tree needs
 * rounded up to whole MiB when that is more, so the guest has room to write.
 */
export function defaultNblocks(tree: HostNode): number {
  const needed = nblocksForData(treeDataBlocks(tree));
  const roomy = Math.ceil((2 * needed) / MIB_BLOCKS) * MIB_BLOCKS;
  return Math.min(MAX_NBLOCKS, Math.max(DEFAULT_MIN_NBLOCKS, roomy, MIN_NBLOCKS));
}

/** mkfs: a new image holding `hostDir` (or empty), of `nblocks` blocks or the default size. */
export function mkfsFromHostTree(hostDir: string | undefined, nblocks?: number): FsImage {
  const tree = hostDir === undefined ? undefined : scanHostTree(hostDir);
  const size = nblocks ?? (tree ? defaultNblocks(tree) : DEFAULT_MIN_NBLOCKS);
  const image = FsImage.create(size);
  if (tree) {
    const needed = treeDataBlocks(tree);
    const free = image.freeBlockCount();
    if (needed > free) {
      throw new FsError(
        'ENOSPC',
        `${hostDir} needs ${needed} data blocks but a ${size}-block disk has ${free}; choose at least ${nblocksForData(needed)} blocks`,
      );
    }
    writeTree(image, tree, '/');
  }
  return image;
}

/** Copy a scanned host tree into an image directory (which must exist). */
export function writeTree(image: FsImage, dir: HostNode, imagePath: string): void {
  for (const child of dir.children) {
    const childPath = joinPath(imagePath, child.name);
    if (child.kind === 'dir') {
      image.mkdir(childPath, { parents: true });
      writeTree(image, child, childPath);
    } else {
      image.writeFile(childPath, readFileSync(child.hostPath));
    }
  }
}
