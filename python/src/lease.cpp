#include "lease.hpp"

#include "fast_method.hpp"

#include <cerrno>

namespace shmring::python {

Lease::Lease(Handle& lender, py::object lender_object, std::span<std::byte> bytes, bool writable, LeaseEnds ends,
             std::uint64_t sequence)
    : lender_(&lender), lender_object_(std::move(lender_object)), bytes_(bytes), writable_(writable), ends_(ends),
      sequence_(sequence) {
    lender_->lease = this;
}

Lease::~Lease() {
    // No view can exist here: each holds a reference to this object.
    if (!open_) return;
    if (writable_) {
        ends_.abort(ends_.handle);
    } else {
        (void)ends_.release(ends_.handle);
    }
    lender_->lease = nullptr;
}

void Lease::ending(const char* verb) {
    if (!open_) raise_errno(EINVAL, lender_->name(), std::string("cannot ") + verb + ": already ended");
    if (exports_ > 0) {
        throw py::buffer_error(std::string("cannot ") + verb +
                               " while a memoryview or array of it exists: release it first (del, or with memoryview(...))");
    }
    open_ = false;
    lender_->lease = nullptr;
}

void Lease::commit(std::size_t length) {
    if (open_ && length > bytes_.size()) {
        raise_errno(EMSGSIZE, lender_->name(),
                    "commit of " + std::to_string(length) + " bytes in a loan of " + std::to_string(bytes_.size()));
    }
    ending("commit");
    checked(ends_.commit(ends_.handle, length), lender_->name());
}

void Lease::abort() {
    ending("abort");
    ends_.abort(ends_.handle);
}

void Lease::release() {
    ending("release");
    checked(ends_.release(ends_.handle), lender_->name());
}

void Lease::end_for_close() {
    ending("close the handle");
    if (writable_) {
        ends_.abort(ends_.handle);
    } else {
        (void)ends_.release(ends_.handle);
    }
}

py::bytes Lease::copy() const {
    if (!open_) raise_errno(EINVAL, lender_->name(), "the message was released");
    return copy_to_bytes(bytes_.data(), bytes_.size());
}

int Lease::get_buffer(PyObject* exporter, Py_buffer* view, int flags) {
    if (!open_) {
        PyErr_SetString(PyExc_ValueError, writable_ ? "the loan was committed or aborted: its memory is the ring's again"
                                                    : "the message was released: its memory is the ring's again");
        view->obj = nullptr;
        return -1;
    }
    if (PyBuffer_FillInfo(view, exporter, bytes_.data(), static_cast<Py_ssize_t>(bytes_.size()), writable_ ? 0 : 1, flags) != 0) {
        return -1;
    }
    ++exports_;
    return 0;
}

namespace {

class Loan : public Lease {
public:
    using Lease::Lease;
};

class Message : public Lease {
public:
    using Lease::Lease;
};

template <class T>
int get_buffer(PyObject* exporter, Py_buffer* view, int flags) {
    try {
        return py::handle(exporter).cast<T&>().get_buffer(exporter, view, flags);
    } catch (py::error_already_set& error) {
        error.restore();
    } catch (const std::exception& error) {
        PyErr_SetString(PyExc_BufferError, error.what());
    }
    view->obj = nullptr;
    return -1;
}

template <class T>
void release_buffer(PyObject* exporter, Py_buffer*) {
    py::handle(exporter).cast<T&>().release_buffer();
}

// The end of a with block: ends the lease; while the block's own exception propagates, a view
// still alive (BufferError) must not replace it: the lease then ends when it is dropped.
template <class End>
void end_on_exit(const py::handle& exception_type, End end) {
    try {
        end();
    } catch (const py::buffer_error&) {
        if (exception_type.is_none()) throw;
    }
}

// pybind11's buffer_protocol() slots cannot count views; these replace them.
template <class T>
void install_buffer_slots(py::class_<T>& cls) {
    auto* type = reinterpret_cast<PyHeapTypeObject*>(cls.ptr());
    type->as_buffer.bf_getbuffer = &get_buffer<T>;
    type->as_buffer.bf_releasebuffer = &release_buffer<T>;
    type->ht_type.tp_as_buffer = &type->as_buffer;
}

const char* kLoanDoc = R"(Room for one message in the ring, lent in place (zero copy).

Write into it through the buffer protocol (memoryview(loan), numpy.frombuffer(loan, ...)), then
commit(length) to send its first `length` bytes, or abort() to send nothing. len(loan) is its
capacity. Used as a context manager, a loan not committed by the end of the block is aborted.
Committing or aborting while a view of it still exists raises BufferError: release views first
(del, or `with memoryview(loan) as view:`). Once ended, it gives no new view (ValueError).)";

const char* kMessageDoc = R"(One message read in place (zero copy), valid until release().

Read it through the buffer protocol (memoryview(message), numpy.frombuffer(message, ...)) or copy it
with bytes(message). `sequence` is a topic message's number (0 for queues). Used as a context
manager, it is released at the end of the block. Releasing while a view of it still exists raises
BufferError; once released, it gives no new view (ValueError). For a lossy topic, release() raises
OSError(EOVERFLOW) if the publisher overwrote the message meanwhile: what was read must be discarded.)";

}  // namespace

