// Every public C++ header, for the compiler checks in CMakeLists.txt.
#include <shmring/cell.hpp>
#include <shmring/endpoint.hpp>
#include <shmring/lock.hpp>
#include <shmring/mpmc_ring.hpp>
#include <shmring/pipe.hpp>
#include <shmring/queue.hpp>
#include <shmring/semaphore.hpp>
#include <shmring/service.hpp>
#include <shmring/spsc_ring.hpp>
#include <shmring/topic.hpp>
