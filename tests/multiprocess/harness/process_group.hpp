// ProcessGroup: the parent's side of a multi-process test. It starts children (the test binary
// re-executed in a role, or a bare fork running a function), gathers their reports, and waits for
// them under one deadline. Whatever happens (a child fails, the deadline passes, the test returns
// early) no child outlives the group: the others are killed and reaped at once. Each child is
// also set to die with its parent, so a test runner killed by CTest's TIMEOUT leaves no strays.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "harness/report.hpp"
#include "shmring/wait.hpp"

namespace shmring::multiprocess {

struct ChildRecord {
    std::string name;  // the role, or the label of a fork
    pid_t pid = -1;
    int report_fd = -1;  // the read end of the child's report pipe, until it reaches end of file
    bool reaped = false;
    bool killed_by_group = false;
    int wait_status = 0;
    std::string report;

    bool succeeded() const noexcept;
    // Ended badly of its own accord: a non-zero exit or a signal the group did not send.
    bool failed() const noexcept;
    std::string fate() const;
    // The last value reported under `key`.
    std::optional<std::string> text(std::string_view key) const;
    std::optional<std::uint64_t> number(std::string_view key) const;
};

class ProcessGroup {
public:
    using Child = std::size_t;

    explicit ProcessGroup(Deadline deadline) : deadline_(deadline) {}
    ProcessGroup(const ProcessGroup&) = delete;
    ProcessGroup& operator=(const ProcessGroup&) = delete;
    ~ProcessGroup();

    // Runs `role` (harness/role.hpp) in a fresh exec of this binary. `passed_fds` appear in the
    // child as kFirstPassedFd, kFirstPassedFd + 1, ...
    Child start_role(const std::string& role, const std::vector<std::string>& args, const std::vector<int>& passed_fds = {});
    // Runs `body` in a bare fork of this process and exits with what it returns. For children that
    // must inherit state, or whose body ends the process itself.
    Child start_forked(const std::string& label, const std::function<int(Report&)>& body);

    // Waits until every child in `children` has exited. False, with every child killed, as soon as
    // any child of the group fails or the deadline passes.
    [[nodiscard]] bool wait_for(std::span<const Child> children);
    [[nodiscard]] bool wait_for_all();
    // Waits, on the same terms, until every child in `children` has reported `key`, running or not.
    [[nodiscard]] bool wait_for_reports(std::span<const Child> children, std::string_view key);

    // Kills `which` with SIGKILL and reaps it: a death the test asked for, not a failure.
    void kill(Child which) noexcept;

    const ChildRecord& child(Child which) const { return children_.at(which); }
    bool deadline_passed() const noexcept { return deadline_passed_; }
    // Every child's name, pid, fate and report: the message for a failed assertion.
    std::string describe() const;

private:
    Child start(const std::string& name, pid_t pid, int report_fd);
    bool wait_until(const std::function<bool()>& done);
    void drain(ChildRecord& child);
    void reap(ChildRecord& child, bool block);
    void kill_all() noexcept;

    Deadline deadline_;
    bool deadline_passed_ = false;
    std::vector<ChildRecord> children_;
};

// For a child that must stay alive, its endpoints attached, until its group kills it.
[[noreturn]] void pause_until_killed() noexcept;

}  // namespace shmring::multiprocess