py::object make_loan(Handle& lender, py::object lender_object, std::span<std::byte> bytes, LeaseEnds ends) {
    return py::cast(new Loan(lender, std::move(lender_object), bytes, true, ends), py::return_value_policy::take_ownership);
}

py::object make_message(Handle& lender, py::object lender_object, std::span<const std::byte> bytes, LeaseEnds ends,
                        std::uint64_t sequence) {
    // The buffer is exported read-only: const is restored by the protocol's readonly flag.
    std::span<std::byte> writable_span{const_cast<std::byte*>(bytes.data()), bytes.size()};
    return py::cast(new Message(lender, std::move(lender_object), writable_span, false, ends, sequence),
                    py::return_value_policy::take_ownership);
}

void register_leases(py::module_& module) {
    py::class_<Loan> loan(module, "Loan", py::buffer_protocol(), kLoanDoc);
    loan.def("abort", [](Loan& self) { self.abort(); }, "Gives the room back: nothing is sent.")
        .def("__len__", [](const Loan& self) { return self.size(); })
        .def_property_readonly("open", [](const Loan& self) { return self.open(); }, "True until commit or abort.")
        .def("__enter__", [](py::object self) { return self; })
        .def("__exit__", [](Loan& self, const py::handle& type, const py::handle&, const py::handle&) {
            if (self.open()) end_on_exit(type, [&] { self.abort(); });
        });
    install_buffer_slots(loan);
    def_fast<Loan, [](Loan& self, py::handle, py::handle length, py::handle) -> py::object {
        const std::size_t bytes = PyLong_AsSize_t(length.ptr());  // TypeError, or OverflowError when negative
        if (bytes == static_cast<std::size_t>(-1) && PyErr_Occurred() != nullptr) throw py::error_already_set();
        self.commit(bytes);
        return py::none();
    }, kLength>(loan, "commit", "commit($self, length)\n--\n\nSends the first `length` bytes of the loan (at most len(loan)).");

    py::class_<Message> message(module, "Message", py::buffer_protocol(), kMessageDoc);
    message.def("tobytes", [](const Message& self) { return self.copy(); }, "A copy of the message.")
        .def("__bytes__", [](const Message& self) { return self.copy(); })
        .def("__len__", [](const Message& self) { return self.size(); })
        .def_property_readonly("sequence", [](const Message& self) { return self.sequence(); }, "A topic message's sequence number (1, 2, 3, ...); 0 for queues.")
        .def_property_readonly("open", [](const Message& self) { return self.open(); }, "True until release.")
        .def("__enter__", [](py::object self) { return self; })
        .def("__exit__", [](Message& self, const py::handle& type, const py::handle&, const py::handle&) {
            if (self.open()) end_on_exit(type, [&] { self.release(); });
        });
    install_buffer_slots(message);
    def_fast<Message, [](Message& self, py::handle, py::handle, py::handle) -> py::object {
        self.release();
        return py::none();
    }, kNoArguments>(message, "release",
                     "release($self)\n--\n\nGives the message back to the ring (a queue's message is then consumed).");
}

}  // namespace shmring::python
