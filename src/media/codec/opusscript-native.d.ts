/**
 * The Emscripten module inside the `opusscript` package (libopus 1.4 compiled to WebAssembly, MIT,
 * libopus BSD): its bound `OpusScriptHandler` class and heap. The package ships types for its JS
 * wrapper only; opus-native.ts uses this module directly (see there for why). Shapes checked against
 * opusscript 0.1.1.
 */
declare module 'opusscript/build/opusscript_native_wasm.js' {
  export interface OpusScriptHandler {
    /** opus_encode on the int16 samples at `inputPointer` (after a byte-repacking loop over `bytes`
     *  elements, skipped with 0) into `outputPointer` (≥ 3828 bytes); returns bytes or an error < 0. */
    _encode(inputPointer: number, bytes: number, outputPointer: number, frameSize: number): number;
    /** opus_decode of `length` bytes at `inputPointer`, at most 2880 samples per channel, each sample
     *  written as two 16-bit words (low byte, high byte) from `outputPointer`; returns samples or < 0. */
    _decode(inputPointer: number, length: number, outputPointer: number): number;
    _encoder_ctl(request: number, value: number): number;
    _decoder_ctl(request: number, value: number): number;
  }

  export interface OpusScriptNativeModule {
    OpusScriptHandler: {
      new (sampleRate: number, channels: number, application: number): OpusScriptHandler;
      destroy_handler(handler: OpusScriptHandler): void;
    };
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    /** Views on the module's memory; replaced (the old ones detached) whenever the memory grows. */
    HEAPU8: Uint8Array;
    HEAP16: Int16Array;
    HEAPU16: Uint16Array;
  }

  /** Instantiates the module synchronously (compiles the .wasm next to it on first call). */
  const factory: () => OpusScriptNativeModule;
  export default factory;
}
