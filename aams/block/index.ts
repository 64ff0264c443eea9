// index.ts: aams/block, machine "block": a kernel-level block-device machine over virtio
// (docs/API.md "Block devices"). A program defines it from machines() with defineBlock() and uses
// it from any task through BlockClient. Re-exports only.
export { defineBlock, SECTOR, MAX_SECTORS, EIO, EINVAL, EROFS, ENODEV } from "./block";
export { BlockClient } from "./client";
