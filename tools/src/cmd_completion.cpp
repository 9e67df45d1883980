// shmring completion bash|zsh: the shell's completion script, for
// `source <(shmring completion bash)` or a file in the shell's completion directory.
#include <cstdio>

#include "commands.hpp"
#include "completion_scripts.hpp"
#include "diagnostics.hpp"

namespace shmring::cli {

int run_completion(const CompletionOptions& options) {
    std::fputs(options.shell == "zsh" ? kZshCompletion : kBashCompletion, stdout);
    return kExitSuccess;
}

}  // namespace shmring::cli
