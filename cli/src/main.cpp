// tocsin: the reference command line of a Tocsin device (docs/cli.md).
#include <iostream>
#include <string>
#include <vector>

#include "app.h"
#include "safe_output.h"

int main(int argc, char** argv) {
  tocsin::cli::ProtectStandardStreams();  // nothing from the network acts on the terminal
  std::vector<std::string> args(argv + 1, argv + argc);
  return tocsin::cli::RunCommandLine(args, std::cin, std::cout, std::cerr);
}
