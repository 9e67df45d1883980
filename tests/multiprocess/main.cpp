// The multi-process tier's entry point. Run with `--role <name> ...` it is one process of a test
// (harness/role.hpp); otherwise it is the gtest runner that starts those processes.
#include <gtest/gtest.h>

#include <string_view>

#include "harness/role.hpp"

int main(int argc, char** argv) {
    if (argc >= 2 && std::string_view(argv[1]) == shmring::multiprocess::kRoleFlag)
        return shmring::multiprocess::run_role(argc - 2, argv + 2);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
