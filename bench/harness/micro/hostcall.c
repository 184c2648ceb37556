/* Host-call microbenchmark module (no libc): spin(n) calls the imported bench.nop n times.
 * Built with --target=wasm32 -nostdlib; the embedder times spin from outside. */
__attribute__((import_module("bench"), import_name("nop"))) void host_nop(void);

__attribute__((export_name("spin"))) void spin(int n)
{
    for (int i = 0; i < n; i++)
        host_nop();
}
