// Types of bin/build.js (plain JavaScript, since it runs before any TypeScript loader) for the tests and benchmarks.
export declare const ROOT: string;
export declare const DIST: string;
/** The digest that names the build of the source as it is now. */
export declare function fingerprint(): string;
/** The compiled CLI's entry module (a file URL) for the current source, or undefined when it is not built. */
export declare function currentEntry(id?: string): string | undefined;
/** Builds the current source into dist/<fingerprint>/ unless it is there; returns the build's folder. */
export declare function build(): Promise<string>;
