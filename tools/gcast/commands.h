// Sub-commands of the gcast tool. Each Add*Command registers its CLI11
// sub-command and stores the function that runs it once parsing succeeded.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace gcast::tool {

using RunFn = std::function<int()>;

// gcast check --ordering O TRACE...
void AddCheckCommand(CLI::App& app, RunFn& run);
// gcast sim ...
void AddSimCommand(CLI::App& app, RunFn& run);
// gcast member --config FILE --id ID ...
void AddMemberCommand(CLI::App& app, RunFn& run);
// gcast diagram TRACE... -o run.svg
void AddDiagramCommand(CLI::App& app, RunFn& run);
// gcast bench ... (and its hidden per-process helper, bench-node)
void AddBenchCommand(CLI::App& app, RunFn& run);

}  // namespace gcast::tool
