#include "commands.h"
namespace gcast::tool {
void AddCheckCommand(CLI::App& app, RunFn& run) { (void)app; (void)run; }
}  // namespace gcast::tool
