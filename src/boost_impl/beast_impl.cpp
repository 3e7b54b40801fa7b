// The one translation unit that compiles Beast; see CMakeLists.txt.
#include <boost/beast/src.hpp>
