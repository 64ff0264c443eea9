// index.ts: aams/fs as a program imports it: the file-system machine on the disk given with
// --disk (defineDiskFs) or on any BlockDev (defineFs, fsAttach), its generated client, the open
// flags and seek origins (fs.idl's FS_O_* and FS_SEEK_*, Linux's numbers) and the error helpers.
// Re-exports only (aams/fs/README.md).
export { defineFs, fsAttach } from "./machine";
export { defineDiskFs, BlockDisk } from "./disk";
export { BlockDev, RamDisk } from "./blockdev";
export { connectFs, FsClient, FsStat, FsStatfs, FsDirent } from "./fs_igen_client";
export { fsErrno, errnoName, errnoText } from "./errno";
export {
  O_RDONLY as FS_O_RDONLY, O_WRONLY as FS_O_WRONLY, O_RDWR as FS_O_RDWR, O_CREAT as FS_O_CREAT, O_EXCL as FS_O_EXCL,
  O_TRUNC as FS_O_TRUNC, O_APPEND as FS_O_APPEND, SEEK_SET as FS_SEEK_SET, SEEK_CUR as FS_SEEK_CUR, SEEK_END as FS_SEEK_END,
} from "./file";
