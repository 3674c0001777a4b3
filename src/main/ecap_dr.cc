// ecap-dr: the one binary. Everything is in the libraries; see src/cli.
#include <malloc.h>

#include "base/interrupt.h"
#include "cli/context.h"

int main(int argc, char** argv) {
  // The backup pipeline allocates and frees chunk-sized buffers (up to a few
  // MiB) on every thread. glibc would serve each from a fresh mmap and give it
  // back at once, paying page faults and zeroing for every chunk; keeping them
  // in the heap instead measured ~10% less CPU (docs/BENCHMARKS.md, Kafka).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 32 << 20);
  // Ctrl-C or SIGTERM stops long work at its next blob or object: partial
  // output is removed and the exit code is the documented one, not a signal.
  dr::InstallInterruptHandlers();
  return dr::cli::RunCli(argc, argv);
}
