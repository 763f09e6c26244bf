// The V8 abort of issue 15, made on purpose: a function that TurboFan optimized with an inlined call to a
// WebAssembly export taking and returning externref (as cedar-wasm's do) is deoptimized while that call
// runs (the export calls back into JS, which deoptimizes the caller). On Node 20 and 22 as shipped that is
// "# Fatal error in , line 0 / # unreachable code" from Deoptimizer::DoComputeBuiltinContinuation and a
// SIGTRAP; with adapters/cedar/js-wasm-calls.ts imported first the call returns. The script needs
// `--allow-natives-syntax`, and prints "survived" when the call returned.

/**
 * (module (type (func (param externref) (result externref))) (import "m" "cb" (func (type 0)))
 *   (func (export "f") (type 0) local.get 0 call 0))
 */
const MODULE = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x06, 0x01, 0x60, 0x01, 0x6f, 0x01, 0x6f,
  0x02, 0x08, 0x01, 0x01, 0x6d, 0x02, 0x63, 0x62, 0x00, 0x00,
  0x03, 0x02, 0x01, 0x00,
  0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x01,
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x20, 0x00, 0x10, 0x00, 0x0b,
];

/** The child's script (an ES module); `prelude` runs first (an import, say). */
export function wasmLazyDeoptScript(prelude = ''): string {
  return `${prelude}
const bytes = new Uint8Array(${JSON.stringify(MODULE)});
let deoptimize = false;
const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
  m: { cb: (x) => { if (deoptimize) %DeoptimizeFunction(caller); return x; } },
});
const f = instance.exports.f;
function caller(o) { return f(o); }
%PrepareFunctionForOptimization(caller);
caller({}); caller({});
%OptimizeFunctionOnNextCall(caller);
caller({});
deoptimize = true;
const result = caller({ n: 1 });
console.log(result.n === 1 ? 'survived' : 'wrong result');
`;
}
