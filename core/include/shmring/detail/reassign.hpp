// Internal. Move assignment for handles whose destructor does the closing work (detach, publish
// what is held back): the old value is closed exactly as if it had gone out of scope, and the new
// one is moved in by the move constructor. One definition, so that no handle's assignment can
// forget a field or a step of closing that its destructor and move constructor know.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace shmring::detail {

template <class Handle>
Handle& reassign(Handle& self, Handle&& other) noexcept {
    static_assert(std::is_nothrow_move_constructible_v<Handle>, "the old value is already closed when the move happens");
    if (&self != &other) {
        std::destroy_at(&self);
        std::construct_at(&self, std::move(other));
    }
    return self;
}

}  // namespace shmring::detail
