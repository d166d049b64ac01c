/**
 * libopus through the WebAssembly module of the `opusscript` package, bound directly.
 *
 * Why not opusscript's own wrapper (`new OpusScript(…)`): in 0.1.1 it keeps typed-array views on the
 * module's heap made once per instance, (1) taking byte addresses as 16-bit element indices for its
 * PCM buffers, so a view starts at twice the address malloc returned: past a few dozen instances
 * (the 80th, on the 16 MiB initial heap) the view starts beyond the heap and every encode throws; and
 * (2) never refreshed, so the first time the heap grows every existing instance's views are detached
 * and all of them throw for good. A voice server with more than ~80 concurrent Opus streams would
 * lose them all. Here each state mallocs its own buffers and reads the module's heap views afresh on
 * every call; pointers into the heap stay valid when it grows.
 *
 * One module per process, instantiated on the first state created (~12 ms to compile the 310 kB
 * .wasm); each state is then one libopus encoder and decoder plus ~20 kB of buffers, freed by `free()`.
 */
import nativeFactory, { type OpusScriptHandler, type OpusScriptNativeModule } from 'opusscript/build/opusscript_native_wasm.js';

/** opusscript's handler decodes at most this many samples per channel (its MAX_FRAME_SIZE, 60 ms at 48 kHz). */
const MAX_DECODED_SAMPLES = 2880;
/** Its opus_encode output limit (MAX_PACKET_SIZE = 3 × 1276), which also bounds packets we accept. */
export const OPUS_MAX_PACKET_BYTES = 3828;
/** Longest PCM frame we encode: 120 ms at 16 kHz. */
const MAX_ENCODE_SAMPLES = 1920;

let module: OpusScriptNativeModule | undefined;

function native(): OpusScriptNativeModule {
  module ??= nativeFactory();
  return module;
}

/** Compiles and instantiates the WebAssembly module now rather than on the first Opus stream. */
export function preloadOpus(): void {
  native();
}

/** Bytes of WebAssembly memory the Opus module holds (0 before it is loaded): it grows, never shrinks. */
export function opusHeapBytes(): number {
  return module === undefined ? 0 : module.HEAPU8.length;
}

/** One libopus encoder and decoder (mono) with their buffers in the module's memory. */
export class OpusNativeState {
  private readonly module: OpusScriptNativeModule;
  private handler: OpusScriptHandler | null;
  private readonly pcmIn: number;
  private readonly packet: number;
  private readonly pcmOut: number;

  constructor(sampleRate: 8000 | 16000, application: number) {
    this.module = native();
    this.handler = new this.module.OpusScriptHandler(sampleRate, 1, application);
    this.pcmIn = this.module._malloc(MAX_ENCODE_SAMPLES * 2);
    this.packet = this.module._malloc(OPUS_MAX_PACKET_BYTES);
    this.pcmOut = this.module._malloc(MAX_DECODED_SAMPLES * 4);
  }

  /** opus_encoder_ctl; returns the libopus status (negative on error). */
  encoderCtl(request: number, value: number): number {
    return this.live()._encoder_ctl(request, value);
  }

  /**
   * Encodes `pcm` (one valid Opus frame size) into `out`; returns bytes written, or a negative
   * libopus error. Throws RangeError if `out` is too small for the packet.
   */
  encode(pcm: Int16Array, out: Uint8Array): number {
    const handler = this.live();
    if (pcm.length > MAX_ENCODE_SAMPLES) return -1; // OPUS_BAD_ARG
    const m = this.module;
    m.HEAP16.set(pcm, this.pcmIn >> 1);
    const length = handler._encode(this.pcmIn, 0, this.packet, pcm.length);
    if (length < 0) return length;
    if (length > out.length) throw new RangeError(`Opus packet of ${length} bytes exceeds ${out.length}`);
    // A copy loop rather than a subarray view: no allocation per packet (a few dozen bytes).
    const heap = m.HEAPU8;
    const from = this.packet;
    for (let i = 0; i < length; i++) out[i] = heap[from + i] as number;
    return length;
  }

  /**
   * Decodes one packet (a lone TOC byte asks for concealment of that frame) into `out`; returns the
   * samples the packet holds (of which at most `out.length` are copied) or a negative libopus error.
   */
  decode(packet: Uint8Array, out: Int16Array): number {
    const handler = this.live();
    if (packet.length > OPUS_MAX_PACKET_BYTES) return -4; // OPUS_INVALID_PACKET
    const m = this.module;
    m.HEAPU8.set(packet, this.packet);
    const samples = handler._decode(this.packet, packet.length, this.pcmOut);
    if (samples < 0) return samples;
    // The handler writes each sample as two 16-bit words: low byte, then high byte.
    const words = m.HEAPU16;
    const base = this.pcmOut >> 1;
    const n = Math.min(samples, out.length);
    for (let i = 0; i < n; i++) out[i] = (((words[base + 2 * i + 1] as number) << 24) >> 16) | (words[base + 2 * i] as number);
    return samples;
  }

  get isFreed(): boolean {
    return this.handler === null;
  }

  /** Destroys the encoder and decoder and frees the buffers. Idempotent. */
  free(): void {
    const handler = this.handler;
    if (handler === null) return;
    this.handler = null;
    this.module.OpusScriptHandler.destroy_handler(handler);
    this.module._free(this.pcmIn);
    this.module._free(this.packet);
    this.module._free(this.pcmOut);
  }

  private live(): OpusScriptHandler {
    if (this.handler === null) throw new Error('Opus state used after free()');
    return this.handler;
  }
}
