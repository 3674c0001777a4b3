// ecap-dr: the one binary. Everything is in the libraries; see src/cli.
#include "cli/context.h"

int main(int argc, char** argv) { return dr::cli::RunCli(argc, argv); }
