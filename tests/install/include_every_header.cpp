// Every public C++ header, for the compiler checks in CMakeLists.txt.
#include <shmring/endpoint.hpp>
#include <shmring/mpmc_ring.hpp>
#include <shmring/pipe.hpp>
#include <shmring/queue.hpp>
#include <shmring/service.hpp>
#include <shmring/spsc_ring.hpp>
#include <shmring/topic.hpp>
