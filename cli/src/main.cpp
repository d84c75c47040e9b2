// tocsin: the reference command line of a Tocsin device (docs/cli.md).
#include <iostream>
#include <string>
#include <vector>

#include "app.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return tocsin::cli::RunCommandLine(args, std::cin, std::cout, std::cerr);
}
