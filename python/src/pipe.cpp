// shmring._Pipe: one end of a pipe, on the C++ pipe ends, whose calls take a deadline (the C API's
// pipe calls block without one, which a wait a slice at a time needs). shmring.Pipe (_pipe.py)
// makes it a Python file object.
#include <cerrno>
#include <memory>
#include <optional>

#include "binding.hpp"
#include "shmring/pipe.hpp"

namespace shmring::python {

namespace {

struct PipeEnd {
    std::optional<PipeReader> reader;
    std::optional<PipeWriter> writer;
};

// A pipe end opened the way the C API opens handles: 0, or a negative errno.
int open_pipe_end(const char* name, int writer, PipeEnd** out) {
    auto end = std::make_unique<PipeEnd>();
    if (writer != 0) {
        auto opened = PipeWriter::open(name);
        if (!opened) return -opened.error().errno_value();
        end->writer.emplace(std::move(*opened));
    } else {
        auto opened = PipeReader::open(name);
        if (!opened) return -opened.error().errno_value();
        end->reader.emplace(std::move(*opened));
    }
    *out = end.release();
    return 0;
}

PipeEnd* end_of(void* handle) { return static_cast<PipeEnd*>(handle); }

const HandleCalls kPipeCalls{
    [](void* handle) { delete end_of(handle); },
    [](void* handle) {
        PipeEnd& end = *end_of(handle);
        auto fd = end.reader ? end.reader->poll_fd() : end.writer->poll_fd();
        return fd ? *fd : -fd.error().errno_value();
    },
    [](void* handle, int strategy) {
        if (strategy < 0 || strategy > static_cast<int>(WaitStrategy::block)) return -EINVAL;
        PipeEnd& end = *end_of(handle);
        if (end.reader) end.reader->set_wait(static_cast<WaitStrategy>(strategy));
        if (end.writer) end.writer->set_wait(static_cast<WaitStrategy>(strategy));
        return 0;
    },
};

// A pipe call's outcome as the C API gives it: the count, or a negative errno (-EAGAIN: nothing
// now; -ETIMEDOUT: the slice passed).
ssize_t c_result(IoResult result) {
    if (result.status == Status::ok) return static_cast<ssize_t>(result.count);
    return -static_cast<ssize_t>(result.status);
}

// Try (timeout 0) or wait at most `ns`, as patiently() calls.
Blocking blocking_of(std::int64_t ns) { return ns == 0 ? Blocking::no : Blocking::yes; }
Patience patience_of(bool blocking) { return Patience(blocking ? py::object(py::none()) : py::object(py::int_(0))); }
Deadline deadline_of(std::int64_t ns) { return ns == 0 ? kTryOnce : deadline_after(std::chrono::nanoseconds(ns)); }

class Pipe : public Handle {
public:
    Pipe(std::string name, bool writer, int wait)
        : Handle(std::move(name), writer ? "writer" : "reader", kPipeCalls, &open_pipe_end, writer ? 1 : 0, wait) {}

    // Returns the count read (0: end of file), or None when not blocking and nothing is there.
    py::object readinto(const py::handle& buffer, bool blocking) {
        const Call call(*this, "reader", "read");
        const BufferArg room(buffer, true);
        PipeReader& reader = *end().reader;
        const ssize_t count = patiently(patience_of(blocking), [&](std::int64_t ns) {
            return c_result(reader.read({room.data(), room.size()}, blocking_of(ns), deadline_of(ns)));
        });
        if (count == -EAGAIN) return py::none();
        return py::int_(checked(count, name()));
    }

    // Blocking: writes every byte, or raises BrokenPipeError once the reader has gone (a short
    // count if some went first). Not blocking: writes what fits; None when nothing does.
    py::object write(const py::handle& data, bool blocking) {
        const Call call(*this, "writer", "write");
        const BufferArg bytes(data, false);
        PipeWriter& writer = *end().writer;
        std::size_t written = 0;
        do {
            const ssize_t count = patiently(patience_of(blocking), [&](std::int64_t ns) {
                return c_result(writer.write({bytes.data() + written, bytes.size() - written}, blocking_of(ns), deadline_of(ns)));
            });
            if (count == -EAGAIN && !blocking) return written > 0 ? py::object(py::int_(written)) : py::object(py::none());
            if (count < 0 && written > 0) break;
            written += static_cast<std::size_t>(checked(count, name()));
        } while (blocking && written < bytes.size());
        return py::int_(written);
    }

private:
    PipeEnd& end() const noexcept { return *c_handle<PipeEnd>(); }
};

}  // namespace

void register_pipe(py::module_& module) {
    py::class_<Pipe> cls(module, "_Pipe", "One end of a pipe (shmring.Pipe is the file object on it).");
    cls.def(py::init<std::string, bool, int>(), py::arg("name"), py::arg("writer"), py::kw_only(), py::arg("wait") = 0)
        .def("readinto", &Pipe::readinto, py::arg("buffer"), py::arg("blocking") = true)
        .def("write", &Pipe::write, py::arg("data"), py::arg("blocking") = true);
    def_handle(cls, "Pipe", "a call can make progress (reader: data or end of file; writer: room, or the reader has gone)");
}

}  // namespace shmring::python
