// The busy-wait of the hand-made shared-memory transports.
#pragma once

#include "harness/clock.hpp"
#include "harness/watchdog.hpp"

namespace shmring::bench {

// Spins until ready() holds; false if the watchdog expires first.
template <class Ready>
bool spin_until(Ready&& ready) noexcept {
    for (unsigned i = 1; !ready(); ++i) {
        cpu_relax();
        if (i % 256 == 0 && watchdog_expired()) return false;
    }
    return true;
}

}  // namespace shmring::bench
