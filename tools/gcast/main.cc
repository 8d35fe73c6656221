// gcast: group multicast from the command line. main() is the only top-level
// catch: anything escaping a command is reported as an internal error.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "gcast: reliable and ordered group multicast (basic, reliable, ip x none, fifo, causal,\n"
      "total, fifo-total, causal-total), a deterministic fault-injecting simulator and a\n"
      "property checker."};
  app.require_subcommand(1);
  gcast::tool::RunFn run;
  gcast::tool::AddSimCommand(app, run);
  gcast::tool::AddCheckCommand(app, run);
  gcast::tool::AddMemberCommand(app, run);
  gcast::tool::AddDiagramCommand(app, run);
  gcast::tool::AddBenchCommand(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; every usage error exits 2, like the commands' own checks.
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    return run ? run() : 2;
  } catch (const std::exception& e) {
    std::cerr << "gcast: internal error: " << e.what() << "\n";
    return 3;
  }
}
