// The one translation unit that compiles Asio (and its OpenSSL glue); see CMakeLists.txt.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
