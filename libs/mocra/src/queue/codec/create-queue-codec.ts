import { JsonQueueCodec } from './json.codec.js';
import { MsgpackQueueCodec } from './msgpack.codec.js';
import type { QueueCodec, QueueCodecName, QueueCodecOptions } from './queue-codec.js';

/** The codec named by `channel_config.queue_codec`; `rmp` is the seed's alias for msgpack. */
export function createQueueCodec(name: QueueCodecName | 'rmp', options?: QueueCodecOptions): QueueCodec {
  switch (name) {
    case 'json':
      return new JsonQueueCodec(options);
    case 'msgpack':
    case 'rmp':
      return new MsgpackQueueCodec(options);
    default:
      throw new Error(`unknown queue codec '${String(name)}': expected json or msgpack`);
  }
}
