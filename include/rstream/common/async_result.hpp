// async_result<T, E>: a coroutine that produces a value or an error (base/result.hpp). The
// return type of asynchronous operations that can fail in an expected way, instead of
// out-parameters or ad-hoc {ok, value, error} structs. Lives here, not in base, because base
// has no Asio.
// Thread-safety: a type alias; the coroutine runs on its caller's strand.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "rstream/base/result.hpp"

namespace rstream {

template <typename T, typename E>
using async_result = boost::asio::awaitable<base::result<T, E>>;

}  // namespace rstream
