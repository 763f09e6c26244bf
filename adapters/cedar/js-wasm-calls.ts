// Imported for its effect, before cedar-wasm: turns off TurboFan's inlining of JS-to-WebAssembly calls.
//
// Why: V8 inlines a call to a WebAssembly export whose signature holds externref (cedar-wasm's exports take
// and return JS values: `statefulIsAuthorized: (a: any) => any`), but when the caller is lazily deoptimized
// during such a call (the export calls back into JS, and that invalidates the caller's optimized code), the
// deoptimizer has to rebuild the call's result and knows only numeric results: "# Fatal error in , line 0
// # unreachable code", in Deoptimizer::DoComputeBuiltinContinuation, and the process aborts (SIGTRAP). It
// is the abort bench:graph hit in its incident-impact queries on Node 20.20: every request is authorized
// through Cedar, so the authorizing function gets optimized and, sooner or later, deoptimized mid-call.
// V8 11.3 (Node 20) and 12.4 (Node 22) both have it; test/wasm-lazy-deopt.ts reproduces it deterministically.
//
// The flag is read when a function is optimized, so setting it before any Cedar call is early enough (checked
// on Node 20 and 22). What it costs: a JS-to-WebAssembly call goes through the generic wrapper instead of
// being inlined, a few nanoseconds per call, against the microseconds each authorization takes.
import { setFlagsFromString } from 'node:v8';

export const NO_JS_WASM_CALL_INLINING = '--no-turbo-inline-js-wasm-calls';

setFlagsFromString(NO_JS_WASM_CALL_INLINING);
