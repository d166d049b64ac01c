/**
 * The little of the `espeak-ng` package (eSpeak NG compiled to WebAssembly by Emscripten, GPL-3.0)
 * that Dialtone touches; the package ships no types. Only espeak-wasm-engine.ts imports it, lazily.
 */
declare module 'espeak-ng' {
  export interface ESpeakNgModule {
    FS: {
      readFile(path: string): Uint8Array;
      writeFile(path: string, data: string | Uint8Array): void;
    };
  }

  export interface ESpeakNgOptions {
    /** The espeak-ng command line; each instantiation runs it once. */
    arguments: string[];
    print?: (text: string) => void;
    printErr?: (text: string) => void;
    /** Run before main(), with the module: the place to write input files into its FS. */
    preRun?: Array<(module: ESpeakNgModule) => void>;
  }

  export default function ESpeakNg(options: ESpeakNgOptions): Promise<ESpeakNgModule>;
}
