// dev.ts: what a device driver imports, as `import { … } from "aam/dev"` (docs/API.md "Devices"):
// the virtio transport and virtqueues (dev/virtio.ts) and interrupt delivery to the owning
// machine (machine/irq.ts). Re-exports only.
export { virtioFind, virtioRead, virtioWrite, virtioConfig32, virtioConfig64, virtioBegin, virtioDriverOk, virtioAck,
  Virtqueue, DESC_WRITE } from "./dev/virtio";
export { irqAttach, irqRoute, irqCount, IrqHandler } from "./machine/irq";
