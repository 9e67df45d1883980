// The list of transport families is generated from bench_transports in bench/CMakeLists.txt.
#include "harness/transport.hpp"

namespace shmring::bench {

#define SHMRING_BENCH_TRANSPORT(family) void register_##family(Registry& registry);
#include "transport_list.inc"
#undef SHMRING_BENCH_TRANSPORT

Registry make_registry() {
    Registry registry;
#define SHMRING_BENCH_TRANSPORT(family) register_##family(registry);
#include "transport_list.inc"
#undef SHMRING_BENCH_TRANSPORT
    return registry;
}

}  // namespace shmring::bench
