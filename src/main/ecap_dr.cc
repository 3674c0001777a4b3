// ecap-dr: the one binary. Everything is in the libraries; see src/cli.
#include <malloc.h>

#include <exception>
#include <iostream>

#include "cli/context.h"

int main(int argc, char** argv) {
  // The backup pipeline allocates and frees chunk-sized buffers (up to a few
  // MiB) on every thread. glibc would serve each from a fresh mmap and give it
  // back at once, paying page faults and zeroing for every chunk; keeping them
  // in the heap instead measured ~10% less CPU (docs/BENCHMARKS.md, Kafka).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 32 << 20);
  // Errors are Status values; an exception reaching here is a bug or memory
  // exhaustion. Say so and exit 1 rather than abort with a core dump.
  try {
    return dr::cli::RunCli(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "ecap-dr: internal error (please report it): " << e.what() << std::endl;
    return 1;
  }
}
