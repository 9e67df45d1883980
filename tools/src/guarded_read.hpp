// Reading a mapping whose file may shrink under it.
//
// A shared-memory file can be truncated by anyone who may write it, at any time, also while the
// tool has it mapped: touching a mapped page that now lies past the end raises SIGBUS. The
// inspector therefore reads the mapping only inside run_guarded, which turns that SIGBUS into a
// `false` return instead of a crash.
#pragma once

namespace shmring::cli {

// Runs read(context). Returns false if it was cut short by SIGBUS. Because the cut is a
// siglongjmp, `read` may only load from the mapping and store into trivially destructible
// objects that outlive the call: no allocation, no object that needs its destructor to run.
bool run_guarded(void (*read)(void* context), void* context) noexcept;

template <class Read>
bool run_guarded(Read& read) noexcept {
    return run_guarded([](void* context) { (*static_cast<Read*>(context))(); }, &read);
}

}  // namespace shmring::cli
